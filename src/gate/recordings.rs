//! `recordings-kept` (PROC-VMS-001 §02): removing a camera never loses recordings still under retention.
//!
//! If the driver keeps recordings when a camera is deleted, removal is
//! allowed and the verdict says until when the recordings must be kept. If
//! deleting the camera deletes its recordings, removal waits until the newest
//! recording is older than `regulatory_retention_days`. An emergency never
//! lets evidence be destroyed.

use jiff::{SignedDuration, Timestamp};

use super::{check, verdict, GateInput};
use crate::model::Recordings;
use crate::plan::{OpKind, Operation, Verdict, VerdictStatus};

/// When `rec` may be purged: its newest recording plus the regulatory retention.
fn kept_until(rec: &Recordings, days: u32) -> Option<Timestamp> {
    let newest = rec.newest?;
    newest
        .checked_add(SignedDuration::from_hours(24 * i64::from(days)))
        .ok()
}

fn day(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// The verdict for `op`, or `None` if it is not a camera.delete.
pub(super) fn check(input: &GateInput<'_>, op: &Operation) -> Option<Verdict> {
    if op.op != OpKind::CameraDelete {
        return None;
    }
    let days = input.policy.regulatory_retention_days;
    let rec = input.recordings_of(op.target.as_str());
    let until = rec.and_then(|r| kept_until(r, days));
    let v = |status, m: String| Some(verdict(check::RECORDINGS_KEPT, status, m));
    if !input.capabilities.deletes_recordings_with_camera {
        let m = match (rec, until) {
            (_, Some(u)) => format!(
                "the VMS keeps the recordings of {} when the camera is deleted; they must be kept until {} ({days} days after the newest), then deleted separately and documented",
                op.target,
                day(u)
            ),
            (Some(_), None) => format!(
                "the VMS keeps recordings when a camera is deleted; {} has none",
                op.target
            ),
            (None, None) => format!(
                "the VMS keeps the recordings of {} when the camera is deleted; keep them {days} days after the newest",
                op.target
            ),
        };
        return v(VerdictStatus::Allowed, m);
    }
    match (rec, until) {
        (None, _) => v(
            VerdictStatus::Refused,
            format!(
                "deleting {} also deletes its recordings, and the VMS did not report them: check them by hand before removing the camera",
                op.target
            ),
        ),
        (Some(_), None) => v(
            VerdictStatus::Allowed,
            format!("{} has no recordings to keep", op.target),
        ),
        (Some(_), Some(u)) if u <= input.now => v(
            VerdictStatus::Allowed,
            format!(
                "the recordings of {} are past their {days}-day retention since {}; deleting the camera deletes them",
                op.target,
                day(u)
            ),
        ),
        (Some(_), Some(u)) => v(
            VerdictStatus::Refused,
            format!(
                "deleting {} would also delete recordings that must be kept until {} ({days} days after the newest): export them first or remove the camera after that date",
                op.target,
                day(u)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::tests::{camera_op, fixture};
    use crate::gate::Mode;

    #[test]
    fn recordings_outlive_their_retention() {
        let mut f = fixture();
        f.policy.regulatory_retention_days = 30;
        let now: Timestamp = "2025-05-01T00:00:00Z".parse().unwrap();
        let rec = |newest: Option<&str>| Recordings {
            camera_id: "hall-01".into(),
            oldest: newest.map(|_| "2025-01-01T00:00:00Z".parse().unwrap()),
            newest: newest.map(|n| n.parse().unwrap()),
            bytes: 1,
        };
        use VerdictStatus::*;
        // (driver deletes recordings?, recordings, expected, message fragment)
        #[rustfmt::skip]
        let cases = [
            (false, Some(rec(Some("2025-04-30T00:00:00Z"))), Allowed, "until 2025-05-30 00:00 UTC"),
            (false, None, Allowed, "keep them 30 days"),
            (true, Some(rec(Some("2025-04-30T00:00:00Z"))), Refused, "until 2025-05-30 00:00 UTC"),
            (true, Some(rec(Some("2025-04-01T00:00:00Z"))), Allowed, "since 2025-05-01"),
            (true, Some(rec(Some("2025-04-01T00:00:01Z"))), Refused, "until 2025-05-01 00:00 UTC"),
            (true, Some(rec(None)), Allowed, "no recordings"),
            (true, None, Refused, "did not report"),
        ];
        for (deletes, recs, want, fragment) in cases {
            f.caps.deletes_recordings_with_camera = deletes;
            let recs: Vec<Recordings> = recs.into_iter().collect();
            let mut input = f.input(Mode::Apply);
            input.now = now;
            input.recordings = &recs;
            input.emergency = Some("fire");
            let v = check(&input, &camera_op(OpKind::CameraDelete, "hall-01")).unwrap();
            assert_eq!(v.status, want, "{deletes} {recs:?}: {}", v.message);
            assert!(v.message.contains(fragment), "{}", v.message);
        }
        let input = f.input(Mode::Apply);
        assert!(check(&input, &camera_op(OpKind::CameraUpdate, "hall-01")).is_none());
    }
}
