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

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::AlertKind;
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

/// What an operation acts on; written as one string (a camera id, an alert kind, `settings`, a site name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A camera, by id: the camera operations.
    Camera(String),
    /// An alert rule, by kind: the alert operations.
    Alert(AlertKind),
    /// The VMS's settings, written `settings`: `settings.update`.
    Settings,
    /// The site, by name: `policy.change`.
    Site(String),
}

/// A target that does not fit its operation, e.g. an alert operation on no known alert kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{target}` is not the target of an operation {op} ({expected})")]
pub struct TargetError {
    /// The operation.
    pub op: &'static str,
    /// The target as written.
    pub target: String,
    /// What it should be.
    pub expected: &'static str,
}

impl Target {
    /// The target of an `op` operation written `s`, as a plan holds it.
    pub fn parse(op: OpKind, s: &str) -> Result<Target, TargetError> {
        let wrong = |expected| TargetError {
            op: op.as_str(),
            target: s.to_string(),
            expected,
        };
        match op {
            OpKind::CameraCreate | OpKind::CameraUpdate | OpKind::CameraDelete => {
                Ok(Target::Camera(s.to_string()))
            }
            OpKind::AlertCreate | OpKind::AlertUpdate | OpKind::AlertDelete => AlertKind::parse(s)
                .map(Target::Alert)
                .ok_or_else(|| wrong("an alert kind")),
            OpKind::SettingsUpdate if s == "settings" => Ok(Target::Settings),
            OpKind::SettingsUpdate => Err(wrong("`settings`")),
            OpKind::PolicyChange => Ok(Target::Site(s.to_string())),
        }
    }

    /// The string a plan writes, e.g. `hall-01`, `disk_full` or `settings`.
    pub fn as_str(&self) -> &str {
        match self {
            Target::Camera(id) => id,
            Target::Alert(kind) => kind.as_str(),
            Target::Settings => "settings",
            Target::Site(name) => name,
        }
    }

    /// The camera id, when the target is a camera.
    pub fn camera(&self) -> Option<&str> {
        match self {
            Target::Camera(id) => Some(id),
            _ => None,
        }
    }

    /// This target with its free text (a camera id, a site name) passed through `f`.
    pub fn map_text(&self, f: impl Fn(&str) -> String) -> Target {
        match self {
            Target::Camera(id) => Target::Camera(f(id)),
            Target::Site(name) => Target::Site(f(name)),
            Target::Alert(_) | Target::Settings => self.clone(),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One operation of a plan.
// Deserialized by hand: what the target string means depends on `op`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Operation {
    /// What to do.
    pub op: OpKind,
    /// The camera id, alert kind, `settings`, or site name.
    #[schemars(with = "String")]
    pub target: Target,
    /// Its gate class.
    pub class: Class,
    /// Field-level changes.
    pub changes: Vec<Change>,
    /// The gate's verdicts (empty when the gate was not run, as in drift).
    #[serde(default)]
    pub verdicts: Vec<Verdict>,
}

impl<'de> Deserialize<'de> for Operation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Operation, D::Error> {
        /// An operation as written, its target still a string.
        #[derive(Deserialize)]
        #[serde(rename = "Operation")]
        struct Written {
            op: OpKind,
            target: String,
            class: Class,
            changes: Vec<Change>,
            #[serde(default)]
            verdicts: Vec<Verdict>,
        }
        let w = Written::deserialize(d)?;
        Ok(Operation {
            target: Target::parse(w.op, &w.target).map_err(serde::de::Error::custom)?,
            op: w.op,
            class: w.class,
            changes: w.changes,
            verdicts: w.verdicts,
        })
    }
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
    pub fn new(op: OpKind, target: Target, class: Class, changes: Vec<Change>) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_written_as_its_string_and_read_back_by_its_operation() {
        let ops = [
            (
                OpKind::CameraUpdate,
                Target::Camera("hall-01".into()),
                "hall-01",
            ),
            (
                OpKind::AlertDelete,
                Target::Alert(AlertKind::DiskFull),
                "disk_full",
            ),
            (OpKind::SettingsUpdate, Target::Settings, "settings"),
            (
                OpKind::PolicyChange,
                Target::Site("paris-hq".into()),
                "paris-hq",
            ),
        ];
        for (kind, target, written) in ops {
            let op = Operation::new(kind, target, Class::Settings, Vec::new());
            let json = serde_json::to_value(&op).expect("json");
            assert_eq!(json["target"], written);
            let back: Operation = serde_json::from_value(json).expect("read");
            assert_eq!(back, op);
        }
        // What the operation cannot act on is not a plan vmsops wrote.
        let bad = serde_json::json!({"op": "alert.update", "target": "hall-01", "class": "alerts", "changes": []});
        let err = serde_json::from_value::<Operation>(bad).unwrap_err();
        assert!(
            err.to_string()
                .contains("not the target of an operation alert.update"),
            "{err}"
        );
    }
}
