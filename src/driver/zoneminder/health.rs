//! A monitor's stream health, read from what ZoneMinder 1.36 shows of it.
//!
//! ZoneMinder has no "connected since": the capture daemon (`zmc -m ID`) is the
//! stream, and an API edit restarts it, so the daemon's start time
//! (`daemonStatus`) is the moment the stream (re)started. Measured on 1.36.33:
//! an edit ends the old daemon within ~0.2 s (`NotRunning`, still showing the old
//! fps), the new one reads `Running` until its source answers, `Connected` after
//! 1–6 s, and its `CaptureFPS` settles a few seconds later. A daemon that cannot
//! reach its source keeps reading `Running` at 0 fps — `daemonStatus` still says
//! "running" — and logs `Unable to open input … due to: …` under its pid every
//! few seconds; zmdc restarts it now and then. So:
//!
//! | what ZoneMinder shows | state |
//! |---|---|
//! | not `Enabled`, or a `Function` that does not record | disabled |
//! | `Connected`, `CaptureFPS` ≥ 1, daemon up [`MIN_UP`] | connected, since the daemon started |
//! | `Connected` at 0 fps, daemon up less than [`SETTLE`] | connecting (fps not measured yet) |
//! | `Connected` at 0 fps after that | connected at 0 fps (degraded) |
//! | otherwise, an error logged by this daemon, or by any in the last [`RECENT`] | disconnected, with ZoneMinder's message |
//! | no capture daemon | connecting (zmdc starts it) |
//! | daemon up less than [`MIN_UP`] | connecting (the status row may still be the old daemon's) |
//! | not `Connected` for [`CONNECT_LIMIT`] | disconnected |
//! | not `Connected` otherwise | connecting |
//!
//! Recording: the monitor's newest event is still open and began after the
//! daemon started. ZoneMinder writes an open event's frame count to its database
//! every 100 frames only (20 s at 5 fps), so growth between two reads seconds
//! apart is not observable; an open event of the current capture is the evidence.

use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use reqwest::Method;
use serde_json::Value;

use super::{mapping, parse_time, DriverError, ZoneMinderDriver};
use crate::model::health::{floor_second, CameraStatus, StreamCondition};

/// A capture younger than this reads as connecting: its status row may still be the old one's.
pub const MIN_UP: Duration = Duration::from_secs(2);
/// How long a connected capture may read 0 fps before that counts.
pub const SETTLE: Duration = Duration::from_secs(10);
/// How long a capture may try to connect, without logging an error, before it is disconnected.
pub const CONNECT_LIMIT: Duration = Duration::from_secs(60);
/// How long a capture's error still tells why it is not connected, whichever process wrote it.
pub const RECENT: Duration = Duration::from_secs(30);
/// How far ahead of this machine's clock ZoneMinder's may be before its times are not believed.
pub const SKEW: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);
/// Capture log lines read, newest first.
const LOG_LINES: usize = 20;

/// The capture daemon of a monitor, as `daemonStatus` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// When it started.
    pub since: Timestamp,
    /// Its process id, which names its log lines.
    pub pid: u64,
}

/// The newest event of a monitor.
#[derive(Debug, Clone, PartialEq)]
pub struct NewestEvent {
    /// When it began.
    pub start: Timestamp,
    /// Whether it is still open (no end yet).
    pub open: bool,
}

/// Everything read about one monitor, at `now`.
#[derive(Debug, Clone)]
pub struct Observed {
    /// Whether the monitor captures and records.
    pub records: bool,
    /// `Monitor_Status.Status` (empty when the row is missing).
    pub status: String,
    /// `Monitor_Status.CaptureFPS`.
    pub capture_fps: f64,
    /// The capture daemon, when it runs.
    pub capture: Option<Capture>,
    /// The newest error this daemon logged, when there is one.
    pub error: Option<String>,
    /// The monitor's newest event.
    pub event: Option<NewestEvent>,
    /// When it was read.
    pub now: Timestamp,
}

/// The stream state `o` shows.
pub fn status_of(o: &Observed) -> CameraStatus {
    let since = o.capture.as_ref().map(|c| c.since);
    let at = |condition, fps, reason: Option<String>| CameraStatus {
        condition,
        fps,
        recording: Some(false),
        since,
        reason,
    };
    if !o.records {
        return CameraStatus {
            since: None,
            ..at(StreamCondition::Disabled, None, None)
        };
    }
    if let Some(s) = since {
        if s > o.now + SKEW {
            // Never count a capture that seems to start later as one that started after a change.
            return CameraStatus::unknown(format!(
                "ZoneMinder says its capture started at {s}, in the future: its time zone (ZM_TIMEZONE) or clock disagrees with this machine's"
            ));
        }
    }
    // A capture start a little ahead of this clock is a fresh start, not a long one.
    let up = since.map(|s| {
        o.now
            .duration_since(s)
            .max(jiff::SignedDuration::ZERO)
            .unsigned_abs()
    });
    let connecting = |why: &str| at(StreamCondition::Connecting, None, Some(why.into()));
    if let (Some(capture), Some(up)) = (&o.capture, up) {
        if o.status == "Connected" && up >= MIN_UP {
            if o.capture_fps < 1.0 && up < SETTLE {
                return connecting("connected; ZoneMinder has not measured its frame rate yet");
            }
            let recording = o
                .event
                .as_ref()
                .is_some_and(|e| e.open && e.start >= floor_second(capture.since));
            return CameraStatus {
                recording: Some(recording),
                ..at(StreamCondition::Connected, Some(o.capture_fps), None)
            };
        }
    }
    if let Some(error) = &o.error {
        return at(
            StreamCondition::Disconnected,
            Some(0.0),
            Some(format!(
                "ZoneMinder cannot read the stream: {}",
                redact_urls(error)
            )),
        );
    }
    match up {
        None => connecting("ZoneMinder's capture daemon is not running (zmdc starts it)"),
        Some(up) if up < MIN_UP => connecting("ZoneMinder's capture has just (re)started"),
        Some(up) if up >= CONNECT_LIMIT => at(
            StreamCondition::Disconnected,
            Some(0.0),
            Some(format!(
                "ZoneMinder's capture has not connected in {}s",
                up.as_secs()
            )),
        ),
        Some(_) => connecting("ZoneMinder's capture is connecting to its source"),
    }
}

/// The capture daemon `daemonStatus` describes: `'zmc -m 7' running since 26/12/04
/// 08:15:34, pid = 32736`; `None` when it does not run.
pub fn capture_of(answer: &Value, tz: &TimeZone) -> Option<Capture> {
    if answer.get("status").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    let text = answer.get("statustext")?.as_str()?;
    let rest = text.split_once("running since ")?.1;
    let (when, rest) = rest.split_once(',')?;
    let pid = rest.split_once("pid = ")?.1.trim().parse().ok()?;
    let since = jiff::civil::DateTime::strptime("%y/%m/%d %H:%M:%S", when.trim())
        .ok()?
        .to_zoned(tz.clone())
        .ok()?
        .timestamp();
    Some(Capture { since, pid })
}

/// The newest error among `logs` (newest first) of the capture `component` that is not
/// connected: written by its current process `pid`, or in the [`RECENT`] before
/// `now` (zmdc restarts a capture that fails, and the new one has not failed yet);
/// the one that says why the source cannot be opened when there is one.
pub fn error_of(
    logs: &[Value],
    component: &str,
    pid: Option<u64>,
    now: Timestamp,
) -> Option<String> {
    let recent = now.as_second().saturating_sub(RECENT.as_secs() as i64) as f64;
    let errors: Vec<String> = logs
        .iter()
        .filter_map(|l| l.get("Log"))
        // ZoneMinder 1.36 answers the component filter with other components' lines too.
        .filter(|l| mapping::text(l, "Component") == component)
        .filter(|l| mapping::number(l, "Level").is_some_and(|level| level < 0.0))
        .filter(|l| {
            pid.is_some_and(|pid| mapping::number(l, "Pid") == Some(pid as f64))
                || mapping::number(l, "TimeKey").is_some_and(|t| t >= recent)
        })
        .map(|l| mapping::text(l, "Message"))
        .collect();
    errors
        .iter()
        .find(|m| m.starts_with("Unable to open"))
        .or(errors.first())
        .cloned()
}

/// `text` with what may be a credential in every URL it holds replaced: the user and
/// password (`rtsp://user:pass@host`), the query (`?user=admin&pwd=…`, common for
/// MJPEG cameras) and the fragment.
fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let url_end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        let (url, after) = tail.split_at(url_end);
        let authority_end = url.find('/').unwrap_or(url.len());
        let url = match url[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("[redacted]@");
                &url[at + 1..]
            }
            None => url,
        };
        match url.find(['?', '#']) {
            Some(q) => {
                out.push_str(&url[..q]);
                out.push_str("?[redacted]");
            }
            None => out.push_str(url),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

impl ZoneMinderDriver {
    /// The zone ZoneMinder writes its times in (`ZM_TIMEZONE`, else UTC), read once.
    pub(super) async fn server_tz(&self) -> TimeZone {
        if let Some(tz) = self.tz.get() {
            return tz.clone();
        }
        let tz = match self.setting("ZM_TIMEZONE").await {
            Ok(name) if !name.trim().is_empty() => {
                TimeZone::get(name.trim()).unwrap_or(TimeZone::UTC)
            }
            Ok(_) => TimeZone::UTC,
            // Not remembered: the next read asks again.
            Err(_) => return TimeZone::UTC,
        };
        self.tz.get_or_init(|| tz).clone()
    }

    /// Camera `name`'s stream now.
    pub(super) async fn stream_status(&self, name: &str) -> Result<CameraStatus, DriverError> {
        let Some(entry) = self.monitor_entry(name).await? else {
            return Err(DriverError::NotFound {
                method: "GET".into(),
                path: "/api/monitors.json".into(),
                message: format!("no monitor named {name}"),
            });
        };
        let m = &entry["Monitor"];
        let status = &entry["Monitor_Status"];
        let id = mapping::text(m, "Id");
        let tz = self.server_tz().await;
        let mut o = Observed {
            records: mapping::records(m),
            status: mapping::text(status, "Status"),
            capture_fps: mapping::number(status, "CaptureFPS").unwrap_or(0.0),
            capture: None,
            error: None,
            event: None,
            now: Timestamp::now(),
        };
        if !o.records {
            return Ok(status_of(&o));
        }
        let daemon = self
            .call(
                Method::GET,
                &[
                    "monitors",
                    "daemonStatus",
                    &format!("id:{id}"),
                    "daemon:zmc.json",
                ],
                &[],
                None,
            )
            .await?;
        o.capture = capture_of(&daemon.body, &tz);
        if o.status == "Connected" && o.capture.is_some() {
            o.event = self
                .first_event(&id, "desc")
                .await?
                .and_then(|e| newest_event(&e, &tz));
        } else {
            let pid = o.capture.as_ref().map(|c| c.pid);
            o.error = self.capture_error(&id, pid, o.now).await?;
        }
        Ok(status_of(&o))
    }

    /// The newest error that tells why monitor `id`'s capture (now process `pid`) is not connected.
    async fn capture_error(
        &self,
        id: &str,
        pid: Option<u64>,
        now: Timestamp,
    ) -> Result<Option<String>, DriverError> {
        let component = format!("zmc_m{id}");
        let file = format!("Component:{component}.json");
        let query = [
            ("sort", "TimeKey".to_string()),
            ("direction", "desc".to_string()),
            ("limit", LOG_LINES.to_string()),
        ];
        let answer = self
            .call(Method::GET, &["logs", "index", &file], &query, None)
            .await?;
        Ok(error_of(answer.list("logs")?, &component, pid, now))
    }
}

/// The start and openness of event `e` (the inner `Event` object).
fn newest_event(e: &Value, tz: &TimeZone) -> Option<NewestEvent> {
    let start = parse_time(&mapping::text(e, "StartDateTime"), tz)?;
    Some(NewestEvent {
        start,
        open: mapping::text(e, "EndDateTime").is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn observed(status: &str, fps: f64, up_secs: i64) -> Observed {
        let now = t("2026-12-04T08:16:00Z");
        Observed {
            records: true,
            status: status.into(),
            capture_fps: fps,
            capture: Some(Capture {
                since: now - jiff::SignedDuration::from_secs(up_secs),
                pid: 7,
            }),
            error: None,
            event: None,
            now,
        }
    }

    #[test]
    fn each_reading_has_its_condition() {
        let condition = |o: &Observed| status_of(o).condition;
        assert_eq!(
            condition(&Observed {
                records: false,
                ..observed("Connected", 5.0, 30)
            }),
            StreamCondition::Disabled
        );
        assert_eq!(
            condition(&Observed {
                capture: None,
                ..observed("Connected", 5.0, 30)
            }),
            StreamCondition::Connecting,
            "a status row without a daemon is stale"
        );
        assert_eq!(
            condition(&Observed {
                capture: None,
                error: Some("Unable to open input".into()),
                ..observed("Running", 0.0, 30)
            }),
            StreamCondition::Disconnected,
            "between two daemons, the last one's error"
        );
        assert_eq!(
            condition(&observed("Connected", 5.0, 1)),
            StreamCondition::Connecting
        );
        assert_eq!(
            condition(&observed("Connected", 5.0, 3)),
            StreamCondition::Connected
        );
        assert_eq!(
            condition(&observed("Connected", 0.0, 5)),
            StreamCondition::Connecting
        );
        let stuck = status_of(&observed("Connected", 0.0, 30));
        assert_eq!(
            (stuck.condition, stuck.fps),
            (StreamCondition::Connected, Some(0.0))
        );
        assert_eq!(
            condition(&observed("Running", 0.0, 5)),
            StreamCondition::Connecting
        );
        assert_eq!(
            condition(&observed("Connected", 5.0, -20)),
            StreamCondition::Connecting,
            "a start a little ahead of this clock is fresh"
        );
        let ahead = status_of(&observed("Connected", 5.0, -3600));
        assert_eq!(
            ahead.condition,
            StreamCondition::Unknown,
            "an hour ahead: the zone is wrong"
        );
        assert!(ahead.reason.expect("reason").contains("ZM_TIMEZONE"));
        assert_eq!(
            condition(&observed("Running", 0.0, 61)),
            StreamCondition::Disconnected
        );
        let refused = status_of(&Observed {
            error: Some(
                "Unable to open input rtsp://viewer:s3cret@10.0.0.9/live due to: Connection refused"
                    .into(),
            ),
            ..observed("Running", 0.0, 5)
        });
        assert_eq!(refused.condition, StreamCondition::Disconnected);
        let why = refused.reason.expect("reason");
        assert!(why.contains("Connection refused"), "{why}");
        assert!(!why.contains("s3cret") && !why.contains("viewer"), "{why}");
    }

    #[test]
    fn recording_needs_an_open_event_of_this_capture() {
        let o = observed("Connected", 5.0, 30);
        let since = o.capture.clone().expect("capture").since;
        let with = |start, open| {
            status_of(&Observed {
                event: Some(NewestEvent { start, open }),
                ..o.clone()
            })
            .recording
        };
        assert_eq!(with(since, true), Some(true));
        assert_eq!(with(since, false), Some(false), "closed");
        assert_eq!(
            with(since - jiff::SignedDuration::from_secs(60), true),
            Some(false),
            "from the capture before"
        );
        assert_eq!(status_of(&o).recording, Some(false), "no event");
    }

    #[test]
    fn daemon_status_is_parsed_in_the_server_zone() {
        let running = json!({"status": true, "statustext": "'zmc -m 36' running since 26/12/04 08:15:34, pid = 32736"});
        let c = capture_of(&running, &TimeZone::get("Europe/Paris").expect("tz")).expect("capture");
        assert_eq!((c.since, c.pid), (t("2026-12-04T07:15:34Z"), 32736));
        let stopped = json!({"status": false, "statustext": "'zmc -m 36' not running"});
        assert_eq!(capture_of(&stopped, &TimeZone::UTC), None);
        for garbage in [
            json!({"status": true, "statustext": "running since yesterday, pid = x"}),
            json!({"status": true}),
            json!("nonsense"),
        ] {
            assert_eq!(capture_of(&garbage, &TimeZone::UTC), None, "{garbage}");
        }
    }

    #[test]
    fn the_errors_of_this_daemon_or_recent_ones_are_read() {
        let now = t("2026-12-04T08:16:00Z");
        let log = |pid: u64, secs_ago: i64, level: i64, message: &str| {
            let at = (now.as_second() - secs_ago) as f64 + 0.25;
            json!({"Log": {"Component": "zmc_m3", "Pid": pid, "TimeKey": format!("{at:.6}"), "Level": level, "Message": message}})
        };
        let logs = [
            log(7, 1, -2, "Failed to prime capture of initial monitor"),
            log(
                7,
                1,
                -2,
                "Unable to open input http://127.0.0.1:9/cam.ts due to: Connection refused",
            ),
            log(7, 2, 0, "Starting"),
            log(6, 600, -2, "an old error of the daemon before"),
        ];
        assert_eq!(
            error_of(&logs, "zmc_m3", Some(7), now).as_deref(),
            Some("Unable to open input http://127.0.0.1:9/cam.ts due to: Connection refused")
        );
        assert_eq!(
            error_of(&logs[..1], "zmc_m3", Some(7), now).as_deref(),
            Some("Failed to prime capture of initial monitor")
        );
        assert_eq!(
            error_of(&logs[2..], "zmc_m3", Some(7), now),
            None,
            "not an error; too old"
        );
        assert_eq!(
            error_of(&logs[..2], "zmc_m3", Some(8), now).as_deref(),
            Some("Unable to open input http://127.0.0.1:9/cam.ts due to: Connection refused"),
            "a daemon just restarted has not failed yet: the one before has, seconds ago"
        );
        assert_eq!(
            error_of(&logs[3..], "zmc_m3", Some(6), now).as_deref(),
            Some("an old error of the daemon before"),
            "its own error, however old"
        );
        assert_eq!(
            error_of(
                &[json!("garbage"), json!({"Log": null})],
                "zmc_m3",
                Some(7),
                now
            ),
            None
        );
        assert_eq!(
            error_of(&logs, "zmc_m30", Some(7), now),
            None,
            "another monitor's lines"
        );
    }

    #[test]
    fn credentials_are_taken_out_of_urls() {
        assert_eq!(
            redact_urls("open rtsp://u:p@h:554/x and http://h/y@z failed"),
            "open rtsp://[redacted]@h:554/x and http://h/y@z failed"
        );
        assert_eq!(redact_urls("no url"), "no url");
        assert_eq!(
            redact_urls("Unable to open input http://cam/videostream.cgi?user=admin&pwd=s3cret#x due to: timeout"),
            "Unable to open input http://cam/videostream.cgi?[redacted] due to: timeout"
        );
        assert_eq!(
            redact_urls("é rtsp://ü:p@h/é?k=v"),
            "é rtsp://[redacted]@h/é?[redacted]"
        );
        assert_eq!(redact_urls("a://"), "a://");
    }
}
