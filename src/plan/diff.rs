//! The diff engine: desired × live → ordered operations and findings.
//!
//! Deterministic (cameras by id, then alert rules by kind, then settings) and
//! free of noise: both sides arrive normalised (see `state`). Never judges
//! whether an operation may run (that is the gate's job) and never turns a
//! read-only field (vendor, model, firmware) into an operation: those are findings.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::comparable::{ComparableAlert, ComparableCamera, ComparableConfig};
use super::{Change, Class, Finding, OpKind, Operation, Target};
use crate::model::procedure::MAX_SESSION_TIMEOUT_MINUTES;
use crate::model::schedule;

/// Operations that take `live` to `desired`, and what is worth knowing besides.
pub fn diff(desired: &ComparableConfig, live: &ComparableConfig) -> (Vec<Operation>, Vec<Finding>) {
    let mut ops = Vec::new();
    let mut findings = Vec::new();
    camera_ops(desired, live, &mut ops, &mut findings);
    alert_ops(desired, live, &mut ops);
    settings_ops(desired, live, &mut ops, &mut findings);
    (ops, findings)
}

/// The two sides of every key present on either side, in key order.
fn pair_up<'a, K: Ord, V>(
    want: &'a BTreeMap<K, V>,
    have: &'a BTreeMap<K, V>,
) -> impl Iterator<Item = (&'a K, Option<&'a V>, Option<&'a V>)> {
    let keys: BTreeSet<&K> = want.keys().chain(have.keys()).collect();
    keys.into_iter().map(|k| (k, want.get(k), have.get(k)))
}

/// Every field of something only the desired side has, as changes from nothing.
fn all_added(fields: Vec<(&'static str, Value)>) -> Vec<Change> {
    fields
        .into_iter()
        .map(|(p, v)| change(p, Value::Null, v))
        .collect()
}

/// Every field of something only the live side has, as changes to nothing.
fn all_removed(fields: Vec<(&'static str, Value)>) -> Vec<Change> {
    fields
        .into_iter()
        .map(|(p, v)| change(p, v, Value::Null))
        .collect()
}

/// Camera creates, deletes and updates by id; read-only fields become findings.
fn camera_ops(
    desired: &ComparableConfig,
    live: &ComparableConfig,
    ops: &mut Vec<Operation>,
    findings: &mut Vec<Finding>,
) {
    for (id, want, have) in pair_up(&desired.cameras, &live.cameras) {
        match (want, have) {
            (Some(d), None) => ops.push(Operation::new(
                OpKind::CameraCreate,
                Target::Camera(id.clone()),
                Class::CameraAdd,
                all_added(camera_fields(d)),
            )),
            (None, Some(l)) => ops.push(Operation::new(
                OpKind::CameraDelete,
                Target::Camera(id.clone()),
                Class::CameraRemove,
                all_removed(camera_fields(l)),
            )),
            (Some(d), Some(l)) => {
                findings.extend(read_only_findings(d, l));
                ops.extend(camera_update(d, l));
            }
            (None, None) => {}
        }
    }
}

/// Alert rule creates, deletes and updates by kind; only when both sides manage alerts.
fn alert_ops(desired: &ComparableConfig, live: &ComparableConfig, ops: &mut Vec<Operation>) {
    // `None` on either side means alerts are not managed there: never diffed.
    let (Some(want), Some(have)) = (&desired.alerts, &live.alerts) else {
        return;
    };
    for (kind, want, have) in pair_up(want, have) {
        let (op, changes) = match (want, have) {
            (Some(d), None) => (OpKind::AlertCreate, all_added(alert_fields(d))),
            (None, Some(l)) => (OpKind::AlertDelete, all_removed(alert_fields(l))),
            (Some(d), Some(l)) => (
                OpKind::AlertUpdate,
                changed(alert_fields(l), alert_fields(d)),
            ),
            (None, None) => continue,
        };
        // Only an update can come out empty (equal rules): that is no operation.
        if !changes.is_empty() {
            ops.push(Operation::new(
                op,
                Target::Alert(*kind),
                Class::Alerts,
                changes,
            ));
        }
    }
}

/// The session timeout: a finding when the VMS breaks the procedure, an update when it differs.
fn settings_ops(
    desired: &ComparableConfig,
    live: &ComparableConfig,
    ops: &mut Vec<Operation>,
    findings: &mut Vec<Finding>,
) {
    let Some(l) = &live.settings else { return };
    if l.session_timeout_minutes > MAX_SESSION_TIMEOUT_MINUTES {
        findings.push(Finding {
            kind: "session-timeout".into(),
            target: "settings".into(),
            message: format!(
                "the VMS disconnects idle admin sessions after {} minutes; PROC-VMS-001 §01 requires at most {MAX_SESSION_TIMEOUT_MINUTES}",
                l.session_timeout_minutes
            ),
        });
    }
    if let Some(d) = &desired.settings {
        if d.session_timeout_minutes != l.session_timeout_minutes {
            ops.push(Operation::new(
                OpKind::SettingsUpdate,
                Target::Settings,
                Class::Settings,
                vec![change(
                    "session_timeout_minutes",
                    json!(l.session_timeout_minutes),
                    json!(d.session_timeout_minutes),
                )],
            ));
        }
    }
}

fn change(path: &str, from: Value, to: Value) -> Change {
    Change {
        path: path.to_string(),
        from,
        to,
    }
}

/// The fields compared for a camera, in display order ([`field_class`] gives their class).
fn camera_fields(c: &ComparableCamera) -> Vec<(&'static str, Value)> {
    vec![
        ("name", json!(c.name)),
        ("vendor", json!(c.vendor)),
        ("model", json!(c.model)),
        ("firmware", json!(c.firmware)),
        ("stream_url", json!(c.stream_url)),
        ("enabled", json!(c.enabled)),
        ("recording.resolution", json!(c.resolution)),
        ("recording.fps", json!(c.fps)),
        ("recording.retention_days", json!(c.retention_days)),
        ("recording.schedule", json!(schedule::lines(&c.schedule))),
    ]
}

/// The gate class of a writable camera field; `None` for read-only ones.
fn field_class(path: &str) -> Option<Class> {
    match path {
        "name" | "stream_url" => Some(Class::Metadata),
        "enabled"
        | "recording.resolution"
        | "recording.fps"
        | "recording.retention_days"
        | "recording.schedule" => Some(Class::Recording),
        // vendor / model / firmware are read-only: findings, never operations.
        _ => None,
    }
}

/// The fields whose values differ, as changes from `from` to `to` (same fields, same order).
fn changed(from: Vec<(&'static str, Value)>, to: Vec<(&'static str, Value)>) -> Vec<Change> {
    from.into_iter()
        .zip(to)
        .filter(|((_, a), (_, b))| a != b)
        .map(|((p, a), (_, b))| change(p, a, b))
        .collect()
}

/// The update of a camera, classed by its strictest change; `None` when nothing writable differs.
fn camera_update(d: &ComparableCamera, l: &ComparableCamera) -> Option<Operation> {
    let mut changes: Vec<Change> = changed(camera_fields(l), camera_fields(d))
        .into_iter()
        .filter(|c| field_class(&c.path).is_some())
        .collect();
    // Kept in the plan: no spare room per operation over thousands of them.
    changes.shrink_to_fit();
    // An update touching several classes takes the strictest.
    let class = changes.iter().filter_map(|c| field_class(&c.path)).max()?;
    Some(Operation::new(
        OpKind::CameraUpdate,
        Target::Camera(d.id.clone()),
        class,
        changes,
    ))
}

/// A finding per read-only field that differs: vmsops reports them, never writes them.
fn read_only_findings(d: &ComparableCamera, l: &ComparableCamera) -> Vec<Finding> {
    [("vendor", &d.vendor, &l.vendor), ("model", &d.model, &l.model), ("firmware", &d.firmware, &l.firmware)]
        .into_iter()
        .filter(|(_, want, have)| want != have)
        .map(|(field, want, have)| Finding {
            kind: format!("{field}-mismatch"),
            target: d.id.clone(),
            message: format!(
                "the VMS reports {field} `{have}`, the repository says `{want}`: {field} is read from the device, so update the repository (or the device) — vmsops never writes it"
            ),
        })
        .collect()
}

/// The fields compared for an alert rule, escalation steps as one line each.
fn alert_fields(a: &ComparableAlert) -> Vec<(&'static str, Value)> {
    let escalation: Vec<String> = a
        .escalation
        .iter()
        .map(|(m, r)| {
            format!(
                "after {m} min: {}",
                r.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    vec![
        ("threshold", json!(a.threshold)),
        ("recipients", json!(a.recipients)),
        ("escalation", json!(escalation)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AlertKind, Day, ScheduleEntry};
    use crate::plan::comparable::{comparable_alert, ComparableSettings};

    fn cam(id: &str) -> ComparableCamera {
        ComparableCamera {
            id: id.into(),
            name: format!("Camera {id}"),
            vendor: "Axis".into(),
            model: "P3265-LVE".into(),
            firmware: "11.9.60".into(),
            stream_url: format!("rtsp://{id}.example/"),
            enabled: true,
            resolution: "1920x1080".into(),
            fps: 15,
            retention_days: 30,
            schedule: schedule::canonical(&[ScheduleEntry {
                days: Day::ALL.to_vec(),
                from: "00:00".into(),
                to: "24:00".into(),
            }]),
            version: None,
        }
    }

    fn config(cams: Vec<ComparableCamera>) -> ComparableConfig {
        ComparableConfig {
            cameras: cams.into_iter().map(|c| (c.id.clone(), c)).collect(),
            alerts: Some(BTreeMap::new()),
            settings: Some(ComparableSettings {
                session_timeout_minutes: 15,
                version: None,
            }),
        }
    }

    #[test]
    fn equal_states_give_no_operation() {
        let a = config(vec![cam("a"), cam("b")]);
        let mut b = a.clone();
        b.cameras.get_mut("a").expect("a").version = Some("7".into());
        assert_eq!(diff(&a, &b), (vec![], vec![]));
    }

    #[test]
    fn creates_updates_deletes_in_id_order_with_classes() {
        let mut desired = config(vec![cam("a"), cam("c"), cam("d")]);
        let live = config(vec![cam("b"), cam("c"), cam("d")]);
        desired.cameras.get_mut("c").expect("c").fps = 25;
        desired.cameras.get_mut("d").expect("d").name = "Dock".into();
        let (ops, _) = diff(&desired, &live);
        let summary: Vec<(OpKind, &str, Class)> = ops
            .iter()
            .map(|o| (o.op, o.target.as_str(), o.class))
            .collect();
        assert_eq!(
            summary,
            [
                (OpKind::CameraCreate, "a", Class::CameraAdd),
                (OpKind::CameraDelete, "b", Class::CameraRemove),
                (OpKind::CameraUpdate, "c", Class::Recording),
                (OpKind::CameraUpdate, "d", Class::Metadata),
            ]
        );
        assert_eq!(
            ops[2].changes,
            [change("recording.fps", json!(15), json!(25))]
        );
    }

    #[test]
    fn strictest_class_wins_and_enabled_is_recording() {
        let mut desired = config(vec![cam("a")]);
        let live = config(vec![cam("a")]);
        let d = desired.cameras.get_mut("a").expect("a");
        d.name = "New".into();
        d.enabled = false;
        let (ops, _) = diff(&desired, &live);
        assert_eq!(ops[0].class, Class::Recording);
        assert_eq!(ops[0].changes.len(), 2);
    }

    #[test]
    fn read_only_fields_are_findings_not_operations() {
        let mut desired = config(vec![cam("a")]);
        let live = config(vec![cam("a")]);
        desired.cameras.get_mut("a").expect("a").firmware = "11.10.0".into();
        let (ops, findings) = diff(&desired, &live);
        assert!(ops.is_empty());
        assert_eq!(findings[0].kind, "firmware-mismatch");
    }

    #[test]
    fn alerts_and_settings() {
        let rule = crate::desired::model::AlertRule {
            kind: AlertKind::DiskFull,
            threshold: 90,
            recipients: vec!["NOC@x.example".into()],
            escalation: vec![],
        };
        let mut desired = config(vec![]);
        let mut live = config(vec![]);
        desired.alerts = Some([(AlertKind::DiskFull, comparable_alert(&rule, None))].into());
        let mut live_rule = rule.clone();
        live_rule.recipients = vec!["noc@x.example".into()];
        live.alerts = Some([(AlertKind::DiskFull, comparable_alert(&live_rule, None))].into());
        live.settings = Some(ComparableSettings {
            session_timeout_minutes: 30,
            version: None,
        });
        let (ops, findings) = diff(&desired, &live);
        assert_eq!(ops.len(), 1, "recipient case is not a difference: {ops:?}");
        assert_eq!(ops[0].op, OpKind::SettingsUpdate);
        assert_eq!(findings[0].kind, "session-timeout");
        // Unmanaged alerts (absent from site.yaml) are never diffed.
        desired.alerts = None;
        live.alerts = Some(BTreeMap::new());
        assert_eq!(diff(&desired, &live).0.len(), 1);
    }
}
