//! Plan: the operations that take the live VMS to the desired state (SPEC section 3).
//!
//! Pure: data in, data out. No network, no clock, no filesystem; the caller
//! passes the desired state, the live state and "today".

pub mod diff;
pub mod schedule;
pub mod state;

use serde::{Deserialize, Serialize};

/// The operations of SPEC section 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// The gate class of an operation; declared from least to most strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// name, stream_url.
    Metadata,
    /// Any alert operation.
    Alerts,
    /// camera.create.
    CameraAdd,
    /// camera.delete.
    CameraRemove,
    /// settings.update.
    Settings,
    /// resolution, fps, retention, schedule or enabled of an existing camera.
    Recording,
    /// policy.change.
    Policy,
}

/// One field-level change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Field path, e.g. `recording.fps`.
    pub path: String,
    /// Live value (null when absent).
    pub from: serde_json::Value,
    /// Desired value (null when removed).
    pub to: serde_json::Value,
}

/// One operation of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// What to do.
    pub op: OpKind,
    /// The camera id, alert kind, `settings`, or site name.
    pub target: String,
    /// Its gate class.
    pub class: Class,
    /// Field-level changes.
    pub changes: Vec<Change>,
}

/// Something worth knowing that is not an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// e.g. `firmware-mismatch`.
    pub kind: String,
    /// What it is about.
    pub target: String,
    /// Explanation.
    pub message: String,
}
