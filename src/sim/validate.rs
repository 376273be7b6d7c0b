//! What the reference VMS accepts in a request body, beyond its JSON types.
//!
//! Every problem of a body is reported at once, as `{"field","message"}`
//! items in the 422 answer's `detail`. Policy (retention bounds, the 15-minute
//! session limit) is not the VMS's business and is not checked here.
//!
//! Must never stop at the first problem, nor check policy.

use serde::Serialize;

use super::api_error::ApiError;
use super::model::{AlertRuleBody, CameraBody, Recording, SettingsBody};
use crate::model::schedule::parse_hhmm;
use crate::model::{is_ident, parse_resolution};

/// Longest accepted text field (names, vendors, URLs, recipients).
const MAX_TEXT: usize = 1024;

/// One problem in a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where, e.g. `recording.fps` or `cameras[3].id`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Collects problems under a path prefix.
#[derive(Debug, Default)]
pub struct Problems {
    /// The problems found so far.
    pub items: Vec<Problem>,
}

/// `field` under `prefix`: `prefix.field`, or either one alone when the other is empty.
fn join(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}.{field}"),
    }
}

impl Problems {
    fn push(&mut self, prefix: &str, field: &str, message: impl Into<String>) {
        self.items.push(Problem {
            field: join(prefix, field),
            message: message.into(),
        });
    }

    fn text(&mut self, prefix: &str, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.push(prefix, field, "must not be empty");
        } else if value.len() > MAX_TEXT {
            self.push(prefix, field, format!("longer than {MAX_TEXT} bytes"));
        }
    }

    /// Checks a camera id.
    pub fn camera_id(&mut self, prefix: &str, id: &str) {
        if !is_ident(id) {
            self.push(
                prefix,
                "id",
                "must be 1 to 63 lowercase letters, digits or `-`",
            );
        }
    }

    /// Checks a camera body (not its id).
    pub fn camera(&mut self, prefix: &str, c: &CameraBody) {
        self.text(prefix, "name", &c.name);
        self.text(prefix, "vendor", &c.vendor);
        self.text(prefix, "model", &c.model);
        self.text(prefix, "firmware", &c.firmware);
        self.text(prefix, "stream_url", &c.stream_url);
        if !c.stream_url.trim().is_empty() && url::Url::parse(&c.stream_url).is_err() {
            self.push(prefix, "stream_url", "not a URL");
        }
        self.recording(&join(prefix, "recording"), &c.recording);
    }

    fn recording(&mut self, prefix: &str, r: &Recording) {
        if parse_resolution(&r.resolution).is_none() {
            self.push(prefix, "resolution", "must be WIDTHxHEIGHT, e.g. 1920x1080");
        }
        if !(1..=120).contains(&r.fps) {
            self.push(prefix, "fps", "must be from 1 to 120");
        }
        if !(1..=3650).contains(&r.retention_days) {
            self.push(prefix, "retention_days", "must be from 1 to 3650");
        }
        for (i, e) in r.schedule.iter().enumerate() {
            let p = format!("{prefix}.schedule[{i}]");
            if e.days.is_empty() {
                self.push(&p, "days", "must list at least one day");
            }
            let from = parse_hhmm(&e.from, false);
            let to = parse_hhmm(&e.to, true);
            if from.is_none() {
                self.push(&p, "from", "must be HH:MM from 00:00 to 23:59");
            }
            if to.is_none() {
                self.push(&p, "to", "must be HH:MM from 00:00 to 24:00");
            }
            if let (Some(f), Some(t)) = (from, to) {
                if t <= f {
                    self.push(&p, "to", "must be after `from`");
                }
            }
        }
    }

    /// Checks an alert rule body.
    pub fn alert_rule(&mut self, prefix: &str, r: &AlertRuleBody) {
        self.recipients(prefix, "recipients", &r.recipients);
        for (i, e) in r.escalation.iter().enumerate() {
            let p = join(prefix, &format!("escalation[{i}]"));
            if e.after_minutes == 0 {
                self.push(&p, "after_minutes", "must be at least 1");
            }
            self.recipients(&p, "recipients", &e.recipients);
        }
    }

    fn recipients(&mut self, prefix: &str, field: &str, list: &[String]) {
        if list.is_empty() {
            self.push(prefix, field, "must name at least one recipient");
        }
        for (i, r) in list.iter().enumerate() {
            self.text(prefix, &format!("{field}[{i}]"), r);
        }
    }

    /// Checks a settings body.
    pub fn settings(&mut self, prefix: &str, s: &SettingsBody) {
        if !(1..=1440).contains(&s.session_timeout_minutes) {
            self.push(prefix, "session_timeout_minutes", "must be from 1 to 1440");
        }
    }

    /// Adds a problem found by the caller.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.push("", field, message);
    }

    /// True if and only if no problem was found.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Ok if no problem was found, else the 422 answer: `message` and every problem in `detail`.
    pub fn check(self, message: &str) -> Result<(), ApiError> {
        if self.items.is_empty() {
            return Ok(());
        }
        Err(ApiError::unprocessable(message).with_detail(serde_json::json!(self.items)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Day, ScheduleEntry};

    fn body() -> CameraBody {
        CameraBody {
            id: Some("hall-01".into()),
            name: "Hall".into(),
            vendor: "Axis".into(),
            model: "P3265-LVE".into(),
            firmware: "11.9.60".into(),
            stream_url: "rtsp://hall-01/media".into(),
            enabled: true,
            recording: Recording {
                resolution: "1920x1080".into(),
                fps: 15,
                retention_days: 30,
                schedule: vec![ScheduleEntry {
                    days: vec![Day::Mon],
                    from: "00:00".into(),
                    to: "24:00".into(),
                }],
            },
        }
    }

    #[test]
    fn a_good_camera_has_no_problem() {
        let mut p = Problems::default();
        p.camera("", &body());
        assert!(p.is_empty(), "{:?}", p.items);
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let mut b = body();
        b.name = " ".into();
        b.stream_url = "not a url".into();
        b.recording.resolution = "1920*1080".into();
        b.recording.fps = 121;
        b.recording.schedule[0].from = "25:00".into();
        b.recording.schedule[0].days.clear();
        let mut p = Problems::default();
        p.camera("cameras[2]", &b);
        let fields: Vec<_> = p.items.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "cameras[2].name",
                "cameras[2].stream_url",
                "cameras[2].recording.resolution",
                "cameras[2].recording.fps",
                "cameras[2].recording.schedule[0].days",
                "cameras[2].recording.schedule[0].from",
            ]
        );
    }

    #[test]
    fn schedule_spans_end_after_they_start() {
        let mut b = body();
        b.recording.schedule[0].from = "22:00".into();
        b.recording.schedule[0].to = "06:00".into();
        let mut p = Problems::default();
        p.camera("", &b);
        assert_eq!(p.items[0].field, "recording.schedule[0].to");
    }

    #[test]
    fn settings_and_rules_have_bounds() {
        let mut p = Problems::default();
        p.settings(
            "",
            &SettingsBody {
                session_timeout_minutes: 0,
            },
        );
        p.alert_rule(
            "",
            &AlertRuleBody {
                kind: None,
                threshold: 1,
                recipients: vec![],
                escalation: vec![crate::model::Escalation {
                    after_minutes: 0,
                    recipients: vec!["a@b.c".into()],
                }],
            },
        );
        let fields: Vec<_> = p.items.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "session_timeout_minutes",
                "recipients",
                "escalation[0].after_minutes"
            ]
        );
    }
}
