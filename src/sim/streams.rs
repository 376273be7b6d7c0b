//! Stream health, emulated: what `GET /api/v1/cameras/{id}/status` answers.
//!
//! A camera's stream restarts when it is created, enabled, or its `stream_url`,
//! resolution or fps change (by any request, a full import included), and for
//! every camera when the server starts. For `--connect-ms` after a restart it is
//! `connecting`; then `connected` at its configured fps, or `disconnected` when
//! its `stream_url` host is one of `--unreachable-host`. A disabled camera is
//! `disabled`. `recording` is true while connected and its schedule, read in
//! UTC, covers now.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::Serialize;

use super::model::Camera;
use super::store::{Change, VmsData};
use crate::model::schedule::{canonical, Day};
// The vocabulary's states; the sim never answers `unknown`.
pub use crate::model::StreamCondition;

/// `--connect-ms` by default.
pub const DEFAULT_CONNECT: Duration = Duration::from_millis(300);

/// How streams behave.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// How long a restarted stream stays `connecting`.
    pub connect: Duration,
    /// Hosts (of `stream_url`) that never answer: their cameras end `disconnected`.
    pub unreachable_hosts: BTreeSet<String>,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            connect: DEFAULT_CONNECT,
            unreachable_hosts: BTreeSet::new(),
        }
    }
}

/// What restarts a stream.
fn key(c: &Camera) -> (bool, &str, &str, u32) {
    (
        c.enabled,
        c.stream_url.as_str(),
        c.recording.resolution.as_str(),
        c.recording.fps,
    )
}

/// `GET /api/v1/cameras/{id}/status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamStatus {
    /// The camera.
    pub camera_id: String,
    /// Its stream's state.
    pub state: StreamCondition,
    /// Frames per second it delivers now.
    pub fps: u32,
    /// Whether it records now.
    pub recording: bool,
    /// Since when it is in this state.
    pub since: Timestamp,
}

/// When each camera's stream last restarted.
#[derive(Debug)]
pub struct Streams {
    config: StreamConfig,
    /// When the server started: every stream restarted then.
    boot: (Instant, Timestamp),
    restarted: Mutex<HashMap<String, (Instant, Timestamp)>>,
}

impl Streams {
    /// Every stream restarts now.
    pub fn start(config: StreamConfig) -> Streams {
        Streams {
            config,
            boot: (Instant::now(), Timestamp::now()),
            restarted: Mutex::new(HashMap::new()),
        }
    }

    /// Records the restarts that `changes` cause against `before` (the state they apply to).
    pub fn note(&self, before: &VmsData, changes: &[Change]) {
        let now = (Instant::now(), Timestamp::now());
        let mut restarted = self.restarted.lock().unwrap_or_else(|p| p.into_inner());
        for change in changes {
            match change {
                Change::PutCamera(c) if before.cameras.get(&c.id).map(key) != Some(key(c)) => {
                    restarted.insert(c.id.clone(), now);
                }
                Change::DeleteCamera(id) => {
                    restarted.remove(id);
                }
                _ => {}
            }
        }
    }

    /// Camera `c`'s stream at `now`.
    pub fn status(&self, c: &Camera, now: Instant, utc: Timestamp) -> StreamStatus {
        let (at, since) = self
            .restarted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&c.id)
            .copied()
            .unwrap_or(self.boot);
        let settled = since
            .checked_add(self.config.connect)
            .unwrap_or(Timestamp::MAX);
        let (state, since) = if !c.enabled {
            (StreamCondition::Disabled, since)
        } else if now.duration_since(at) < self.config.connect {
            (StreamCondition::Connecting, since)
        } else if self.config.unreachable_hosts.contains(host(&c.stream_url)) {
            (StreamCondition::Disconnected, settled)
        } else {
            (StreamCondition::Connected, settled)
        };
        let connected = state == StreamCondition::Connected;
        StreamStatus {
            camera_id: c.id.clone(),
            state,
            fps: if connected { c.recording.fps } else { 0 },
            recording: connected && scheduled(c, utc),
            since,
        }
    }
}

/// The host of a stream URL (`rtsp://user@host:554/path` → `host`), or the URL when it has none.
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host_port.split(':').next().unwrap_or(host_port),
    }
}

/// Whether `c`'s schedule, read in UTC, covers `utc`.
fn scheduled(c: &Camera, utc: Timestamp) -> bool {
    let dt = utc.to_zoned(jiff::tz::TimeZone::UTC).datetime();
    let day = Day::ALL[usize::from(dt.weekday().to_monday_zero_offset().unsigned_abs())];
    let minute = u16::from(dt.hour().unsigned_abs()) * 60 + u16::from(dt.minute().unsigned_abs());
    canonical(&c.recording.schedule)
        .get(&day)
        .is_some_and(|spans| spans.iter().any(|&(f, t)| f <= minute && minute < t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schedule::ScheduleEntry;
    use crate::model::Recording;

    fn cam(url: &str, enabled: bool) -> Camera {
        Camera {
            id: "hall-01".into(),
            name: "Hall".into(),
            vendor: "Axis".into(),
            model: "P3265-LVE".into(),
            firmware: "11.9.60".into(),
            stream_url: url.into(),
            enabled,
            recording: Recording {
                resolution: "1920x1080".into(),
                fps: 15,
                retention_days: 30,
                schedule: vec![ScheduleEntry {
                    days: vec![Day::Mon],
                    from: "08:00".into(),
                    to: "18:00".into(),
                }],
            },
            version: 1,
        }
    }

    #[test]
    fn hosts_are_read_from_every_shape_of_url() {
        assert_eq!(host("rtsp://cam-1.example/live"), "cam-1.example");
        assert_eq!(host("rtsp://u:p@cam-1.example:554/x?y"), "cam-1.example");
        assert_eq!(host("rtsp://[fd00::1]:554/x"), "fd00::1");
        assert_eq!(host("cam-1.example"), "cam-1.example");
    }

    #[test]
    fn a_stream_connects_after_the_delay_unless_its_host_is_unreachable() {
        let mut config = StreamConfig {
            connect: Duration::from_millis(100),
            ..StreamConfig::default()
        };
        config.unreachable_hosts.insert("dead.example".into());
        let s = Streams::start(config);
        let monday_noon: Timestamp = "2026-11-30T12:00:00Z".parse().expect("time");
        let t0 = Instant::now();
        let ok = cam("rtsp://ok.example/live", true);
        assert_eq!(
            s.status(&ok, t0, monday_noon).state,
            StreamCondition::Connecting
        );
        let later = t0 + Duration::from_millis(150);
        let st = s.status(&ok, later, monday_noon);
        assert_eq!(
            (st.state, st.fps, st.recording),
            (StreamCondition::Connected, 15, true)
        );
        let sunday: Timestamp = "2026-11-29T12:00:00Z".parse().expect("time");
        assert!(
            !s.status(&ok, later, sunday).recording,
            "outside its schedule"
        );
        let dead = cam("rtsp://dead.example/live", true);
        let st = s.status(&dead, later, monday_noon);
        assert_eq!(
            (st.state, st.fps, st.recording),
            (StreamCondition::Disconnected, 0, false)
        );
        let off = cam("rtsp://ok.example/live", false);
        assert_eq!(
            s.status(&off, later, monday_noon).state,
            StreamCondition::Disabled
        );
    }

    #[test]
    fn only_a_change_to_the_stream_restarts_it() {
        let s = Streams::start(StreamConfig {
            connect: Duration::from_secs(3600),
            ..StreamConfig::default()
        });
        let mut before = VmsData::default();
        let c = cam("rtsp://ok.example/live", true);
        before.cameras.insert(c.id.clone(), c.clone());
        let renamed = Camera {
            name: "Lobby".into(),
            ..c.clone()
        };
        s.note(&before, &[Change::PutCamera(renamed)]);
        assert!(
            s.restarted.lock().expect("lock").is_empty(),
            "a name is not the stream"
        );
        let faster = Camera {
            recording: Recording {
                fps: 25,
                ..c.recording.clone()
            },
            ..c.clone()
        };
        s.note(&before, &[Change::PutCamera(faster)]);
        assert!(s.restarted.lock().expect("lock").contains_key("hall-01"));
        s.note(&before, &[Change::DeleteCamera("hall-01".into())]);
        assert!(s.restarted.lock().expect("lock").is_empty());
    }
}
