//! Recordings kept per camera: spans that grow while a camera records and
//! survive its deletion, as on a real VMS.
//!
//! Nothing is really recorded: a span is its first and last instants and a
//! byte count estimated from the camera's resolution and frame rate. Spans
//! are never expired here (a real VMS would drop what is older than the
//! camera's retention); `--seed-recordings` presets old spans instead.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::model::Camera;
use crate::model::parse_resolution;

/// The recordings of one camera.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Start of the oldest recording, if any.
    pub oldest: Option<Timestamp>,
    /// End of the newest recording settled so far.
    pub newest: Option<Timestamp>,
    /// Bytes settled so far.
    pub bytes: u64,
    /// Set while the camera exists and is enabled: the span grows from there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<Live>,
}

/// An ongoing recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Live {
    /// When it started (or was last settled).
    pub since: Timestamp,
    /// Estimated stream rate.
    pub bytes_per_second: u64,
}

/// What `GET /api/v1/cameras/{id}/recordings` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// The camera.
    pub camera_id: String,
    /// Start of the oldest recording, if any.
    pub oldest: Option<Timestamp>,
    /// End of the newest recording: now while the camera records.
    pub newest: Option<Timestamp>,
    /// Bytes kept.
    pub bytes: u64,
}

/// A preset span from `--seed-recordings`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Start of the oldest recording.
    pub oldest: Option<Timestamp>,
    /// End of the newest recording.
    pub newest: Option<Timestamp>,
    /// Bytes kept.
    #[serde(default)]
    pub bytes: u64,
}

/// `--seed-recordings` file contents: camera id → span.
pub type Seeds = BTreeMap<String, Seed>;

/// About 0.1 bit per pixel and frame, a typical H.264 surveillance stream.
fn bytes_per_second(camera: &Camera) -> u64 {
    let (w, h) = parse_resolution(&camera.recording.resolution).unwrap_or((1920, 1080));
    u64::from(w) * u64::from(h) * u64::from(camera.recording.fps) / 80
}

fn grown(live: &Live, now: Timestamp) -> u64 {
    let secs = now.duration_since(live.since).as_secs().max(0) as u64;
    live.bytes_per_second.saturating_mul(secs)
}

impl Span {
    /// The span as seen at `now`.
    pub fn view(&self, camera_id: &str, now: Timestamp) -> View {
        let mut s = self.clone();
        s.settle(now);
        View {
            camera_id: camera_id.to_string(),
            oldest: s.oldest,
            newest: s.newest,
            bytes: s.bytes,
        }
    }

    /// Folds the ongoing recording up to `now` into the settled fields.
    fn settle(&mut self, now: Timestamp) {
        if let Some(live) = &mut self.live {
            self.bytes = self.bytes.saturating_add(grown(live, now));
            self.oldest = Some(self.oldest.map_or(live.since, |o| o.min(live.since)));
            self.newest = Some(self.newest.map_or(now, |n| n.max(now)));
            live.since = now;
        }
    }

    /// The span after `camera` changed at `now` (None: deleted): it grows if
    /// and only if the camera exists and is enabled.
    pub fn after_change(old: Option<&Span>, camera: Option<&Camera>, now: Timestamp) -> Span {
        let mut span = old.cloned().unwrap_or_default();
        span.settle(now);
        span.live = camera.filter(|c| c.enabled).map(|c| Live {
            since: now,
            bytes_per_second: bytes_per_second(c),
        });
        span
    }

    /// A preset span; it grows from `now` if the camera records.
    pub fn seeded(seed: &Seed, camera: Option<&Camera>, now: Timestamp) -> Span {
        let preset = Span {
            oldest: seed.oldest,
            newest: seed.newest,
            bytes: seed.bytes,
            live: None,
        };
        Span::after_change(Some(&preset), camera, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::model::Recording;

    fn cam(enabled: bool) -> Camera {
        Camera {
            id: "a".into(),
            name: "A".into(),
            vendor: "V".into(),
            model: "M".into(),
            firmware: "1".into(),
            stream_url: "rtsp://a".into(),
            enabled,
            recording: Recording {
                resolution: "800x600".into(),
                fps: 10,
                retention_days: 30,
                schedule: vec![],
            },
            version: 1,
        }
    }

    fn t(s: &str) -> Timestamp {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn grows_while_enabled_and_freezes_at_deletion() {
        let t0 = t("2025-01-01T00:00:00Z");
        let t1 = t("2025-01-01T00:00:10Z");
        let t2 = t("2025-01-02T00:00:00Z");
        let s = Span::after_change(None, Some(&cam(true)), t0);
        let v = s.view("a", t1);
        assert_eq!((v.oldest, v.newest, v.bytes), (Some(t0), Some(t1), 600_000));
        let deleted = Span::after_change(Some(&s), None, t1);
        let v = deleted.view("a", t2);
        assert_eq!((v.oldest, v.newest, v.bytes), (Some(t0), Some(t1), 600_000));
    }

    #[test]
    fn a_disabled_camera_has_no_recording() {
        let s = Span::after_change(None, Some(&cam(false)), t("2025-01-01T00:00:00Z"));
        let v = s.view("a", t("2025-02-01T00:00:00Z"));
        assert_eq!((v.oldest, v.newest, v.bytes), (None, None, 0));
    }

    #[test]
    fn seeds_keep_their_oldest_and_grow_if_recording() {
        let seed = Seed {
            oldest: Some(t("2020-01-01T00:00:00Z")),
            newest: Some(t("2020-06-01T00:00:00Z")),
            bytes: 5,
        };
        let now = t("2025-01-01T00:00:00Z");
        let frozen = Span::seeded(&seed, None, now).view("a", t("2025-03-01T00:00:00Z"));
        assert_eq!(
            (frozen.oldest, frozen.newest, frozen.bytes),
            (seed.oldest, seed.newest, 5)
        );
        let later = t("2025-01-01T00:00:01Z");
        let live = Span::seeded(&seed, Some(&cam(true)), now).view("a", later);
        assert_eq!(
            (live.oldest, live.newest, live.bytes),
            (seed.oldest, Some(later), 60_005)
        );
    }
}
