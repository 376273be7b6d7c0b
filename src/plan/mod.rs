//! Plan: the operations that take the live VMS to the desired state (docs/plan-json.md).
//!
//! Pure: data in, data out. No network, no clock, no filesystem; the caller
//! passes the desired state, the live state and "today".

pub mod build;
pub mod comparable;
pub mod diff;
pub mod document;
mod effect;
pub mod fingerprint;
pub mod live;
pub mod markdown;
pub mod policy;
#[cfg(test)]
mod property_tests;
#[cfg(test)]
mod render_property_tests;
pub mod style;
pub mod text;

use schemars::JsonSchema;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::model::Class;

/// The operations a plan is made of.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum OpKind {
    /// Add a camera.
    #[serde(rename = "camera.create")]
    CameraCreate,
    /// Change a camera.
    #[serde(rename = "camera.update")]
    CameraUpdate,
    /// Remove a camera.
    #[serde(rename = "camera.delete")]
    CameraDelete,
    /// Add an alert rule.
    #[serde(rename = "alert.create")]
    AlertCreate,
    /// Change an alert rule.
    #[serde(rename = "alert.update")]
    AlertUpdate,
    /// Remove an alert rule.
    #[serde(rename = "alert.delete")]
    AlertDelete,
    /// Change settings.
    #[serde(rename = "settings.update")]
    SettingsUpdate,
    /// Change of policy, maintenance windows or allowed signers between base and rev.
    #[serde(rename = "policy.change")]
    PolicyChange,
}

impl OpKind {
    /// The name used in output, e.g. `camera.update`.
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::CameraCreate => "camera.create",
            OpKind::CameraUpdate => "camera.update",
            OpKind::CameraDelete => "camera.delete",
            OpKind::AlertCreate => "alert.create",
            OpKind::AlertUpdate => "alert.update",
            OpKind::AlertDelete => "alert.delete",
            OpKind::SettingsUpdate => "settings.update",
            OpKind::PolicyChange => "policy.change",
        }
    }
}

/// One field-level change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// Field path, e.g. `recording.fps`.
    pub path: String,
    /// Live value (null when absent).
    pub from: serde_json::Value,
    /// Desired value (null when removed).
    pub to: serde_json::Value,
}

/// One operation of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Operation {
    /// What to do.
    pub op: OpKind,
    /// The camera id, alert kind, `settings`, or site name.
    pub target: String,
    /// Its gate class.
    pub class: Class,
    /// Field-level changes.
    pub changes: Vec<Change>,
    /// The gate's verdicts (empty when the gate was not run, as in drift).
    #[serde(default)]
    pub verdicts: Vec<Verdict>,
}

/// What the gate says of an operation for one check.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum VerdictStatus {
    /// The check passes.
    Allowed,
    /// Worth knowing; does not block.
    Warning,
    /// The operation may not be applied.
    Refused,
}

/// One check's verdict on one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Verdict {
    /// The check id (docs/procedure.md), e.g. `approval`.
    pub check: Arc<str>,
    /// Its outcome.
    pub status: VerdictStatus,
    /// What it means and, when refused, what to do.
    // Shared: the checks about the whole change carry one message for every operation.
    pub message: Arc<str>,
}

/// The verdicts every operation of `ops` carries (the gate's checks about the whole change), in order.
pub fn common_verdicts(ops: &[Operation]) -> Vec<Verdict> {
    let Some((first, rest)) = ops.split_first() else {
        return Vec::new();
    };
    if rest.is_empty() {
        return Vec::new();
    }
    first
        .verdicts
        .iter()
        .filter(|v| rest.iter().all(|o| o.verdicts.contains(v)))
        .cloned()
        .collect()
}

impl Operation {
    /// An operation not yet seen by the gate.
    pub fn new(op: OpKind, target: String, class: Class, changes: Vec<Change>) -> Self {
        Self {
            op,
            target,
            class,
            changes,
            verdicts: Vec::new(),
        }
    }

    /// True if any verdict refuses this operation.
    pub fn is_refused(&self) -> bool {
        self.verdicts
            .iter()
            .any(|v| v.status == VerdictStatus::Refused)
    }
}

/// Something worth knowing that is not an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// e.g. `firmware-mismatch`.
    pub kind: String,
    /// What it is about.
    pub target: String,
    /// Explanation.
    pub message: String,
}
