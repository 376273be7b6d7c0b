//! Each operation bound to its payload and `If-Match` version before anything changes.
//!
//! A target missing from the desired or live state it was planned from fails
//! here, before the snapshot and before the first request, never halfway
//! through an apply.

use crate::model::{AlertKind, AlertRule, Camera, Settings};
use crate::plan::comparable::ComparableConfig;
use crate::plan::{OpKind, Operation, Target};

/// What one operation sends, with the version it expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// `camera.create`.
    CreateCamera(Camera),
    /// `camera.update` of the camera whose version is still `if_match`.
    UpdateCamera {
        /// The whole camera, read-only fields as the VMS has them.
        camera: Camera,
        /// Its live version.
        if_match: String,
    },
    /// `camera.delete`.
    DeleteCamera {
        /// The camera id.
        id: String,
        /// Its live version.
        if_match: String,
    },
    /// `alert.create` (no `if_match`) or `alert.update`.
    PutAlert {
        /// The rule.
        rule: AlertRule,
        /// The live rule's version, when it exists.
        if_match: Option<String>,
    },
    /// `alert.delete`.
    DeleteAlert {
        /// Its kind.
        kind: AlertKind,
        /// Its live version.
        if_match: String,
    },
    /// `settings.update`.
    UpdateSettings(Settings),
    /// `policy.change`: it lives in git; applying it means recording the commit.
    Record,
}

/// An operation and what it sends.
#[derive(Debug, Clone)]
pub struct BoundOp {
    /// The planned operation.
    pub op: Operation,
    /// Its payload.
    pub payload: Payload,
}

/// An operation whose target is not where the plan saw it.
#[derive(Debug, thiserror::Error)]
#[error("{what} `{target}` is not in the desired or live state this plan was computed from")]
pub struct BindError {
    /// `camera`, `alert rule` or `settings`.
    pub what: &'static str,
    /// The operation's target.
    pub target: String,
}

/// Binds every operation of `ops` to its payload, or names the first one that cannot be.
pub fn bind(
    ops: &[Operation],
    desired: &ComparableConfig,
    live: &ComparableConfig,
) -> Result<Vec<BoundOp>, BindError> {
    ops.iter()
        .map(|op| {
            Ok(BoundOp {
                payload: payload(op, desired, live)?,
                op: op.clone(),
            })
        })
        .collect()
}

fn payload(
    op: &Operation,
    desired: &ComparableConfig,
    live: &ComparableConfig,
) -> Result<Payload, BindError> {
    let missing = |what| BindError {
        what,
        target: op.target.to_string(),
    };
    let version = |v: &Option<String>| v.clone().unwrap_or_default();
    let desired_camera = || {
        desired
            .cameras
            .get(op.target.as_str())
            .ok_or_else(|| missing("camera"))
    };
    let live_camera = || {
        live.cameras
            .get(op.target.as_str())
            .ok_or_else(|| missing("camera"))
    };
    Ok(match op.op {
        OpKind::CameraCreate => Payload::CreateCamera(desired_camera()?.to_camera()),
        OpKind::CameraUpdate => {
            let l = live_camera()?;
            // Read-only fields go back as the VMS has them: a mismatch there is a finding, not a change.
            let mut camera = desired_camera()?.to_camera();
            camera.vendor.clone_from(&l.vendor);
            camera.model.clone_from(&l.model);
            camera.firmware.clone_from(&l.firmware);
            Payload::UpdateCamera {
                camera,
                if_match: version(&l.version),
            }
        }
        OpKind::CameraDelete => Payload::DeleteCamera {
            id: op.target.to_string(),
            if_match: version(&live_camera()?.version),
        },
        OpKind::AlertCreate | OpKind::AlertUpdate | OpKind::AlertDelete => {
            let Target::Alert(kind) = op.target else {
                return Err(missing("alert rule"));
            };
            let live_rule = live.alerts.as_ref().and_then(|a| a.get(&kind));
            if op.op == OpKind::AlertDelete {
                let l = live_rule.ok_or_else(|| missing("alert rule"))?;
                return Ok(Payload::DeleteAlert {
                    kind,
                    if_match: version(&l.version),
                });
            }
            let d = desired
                .alerts
                .as_ref()
                .and_then(|a| a.get(&kind))
                .ok_or_else(|| missing("alert rule"))?;
            let r = d.to_rule();
            Payload::PutAlert {
                rule: AlertRule {
                    kind,
                    threshold: r.threshold,
                    recipients: r.recipients,
                    escalation: r.escalation,
                    version: String::new(),
                },
                if_match: live_rule.map(|l| version(&l.version)),
            }
        }
        OpKind::SettingsUpdate => {
            let d = desired
                .settings
                .as_ref()
                .ok_or_else(|| missing("settings"))?;
            let l = live.settings.as_ref().ok_or_else(|| missing("settings"))?;
            Payload::UpdateSettings(Settings {
                session_timeout_minutes: d.session_timeout_minutes,
                version: version(&l.version),
            })
        }
        OpKind::PolicyChange => Payload::Record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Class;

    #[test]
    fn a_missing_target_fails_before_anything_is_sent() {
        let op = Operation::new(
            OpKind::CameraUpdate,
            Target::Camera("ghost".into()),
            Class::Metadata,
            vec![],
        );
        let err = bind(
            &[op],
            &ComparableConfig::default(),
            &ComparableConfig::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "camera `ghost` is not in the desired or live state this plan was computed from"
        );
        let policy = Operation::new(
            OpKind::PolicyChange,
            Target::Site("s".into()),
            Class::Policy,
            vec![],
        );
        let bound = bind(
            &[policy],
            &ComparableConfig::default(),
            &ComparableConfig::default(),
        )
        .unwrap();
        assert_eq!(bound[0].payload, Payload::Record);
    }
}
