//! `homologation` (PROC-VMS-001 §02): only approved equipment is added.
//!
//! A camera may be created only if its vendor and model are in the trusted
//! `approved_models` (compared without regard to case) and its firmware is at
//! least `min_firmware`, compared number by number (`11.10.0` > `11.9.60`;
//! trailing zeros do not count). A firmware that is not dotted numbers cannot
//! be compared and is refused. An emergency never lets unapproved equipment in.

use std::cmp::Ordering;

use super::{check, verdict, GateInput};
use crate::model::parse_version;
use crate::plan::{OpKind, Operation, Verdict, VerdictStatus};

/// Compares dotted versions numerically; `None` if either is not dotted numbers.
pub(super) fn compare_firmware(a: &str, b: &str) -> Option<Ordering> {
    let trim = |mut v: Vec<u64>| {
        while v.len() > 1 && v.last() == Some(&0) {
            v.pop();
        }
        v
    };
    let a = trim(parse_version(a.trim())?);
    let b = trim(parse_version(b.trim())?);
    Some(a.cmp(&b))
}

/// The verdict for `op`, or `None` if it is not a camera.create.
pub(super) fn check(input: &GateInput<'_>, op: &Operation) -> Option<Verdict> {
    if op.op != OpKind::CameraCreate {
        return None;
    }
    let refuse = |m: String| Some(verdict(check::HOMOLOGATION, VerdictStatus::Refused, m));
    let Some(cam) = input.camera(op.target.as_str()) else {
        return refuse(format!(
            "camera {} is not in the desired state given to the gate",
            op.target
        ));
    };
    let what = format!("{} {}", cam.vendor, cam.model);
    let Some(model) = input.policy.approved_models.iter().find(|m| {
        m.vendor.trim().eq_ignore_ascii_case(cam.vendor.trim())
            && m.model.trim().eq_ignore_ascii_case(cam.model.trim())
    }) else {
        return refuse(format!(
            "{what} is not an approved model: have it homologated (policy.approved_models, in a reviewed change) before adding it"
        ));
    };
    match compare_firmware(&cam.firmware, &model.min_firmware) {
        Some(Ordering::Less) => refuse(format!(
            "{what} firmware {} is older than the approved minimum {}: update the camera's firmware first",
            cam.firmware, model.min_firmware
        )),
        Some(_) => Some(verdict(
            check::HOMOLOGATION,
            VerdictStatus::Allowed,
            format!(
                "{what} is approved, firmware {} ≥ {}",
                cam.firmware, model.min_firmware
            ),
        )),
        None => refuse(format!(
            "firmware {} of {what} cannot be compared with the approved minimum {}: write it as dotted numbers",
            cam.firmware, model.min_firmware
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::tests::{camera_op, fixture};
    use crate::gate::Mode;

    #[test]
    fn firmware_compares_number_by_number() {
        use Ordering::*;
        let cases = [
            ("11.10.0", "11.9.60", Some(Greater)),
            ("11.9.60", "11.9.60", Some(Equal)),
            ("11.9.59", "11.9.60", Some(Less)),
            ("11.9", "11.9.0", Some(Equal)),
            ("12", "11.99.99", Some(Greater)),
            ("11.9.060", "11.9.60", Some(Equal)),
            ("11.9.60-beta", "11.9.60", None),
            ("", "1", None),
            ("1..2", "1", None),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_firmware(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn only_approved_models_with_recent_firmware() {
        let mut f = fixture();
        use VerdictStatus::*;
        // The fixture approves Axis P3265-LVE from 11.9.60.
        let cases = [
            ("Axis", "P3265-LVE", "11.10.0", Allowed),
            ("AXIS", "p3265-lve", "11.9.60", Allowed),
            ("Axis", "P3265-LVE", "11.9.59", Refused),
            ("Axis", "P3265-LV", "12.0.0", Refused),
            ("Hikvision", "P3265-LVE", "12.0.0", Refused),
            ("Axis", "P3265-LVE", "latest", Refused),
        ];
        for (vendor, model, firmware, want) in cases {
            f.cameras[0].vendor = vendor.into();
            f.cameras[0].model = model.into();
            f.cameras[0].firmware = firmware.into();
            let input = f.input(Mode::Apply);
            let v = check(&input, &camera_op(OpKind::CameraCreate, "hall-01")).unwrap();
            assert_eq!(v.status, want, "{vendor} {model} {firmware}: {}", v.message);
        }
        let input = f.input(Mode::Apply);
        assert!(check(&input, &camera_op(OpKind::CameraUpdate, "hall-01")).is_none());
        let v = check(&input, &camera_op(OpKind::CameraCreate, "ghost")).unwrap();
        assert_eq!(v.status, Refused);
    }
}
