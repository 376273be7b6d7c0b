//! `retention-policy` (PROC-VMS-001 §02): a camera's effective retention is within the trusted bounds.
//!
//! Checked on every operation that writes a camera (create and update), with
//! the bounds of the trusted base: a change that widens `policy.retention`
//! must be applied (and approved) before cameras use the new bounds. An
//! emergency never lets a retention outside the bounds through.

use super::{check, is_camera_op, verdict, GateInput};
use crate::plan::{OpKind, Operation, Verdict, VerdictStatus};

/// The verdict for `op`, or `None` if it writes no camera.
pub(super) fn check(input: &GateInput<'_>, op: &Operation) -> Option<Verdict> {
    if !is_camera_op(op) || op.op == OpKind::CameraDelete {
        return None;
    }
    let cam = input.camera(op.target.as_str())?;
    let bounds = input.policy.retention;
    let Some(days) = cam.retention_days else {
        return Some(verdict(
            check::RETENTION_POLICY,
            VerdictStatus::Refused,
            format!(
                "camera {} has no effective retention (unknown profile): fix the camera file",
                cam.id
            ),
        ));
    };
    let range = format!("{} to {} days", bounds.min_days, bounds.max_days);
    Some(if (bounds.min_days..=bounds.max_days).contains(&days) {
        verdict(
            check::RETENTION_POLICY,
            VerdictStatus::Allowed,
            format!("retention {days} days, within {range}"),
        )
    } else {
        verdict(
            check::RETENTION_POLICY,
            VerdictStatus::Refused,
            format!(
                "retention {days} days is outside the trusted policy's {range}: set retention_days within it (a change of policy.retention must be applied first)"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::tests::{camera_op, fixture};
    use crate::gate::Mode;

    #[test]
    fn within_the_trusted_bounds() {
        let mut f = fixture();
        f.policy.retention.min_days = 7;
        f.policy.retention.max_days = 30;
        use VerdictStatus::*;
        let cases = [
            (OpKind::CameraCreate, Some(7), Some(Allowed)),
            (OpKind::CameraUpdate, Some(30), Some(Allowed)),
            (OpKind::CameraUpdate, Some(31), Some(Refused)),
            (OpKind::CameraCreate, Some(6), Some(Refused)),
            (OpKind::CameraCreate, None, Some(Refused)),
            (OpKind::CameraDelete, Some(90), None),
        ];
        for (kind, days, want) in cases {
            f.cameras[0].retention_days = days;
            let input = f.input(Mode::Apply);
            let v = check(&input, &camera_op(kind, "hall-01"));
            assert_eq!(
                v.as_ref().map(|v| v.status),
                want,
                "{kind:?} {days:?}: {v:?}"
            );
        }
    }
}
