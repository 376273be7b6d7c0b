//! ZoneMinder monitors ↔ vmsops cameras, and ZoneMinder's answer shapes. Pure: no network.
//!
//! | vmsops                   | ZoneMinder                                                |
//! |--------------------------|-----------------------------------------------------------|
//! | `id`                     | monitor `Name`                                            |
//! | `stream_url`             | `Path` (`Type` is `Ffmpeg` for cameras vmsops creates)    |
//! | `enabled: true`          | `Enabled=1` and `Function=Record`                         |
//! | `enabled: false`         | `Enabled=0` and `Function=Monitor` (no capture, no recording) |
//! | `recording.resolution`   | `Width` x `Height`                                        |
//! | `recording.fps`          | `MaxFPS` (a decimal string, rounded; empty = unlimited = 120) |
//! | `recording.schedule`     | recorded all the time; partial schedules in `Notes`       |
//! | `recording.retention_days` | the filter `vmsops-retention-<Name>` (see [`super::filters`]) |
//! | `name`, `vendor`, `model`, `firmware` | `Notes`, one `key: value` line each          |
//!
//! A camera is enabled if and only if its monitor is `Enabled` and its
//! `Function` records (`Record`, `Mocord`, `Modect`, `Nodect`): a monitor that
//! only watches (`Monitor`) or does nothing (`None`) reads as `enabled: false`.
//! ZoneMinder has no weekly schedule, so the schedule always reads as
//! "always" unless `Notes` keep a partial one (reported unmanaged, not
//! enforced); an imported site therefore always validates. A monitor without
//! a retention filter reads as [`NO_RETENTION`] days, which no policy allows:
//! drift shows it until a retention is applied. A monitor without `Notes`
//! lines reads as: name = `Name`, vendor/model/firmware = `unknown`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{Camera, Recording};
use crate::model::{Day, ScheduleEntry};

/// Retention read for a monitor that no retention filter covers: events are kept until the
/// disk fills (ZoneMinder's `PurgeWhenFull`).
pub const NO_RETENTION: u32 = 0;
/// What a monitor whose `Notes` lack a hardware line reports.
pub const UNKNOWN: &str = "unknown";
/// First line of the `Notes` vmsops writes.
const NOTES_HEADER: &str = "# managed by vmsops: do not edit these lines by hand";

/// The `Function` values under which ZoneMinder records.
const RECORDING_FUNCTIONS: &[&str] = &["Record", "Mocord", "Modect", "Nodect"];

/// The monitor fields a version covers: any change to one of them changes the version.
const VERSIONED_FIELDS: &[&str] = &[
    "Id", "Name", "Notes", "Type", "Function", "Enabled", "Path", "Width", "Height", "MaxFPS",
];

/// The monitor fields a restore writes back (everything vmsops maps, plus the capture basics).
pub const RESTORED_FIELDS: &[&str] = &[
    "Name",
    "Notes",
    "Type",
    "Function",
    "Enabled",
    "DecodingEnabled",
    "Path",
    "Method",
    "Protocol",
    "Host",
    "Port",
    "SubPath",
    "Width",
    "Height",
    "Colours",
    "Orientation",
    "MaxFPS",
    "AlarmMaxFPS",
    "SectionLength",
    "MinSectionLength",
    "StorageId",
    "SaveJPEGs",
    "VideoWriter",
    "RecordAudio",
    "EventPrefix",
    "ImageBufferCount",
    "PreEventCount",
    "PostEventCount",
];

/// What vmsops keeps in a monitor's `Notes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notes {
    /// Display name.
    pub name: Option<String>,
    /// Manufacturer.
    pub vendor: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Firmware.
    pub firmware: Option<String>,
    /// Declared schedule when it is not "always" (ZoneMinder records all the time).
    pub schedule: Option<Vec<ScheduleEntry>>,
}

impl Notes {
    /// Reads the `key: value` lines; anything else is ignored.
    pub fn parse(text: &str) -> Notes {
        let mut n = Notes::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim().to_string();
            match key.trim() {
                "name" => n.name = Some(value),
                "vendor" => n.vendor = Some(value),
                "model" => n.model = Some(value),
                "firmware" => n.firmware = Some(value),
                "schedule" => n.schedule = serde_json::from_str(&value).ok(),
                _ => {}
            }
        }
        n
    }

    /// The text written to `Notes`.
    pub fn render(&self) -> String {
        let mut out = vec![NOTES_HEADER.to_string()];
        let one_line = |s: &str| s.replace(['\n', '\r'], " ");
        for (k, v) in [
            ("name", &self.name),
            ("vendor", &self.vendor),
            ("model", &self.model),
            ("firmware", &self.firmware),
        ] {
            if let Some(v) = v {
                out.push(format!("{k}: {}", one_line(v)));
            }
        }
        if let Some(s) = &self.schedule {
            out.push(format!(
                "schedule: {}",
                serde_json::to_string(s).unwrap_or_default()
            ));
        }
        out.join("\n")
    }
}

/// Every day, all day: what a monitor that records all the time does.
pub fn always() -> Vec<ScheduleEntry> {
    vec![ScheduleEntry {
        days: Day::ALL.to_vec(),
        from: "00:00".into(),
        to: "24:00".into(),
    }]
}

fn is_always(schedule: &[ScheduleEntry]) -> bool {
    crate::model::schedule::canonical(schedule) == crate::model::schedule::canonical(&always())
}

/// A field as text: strings as they are, numbers and booleans printed, null empty.
pub fn text(m: &Value, field: &str) -> String {
    match m.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// A numeric field, whether ZoneMinder sends it as a number, a decimal string or a boolean.
pub fn number(m: &Value, field: &str) -> Option<f64> {
    match m.get(field)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// The version of a camera: a hash of its monitor's mapped fields and its retention filter.
pub fn version(m: &Value, retention: Option<u32>) -> String {
    let mut bytes = format!("retention={retention:?}").into_bytes();
    for f in VERSIONED_FIELDS {
        bytes.extend_from_slice(f.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(text(m, f).as_bytes());
        bytes.push(0);
    }
    let mut hex = crate::canonical::sha256_hex(&bytes);
    hex.truncate(16);
    hex
}

/// Whether monitor `m` captures and records: `Enabled` with a recording `Function`.
pub fn records(m: &Value) -> bool {
    RECORDING_FUNCTIONS.contains(&text(m, "Function").as_str())
        && number(m, "Enabled").unwrap_or(0.0) != 0.0
}

/// ZoneMinder's empty `MaxFPS` means "as fast as the camera sends": it reads as
/// the most vmsops allows, so an imported site validates and round-trips.
pub const UNLIMITED_FPS: u32 = 120;

/// The camera a monitor (the inner `Monitor` object) stands for, with the retention its
/// filter enforces (`None`: no retention filter).
pub fn camera(m: &Value, retention: Option<u32>) -> Result<Camera, String> {
    let name = text(m, "Name");
    if name.is_empty() {
        return Err("a monitor has no Name".into());
    }
    let notes = Notes::parse(&text(m, "Notes"));
    let width = number(m, "Width").ok_or_else(|| format!("monitor {name} has no Width"))?;
    let height = number(m, "Height").ok_or_else(|| format!("monitor {name} has no Height"))?;
    let fps = match number(m, "MaxFPS") {
        Some(f) if f > 0.0 => f.round().clamp(1.0, f64::from(UNLIMITED_FPS)) as u32,
        _ => UNLIMITED_FPS,
    };
    let schedule = notes
        .schedule
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(always);
    let or_unknown = |v: &Option<String>| {
        v.clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| UNKNOWN.into())
    };
    Ok(Camera {
        id: name.clone(),
        name: notes.name.clone().filter(|s| !s.is_empty()).unwrap_or(name),
        vendor: or_unknown(&notes.vendor),
        model: or_unknown(&notes.model),
        firmware: or_unknown(&notes.firmware),
        stream_url: text(m, "Path"),
        enabled: records(m),
        recording: Recording {
            resolution: format!("{}x{}", width as u64, height as u64),
            fps,
            retention_days: retention.unwrap_or(NO_RETENTION),
            schedule,
        },
        version: version(m, retention),
    })
}

/// The `Monitor[...]` form fields that make a monitor match `camera`.
pub fn monitor_fields(camera: &Camera) -> Result<BTreeMap<&'static str, String>, String> {
    let (w, h) = camera
        .recording
        .resolution
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .ok_or_else(|| format!("resolution `{}` is not WxH", camera.recording.resolution))?;
    let schedule = &camera.recording.schedule;
    let notes = Notes {
        name: Some(camera.name.clone()),
        vendor: Some(camera.vendor.clone()),
        model: Some(camera.model.clone()),
        firmware: Some(camera.firmware.clone()),
        schedule: (!schedule.is_empty() && !is_always(schedule)).then(|| schedule.clone()),
    };
    // A disabled camera neither captures nor records; an empty schedule cannot pass
    // `validate`, and is written the same way for safety.
    let function = if camera.enabled && !schedule.is_empty() {
        "Record"
    } else {
        "Monitor"
    };
    Ok(BTreeMap::from([
        ("Name", camera.id.clone()),
        ("Notes", notes.render()),
        ("Path", camera.stream_url.clone()),
        ("Enabled", u8::from(camera.enabled).to_string()),
        ("Width", w.to_string()),
        ("Height", h.to_string()),
        ("MaxFPS", camera.recording.fps.to_string()),
        ("Function", function.to_string()),
    ]))
}

/// Why a ZoneMinder answer is an error, if it is one (ZoneMinder answers some errors with 200).
///
/// Never returns the answer's `url`, which repeats the token.
pub fn body_error(body: &Value) -> Option<String> {
    if body.get("success") == Some(&Value::Bool(false)) {
        let data = body.get("data");
        let message = data
            .and_then(|d| d.get("exception"))
            .and_then(|e| e.get("message"))
            .or_else(|| data.and_then(|d| d.get("message")))
            .and_then(Value::as_str)
            .unwrap_or("the request failed");
        return Some(message.to_string());
    }
    let message = body.get("message").and_then(Value::as_str)?;
    if message.starts_with("Error") {
        return Some(flatten_php_error(message));
    }
    None
}

/// `Error Array ( [Function] => Array ( [0] => Please choose … ) )` → `Function: Please choose …`.
fn flatten_php_error(message: &str) -> String {
    let mut field = None;
    let mut out: Vec<String> = Vec::new();
    for line in message.lines().map(str::trim) {
        let Some((key, value)) = line.split_once("=>") else {
            continue;
        };
        let key = key.trim().trim_start_matches('[').trim_end_matches(']');
        let value = value.trim();
        if value == "Array" {
            field = Some(key.to_string());
        } else if let Some(f) = &field {
            let item = format!("{f}: {value}");
            if !out.contains(&item) {
                out.push(item);
            }
        }
    }
    if out.is_empty() {
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        out.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn monitor() -> Value {
        json!({
            "Id": 3, "Name": "hall-01", "Notes": "", "Type": "Ffmpeg", "Function": "Record",
            "Enabled": 1, "Path": "rtsp://hall-01.cams.example/live", "Width": 1920, "Height": 1080,
            "MaxFPS": "15.00"
        })
    }

    /// The test monitor with `fields` written over it, as a save in ZoneMinder does.
    fn saved(fields: &BTreeMap<&'static str, String>) -> Value {
        let mut m = monitor();
        for (k, v) in fields {
            m[*k] = json!(v);
        }
        m
    }

    fn cam() -> Camera {
        Camera {
            id: "hall-01".into(),
            name: "Hall: entrance".into(),
            vendor: "Axis".into(),
            model: "P3265-LVE".into(),
            firmware: "11.9.60".into(),
            stream_url: "rtsp://hall-01.cams.example/live".into(),
            enabled: true,
            recording: Recording {
                resolution: "1280x720".into(),
                fps: 10,
                retention_days: 14,
                schedule: always(),
            },
            version: String::new(),
        }
    }

    #[test]
    fn a_bare_monitor_reads_with_documented_defaults() {
        let c = camera(&monitor(), None).expect("camera");
        assert_eq!(c.id, "hall-01");
        assert_eq!(c.name, "hall-01");
        assert_eq!((c.vendor.as_str(), c.firmware.as_str()), (UNKNOWN, UNKNOWN));
        assert_eq!(c.recording.resolution, "1920x1080");
        assert_eq!(c.recording.fps, 15);
        assert_eq!(c.recording.retention_days, NO_RETENTION);
        assert_eq!(c.recording.schedule, always());
        assert!(c.enabled);
        assert_eq!(
            camera(&monitor(), Some(14))
                .expect("camera")
                .recording
                .retention_days,
            14
        );
    }

    #[test]
    fn an_unlimited_or_odd_frame_rate_reads_within_what_vmsops_allows() {
        for (max_fps, fps) in [
            (json!(""), UNLIMITED_FPS),
            (json!(null), UNLIMITED_FPS),
            (json!("0.00"), UNLIMITED_FPS),
            (json!("0.40"), 1),
            (json!("240"), 120),
            (json!("12.60"), 13),
        ] {
            let mut m = monitor();
            m["MaxFPS"] = max_fps.clone();
            assert_eq!(
                camera(&m, Some(14)).expect("camera").recording.fps,
                fps,
                "{max_fps}"
            );
        }
        // What is written reads back the same: the round trip stays clean.
        let mut m = monitor();
        m["MaxFPS"] = json!("");
        let c = camera(&m, Some(14)).expect("camera");
        m["MaxFPS"] = json!(c.recording.fps.to_string());
        assert_eq!(
            camera(&m, Some(14)).expect("camera").recording.fps,
            UNLIMITED_FPS
        );
    }

    #[test]
    fn a_monitor_that_does_not_record_reads_as_a_disabled_camera_that_validates() {
        for (function, enabled) in [("Monitor", "1"), ("None", "1"), ("Record", "0")] {
            let mut m = monitor();
            m["Function"] = json!(function);
            m["Enabled"] = json!(enabled);
            let c = camera(&m, Some(14)).expect("camera");
            assert!(!c.enabled, "{function}/{enabled}");
            // `validate` refuses an empty schedule: it reads as always, like the import writes it.
            assert_eq!(c.recording.schedule, always(), "{function}/{enabled}");
        }
        // …and `enabled: false` is written back as a monitor that neither captures nor records.
        let mut off = cam();
        off.enabled = false;
        let fields = monitor_fields(&off).expect("fields");
        assert_eq!(
            (fields["Function"].as_str(), fields["Enabled"].as_str()),
            ("Monitor", "0")
        );
        let back = camera(&saved(&fields), Some(14)).expect("camera");
        assert_eq!(
            Camera {
                version: String::new(),
                ..back
            },
            off
        );
    }

    #[test]
    fn a_camera_round_trips_through_monitor_fields() {
        let mut partial = cam();
        partial.recording.schedule = vec![ScheduleEntry {
            days: vec![Day::Mon, Day::Tue],
            from: "20:00".into(),
            to: "24:00".into(),
        }];
        for want in [cam(), partial] {
            let fields = monitor_fields(&want).expect("fields");
            let got = camera(&saved(&fields), Some(14)).expect("camera");
            assert_eq!(
                Camera {
                    version: String::new(),
                    ..got
                },
                want
            );
        }
        let mut none = cam();
        none.recording.schedule.clear();
        assert_eq!(
            monitor_fields(&none).expect("fields")["Function"],
            "Monitor"
        );
        assert!(!monitor_fields(&cam()).expect("fields")["Notes"].contains("retention"));
        assert_eq!(
            monitor_fields(&cam()).expect("fields")["Function"],
            "Record"
        );
        assert!(!monitor_fields(&cam()).expect("fields")["Notes"].contains("schedule"));
    }

    #[test]
    fn the_version_changes_with_any_mapped_field() {
        let a = version(&monitor(), Some(14));
        assert_eq!(a, version(&monitor(), Some(14)));
        assert_ne!(
            a,
            version(&monitor(), Some(7)),
            "the retention filter is versioned"
        );
        assert_ne!(a, version(&monitor(), None));
        let mut b = monitor();
        b["MaxFPS"] = json!("5.00");
        assert_ne!(a, version(&b, Some(14)));
        let mut c = monitor();
        c["Colours"] = json!(4);
        assert_eq!(
            a,
            version(&c, Some(14)),
            "an unmapped field is not versioned"
        );
    }

    #[test]
    fn notes_survive_odd_text() {
        let n = Notes {
            name: Some("Line\nbreak".into()),
            vendor: Some("Axis".into()),
            ..Notes::default()
        };
        let back = Notes::parse(&format!("operator's remark\n{}", n.render()));
        assert_eq!(back.name.as_deref(), Some("Line break"));
        assert_eq!(back.vendor.as_deref(), Some("Axis"));
    }

    #[test]
    fn errors_in_bodies_are_found_without_the_url() {
        let php = json!({"message": "Error Array\n(\n    [Function] => Array\n        (\n            [0] => Please choose one of the following values : None, Monitor\n            [1] => Please choose one of the following values : None, Monitor\n        )\n\n)\n"});
        assert_eq!(
            body_error(&php).as_deref(),
            Some("Function: Please choose one of the following values : None, Monitor")
        );
        let cake = json!({"success": false, "data": {"name": "Invalid monitor", "message": "Invalid monitor",
            "url": "/zm/api/monitors/99.json?token=eyJsecret", "exception": {"class": "NotFoundException", "code": 404, "message": "Invalid monitor"}}});
        let e = body_error(&cake).expect("error");
        assert_eq!(e, "Invalid monitor");
        assert!(body_error(&json!({"message": "Saved"})).is_none());
        assert!(body_error(&json!({"monitors": []})).is_none());
    }
}
