//! Property: applying a plan's changes to the live state leaves nothing to plan.
//!
//! The changes are interpreted field by field (not by copying the desired
//! object), so this also proves that every operation carries complete changes.

use proptest::prelude::*;
use serde_json::Value;

use super::comparable::{ComparableAlert, ComparableCamera, ComparableConfig, ComparableSettings};
use super::diff::diff;
use super::{OpKind, Operation, Target};
use crate::model::schedule::{self, Canonical};
use crate::model::{AlertKind, Day, ScheduleEntry};

fn schedule_from_lines(v: &Value) -> Canonical {
    let entries: Vec<ScheduleEntry> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| {
            let (days, span) = l.as_str()?.split_once(' ')?;
            let (from, to) = span.split_once('-')?;
            let days = days
                .split(',')
                .filter_map(|d| serde_json::from_value(Value::from(d)).ok())
                .collect();
            Some(ScheduleEntry {
                days,
                from: from.into(),
                to: to.into(),
            })
        })
        .collect();
    schedule::canonical(&entries)
}

fn set_camera_field(c: &mut ComparableCamera, path: &str, v: &Value) {
    let s = || v.as_str().unwrap_or_default().to_string();
    let n = || v.as_u64().unwrap_or_default() as u32;
    match path {
        "name" => c.name = s(),
        "vendor" => c.vendor = s(),
        "model" => c.model = s(),
        "firmware" => c.firmware = s(),
        "stream_url" => c.stream_url = s(),
        "enabled" => c.enabled = v.as_bool().unwrap_or_default(),
        "recording.resolution" => c.resolution = s(),
        "recording.fps" => c.fps = n(),
        "recording.retention_days" => c.retention_days = n(),
        "recording.schedule" => c.schedule = schedule_from_lines(v),
        other => panic!("unknown camera path {other}"),
    }
}

fn set_alert_field(a: &mut ComparableAlert, path: &str, v: &Value) {
    match path {
        "threshold" => a.threshold = v.as_u64().unwrap_or_default() as u32,
        "recipients" => {
            a.recipients = v
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        }
        "escalation" => {
            a.escalation = v
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| {
                    let l = l.as_str()?.strip_prefix("after ")?;
                    let (m, r) = l.split_once(" min: ")?;
                    Some((m.parse().ok()?, r.split(", ").map(String::from).collect()))
                })
                .collect()
        }
        other => panic!("unknown alert path {other}"),
    }
}

/// Applies the operations' changes to `live`, as a VMS would.
fn apply(live: &ComparableConfig, ops: &[Operation]) -> ComparableConfig {
    let mut out = live.clone();
    for op in ops {
        match op.op {
            OpKind::CameraCreate | OpKind::CameraUpdate => {
                let c =
                    out.cameras
                        .entry(op.target.to_string())
                        .or_insert_with(|| ComparableCamera {
                            id: op.target.to_string(),
                            name: String::new(),
                            vendor: String::new(),
                            model: String::new(),
                            firmware: String::new(),
                            stream_url: String::new(),
                            enabled: false,
                            resolution: String::new(),
                            fps: 0,
                            retention_days: 0,
                            schedule: Canonical::new(),
                            version: None,
                        });
                for ch in &op.changes {
                    set_camera_field(c, &ch.path, &ch.to);
                }
            }
            OpKind::CameraDelete => {
                out.cameras.remove(op.target.as_str());
            }
            OpKind::AlertCreate | OpKind::AlertUpdate => {
                let Target::Alert(kind) = op.target else {
                    panic!("alert kind");
                };
                let alerts = out.alerts.get_or_insert_with(Default::default);
                let a = alerts.entry(kind).or_insert_with(|| ComparableAlert {
                    kind,
                    threshold: 0,
                    recipients: Default::default(),
                    escalation: Default::default(),
                    version: None,
                });
                for ch in &op.changes {
                    set_alert_field(a, &ch.path, &ch.to);
                }
            }
            OpKind::AlertDelete => {
                let Target::Alert(kind) = op.target else {
                    panic!("alert kind");
                };
                if let Some(a) = out.alerts.as_mut() {
                    a.remove(&kind);
                }
            }
            OpKind::SettingsUpdate => {
                let s = out.settings.get_or_insert(ComparableSettings {
                    session_timeout_minutes: 0,
                    version: None,
                });
                s.session_timeout_minutes = op.changes[0].to.as_u64().unwrap_or_default() as u32;
            }
            OpKind::PolicyChange => {}
        }
    }
    out
}

fn day() -> impl Strategy<Value = Day> {
    prop::sample::select(Day::ALL.to_vec())
}

fn time(end: bool) -> impl Strategy<Value = String> {
    (0u16..=24, prop::sample::select(vec![0u16, 30])).prop_map(move |(h, m)| {
        let (h, m) = if h == 24 {
            if end {
                (24, 0)
            } else {
                (23, m)
            }
        } else {
            (h, m)
        };
        // Both ways of writing an hour, which must compare equal.
        if h < 10 && m == 0 {
            format!("{h}:00")
        } else {
            format!("{h:02}:{m:02}")
        }
    })
}

fn schedule_strategy() -> impl Strategy<Value = Canonical> {
    prop::collection::vec(
        (prop::collection::vec(day(), 1..4), time(false), time(true)),
        1..4,
    )
    .prop_map(|es| {
        let entries: Vec<ScheduleEntry> = es
            .into_iter()
            .map(|(days, from, to)| ScheduleEntry { days, from, to })
            .collect();
        schedule::canonical(&entries)
    })
}

fn camera(id: String) -> impl Strategy<Value = ComparableCamera> {
    (
        prop::sample::select(vec!["Hall", "Quai", "Portail \"N\""]),
        prop::sample::select(vec!["Axis", "Hanwha"]),
        prop::sample::select(vec!["11.9.60", "11.10.0"]),
        any::<bool>(),
        prop::sample::select(vec!["1920x1080", "1280x720"]),
        1u32..=120,
        1u32..=60,
        schedule_strategy(),
    )
        .prop_map(
            move |(name, vendor, firmware, enabled, resolution, fps, retention_days, schedule)| {
                ComparableCamera {
                    id: id.clone(),
                    name: name.into(),
                    vendor: vendor.into(),
                    model: "M".into(),
                    firmware: firmware.into(),
                    stream_url: format!("rtsp://{id}.example/"),
                    enabled,
                    resolution: resolution.into(),
                    fps,
                    retention_days,
                    schedule,
                    version: Some("1".into()),
                }
            },
        )
}

fn alert(kind: AlertKind) -> impl Strategy<Value = ComparableAlert> {
    let emails = prop::collection::btree_set(
        prop::sample::select(vec!["noc@x.example", "rs@x.example", "it@x.example"])
            .prop_map(String::from),
        1..3,
    );
    (
        0u32..100,
        emails.clone(),
        prop::collection::btree_map(1u32..90, emails, 0..3),
    )
        .prop_map(move |(threshold, recipients, escalation)| ComparableAlert {
            kind,
            threshold,
            recipients,
            escalation,
            version: None,
        })
}

fn config() -> impl Strategy<Value = ComparableConfig> {
    let ids = prop::collection::btree_set(
        prop::sample::select(vec!["a", "b", "c", "d", "e"]).prop_map(String::from),
        0..5,
    );
    let kinds = prop::collection::btree_set(
        prop::sample::select(vec![
            AlertKind::SignalLoss,
            AlertKind::DiskFull,
            AlertKind::Temperature,
        ]),
        0..3,
    );
    (ids, kinds, 1u32..40).prop_flat_map(|(ids, kinds, timeout)| {
        let cams: Vec<_> = ids.into_iter().map(camera).collect();
        let alerts: Vec<_> = kinds.into_iter().map(alert).collect();
        (cams, alerts).prop_map(move |(cams, alerts)| ComparableConfig {
            cameras: cams.into_iter().map(|c| (c.id.clone(), c)).collect(),
            alerts: Some(alerts.into_iter().map(|a| (a.kind, a)).collect()),
            settings: Some(ComparableSettings {
                session_timeout_minutes: timeout,
                version: None,
            }),
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn applying_the_plan_leaves_nothing_to_plan(desired in config(), live in config()) {
        let (ops, _) = diff(&desired, &live);
        let after = apply(&live, &ops);
        let (again, _) = diff(&desired, &after);
        prop_assert!(again.is_empty(), "left over: {again:#?}");
    }

    #[test]
    fn a_state_has_no_plan_against_itself(state in config()) {
        prop_assert!(diff(&state, &state).0.is_empty());
    }
}
