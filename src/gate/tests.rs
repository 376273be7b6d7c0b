//! The shared fixture of the per-check gate tests: a policy, a window, a camera, and helpers to read verdicts.
//!
//! Scenarios on real git repositories with SSH-signed tags live in `git::gate_tests`.

use super::*;
use crate::desired::model::{ApprovalSignatures, ApprovedModel, Day, RetentionBounds};
use crate::plan::{Change, Target};

/// Tuesday 2025-04-08 03:00 in Paris: inside the fixture's window.
pub(crate) const NOW: &str = "2025-04-08T01:00:00Z";

/// Owned facts that per-check tests borrow as a [`GateInput`].
pub(crate) struct Fixture {
    pub policy: Policy,
    pub windows: Vec<MaintenanceWindow>,
    pub caps: Capabilities,
    pub cameras: Vec<DesiredCamera>,
    pub rev: String,
    pub signers: Option<String>,
}

impl Fixture {
    /// The input for `mode`, with nothing but this fixture's facts.
    pub fn input(&self, mode: Mode) -> GateInput<'_> {
        let mut i = GateInput::new(
            mode,
            &self.policy,
            &self.windows,
            &self.rev,
            NOW.parse().expect("fixture time"),
            &self.caps,
        );
        i.cameras = &self.cameras;
        i.allowed_signers = self.signers.as_deref();
        i
    }
}

pub(crate) fn policy() -> Policy {
    Policy {
        approvers: vec!["rs@client.example".into()],
        generic_identities: vec!["admin".into(), "root".into(), "administrator".into()],
        require_ticket: true,
        approved_models: vec![ApprovedModel {
            vendor: "Axis".into(),
            model: "P3265-LVE".into(),
            min_firmware: "11.9.60".into(),
        }],
        retention: RetentionBounds {
            min_days: 7,
            max_days: 30,
        },
        regulatory_retention_days: 30,
        alert_review_max_age_days: 183,
        snapshot_retention_days: 183,
        approval_signatures: ApprovalSignatures::Ssh,
        allowed_signers: "policy/allowed_signers".into(),
    }
}

pub(crate) fn tuesday_night() -> MaintenanceWindow {
    MaintenanceWindow {
        name: "tuesday-night".into(),
        days: vec![Day::Tue],
        start: "02:00".into(),
        end: "05:00".into(),
        timezone: "Europe/Paris".into(),
    }
}

pub(crate) fn fixture() -> Fixture {
    Fixture {
        policy: policy(),
        windows: vec![tuesday_night()],
        caps: Capabilities {
            deletes_recordings_with_camera: false,
            has_admin_journal: true,
            sends_request_ids: true,
            manages_alerts: true,
            manages_settings: true,
            unmanaged: Vec::new(),
        },
        cameras: vec![DesiredCamera {
            id: "hall-01".into(),
            vendor: "Axis".into(),
            model: "P3265-LVE".into(),
            firmware: "11.9.60".into(),
            retention_days: Some(30),
        }],
        rev: "a".repeat(40),
        signers: None,
    }
}

pub(crate) fn commit(id: &str, name: &str, email: &str, tickets: &[&str]) -> CommitFacts {
    CommitFacts {
        id: id.into(),
        summary: "change".into(),
        author_name: name.into(),
        author_email: email.into(),
        tickets: tickets.iter().map(|t| t.to_string()).collect(),
    }
}

pub(crate) fn camera_op(kind: OpKind, target: &str) -> Operation {
    let class = match kind {
        OpKind::CameraCreate => Class::CameraAdd,
        OpKind::CameraDelete => Class::CameraRemove,
        _ => Class::Recording,
    };
    Operation::new(kind, Target::Camera(target.into()), class, Vec::new())
}

pub(crate) fn op(kind: OpKind, target: &str, class: Class) -> Operation {
    let changes = vec![Change {
        path: "x".into(),
        from: serde_json::Value::Null,
        to: serde_json::Value::Null,
    }];
    let target = Target::parse(kind, target).expect("target");
    Operation::new(kind, target, class, changes)
}

pub(crate) fn checks(op: &Operation) -> Vec<(&str, VerdictStatus)> {
    op.verdicts.iter().map(|v| (&*v.check, v.status)).collect()
}

pub(crate) fn status_of(op: &Operation, check: &str) -> Option<VerdictStatus> {
    op.verdicts
        .iter()
        .find(|v| &*v.check == check)
        .map(|v| v.status)
}

pub(crate) fn message_of<'o>(op: &'o Operation, check: &str) -> &'o str {
    op.verdicts
        .iter()
        .find(|v| &*v.check == check)
        .map_or("", |v| &*v.message)
}

#[test]
fn the_fixture_time_is_inside_its_window() {
    let now: Timestamp = NOW.parse().unwrap();
    assert!(window::containing(&[tuesday_night()], now).is_some());
}

// Regression: each camera operation scanned every desired camera (quadratic: 50,000 cameras
// took 30-50 times as long as 10,000). The index is built once, whatever the number of operations.
#[test]
fn the_gate_indexes_cameras_once_per_evaluation() {
    let f = fixture();
    let mut cameras = Vec::new();
    let mut ops = Vec::new();
    for i in 0..2000 {
        let mut c = f.cameras[0].clone();
        c.id = format!("cam-{i}");
        cameras.push(c);
        ops.push(camera_op(OpKind::CameraCreate, &format!("cam-{i}")));
    }
    let mut input = f.input(Mode::Plan);
    input.cameras = &cameras;
    INDEX_BUILDS.with(|n| n.set(0));
    evaluate(&input, &mut ops);
    assert_eq!(INDEX_BUILDS.with(|n| n.get()), 1);
    assert!(ops.iter().all(|o| o
        .verdicts
        .iter()
        .any(|v| &*v.check == check::HOMOLOGATION && v.status == VerdictStatus::Allowed)));
}
