//! Verified apply: after the operations, every camera the apply created or changed
//! is watched until its stream is healthy or the deadline passes.
//!
//! A reading taken before the VMS restarted the stream does not count: for a
//! change that restarts the stream (a create, or `enabled`, `stream_url`,
//! resolution or fps), a connected reading counts only if the product says it
//! connected after the change began. A change that restarts no stream (a name)
//! is judged on the current reading. A camera the change disabled is fine as
//! disabled; one whose product cannot tell is reported `unknown`, never
//! degraded. Polls are bounded in number at once and spaced, never a busy loop.

use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use jiff::Timestamp;
use serde::Serialize;

use crate::driver::Vms;
use crate::model::health::{floor_second, judge, CameraStatus, Health, StreamCondition};
use crate::plan::{OpKind, Operation};

/// Cameras watched at the same time.
const AT_ONCE: usize = 16;
/// Time between two readings of one camera.
const POLL: Duration = Duration::from_millis(250);

/// The camera fields whose change restarts its stream.
const STREAM_FIELDS: [&str; 4] = [
    "enabled",
    "stream_url",
    "recording.resolution",
    "recording.fps",
];

/// A camera to watch after the operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The camera.
    pub camera: String,
    /// Whether the change restarted its stream.
    pub restarts: bool,
}

/// How a watched camera ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verified {
    /// The camera.
    pub camera: String,
    /// `healthy`, `disabled`, `unknown` or `degraded`.
    pub health: Health,
    /// Why, when it is not healthy.
    pub reason: Option<String>,
}

/// The cameras `ops` created or changed (the ones that succeeded), in order.
pub fn targets<'a>(ops: impl IntoIterator<Item = &'a Operation>) -> Vec<Target> {
    ops.into_iter()
        .filter_map(|op| match op.op {
            OpKind::CameraCreate => Some(Target {
                camera: op.target.to_string(),
                restarts: true,
            }),
            OpKind::CameraUpdate => Some(Target {
                camera: op.target.to_string(),
                restarts: op
                    .changes
                    .iter()
                    .any(|c| STREAM_FIELDS.contains(&c.path.as_str())),
            }),
            _ => None,
        })
        .collect()
}

/// Watches every target until it is healthy or `timeout` has passed since `changed_at`
/// was read; `changed_at` is when the operations began (readings from before do not count).
pub async fn verify(
    vms: &dyn Vms,
    targets: &[Target],
    changed_at: Timestamp,
    timeout: Duration,
) -> Vec<Verified> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut out: Vec<Verified> = stream::iter(targets)
        .map(|t| watch(vms, t, changed_at, deadline, timeout))
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let order = |c: &str| targets.iter().position(|t| t.camera == c);
    out.sort_by_key(|v| order(&v.camera));
    out
}

/// One camera, read every [`POLL`] until it settles or the deadline passes.
async fn watch(
    vms: &dyn Vms,
    t: &Target,
    changed_at: Timestamp,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> Verified {
    // The reason from the last full reading: a reading the deadline cuts short says less.
    let mut last_reason: Option<String> = None;
    loop {
        // A VMS that stops answering never holds the verdict past the deadline.
        let read = tokio::time::timeout_at(deadline, vms.camera_status(&t.camera)).await;
        match read {
            Err(_) => {
                last_reason
                    .get_or_insert_with(|| "the VMS did not answer before the deadline".into());
            }
            Ok(Ok(s)) => match settled(&s, t.restarts, changed_at) {
                Some(health) => {
                    return Verified {
                        camera: t.camera.clone(),
                        health,
                        reason: judge(&s).1,
                    }
                }
                None => last_reason = Some(pending_reason(&s)),
            },
            Ok(Err(e)) => {
                last_reason = Some(format!(
                    "its status could not be read: {}",
                    crate::error_chain(&e)
                ))
            }
        }
        if tokio::time::Instant::now() + POLL > deadline {
            return Verified {
                camera: t.camera.clone(),
                health: Health::Degraded,
                reason: Some(format!(
                    "not healthy {}s after the change: {}",
                    timeout.as_secs(),
                    last_reason.unwrap_or_else(|| "not healthy".into())
                )),
            };
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The verdict a reading settles on, or `None` while it may still become healthy.
fn settled(s: &CameraStatus, restarts: bool, changed_at: Timestamp) -> Option<Health> {
    let (health, _) = judge(s);
    match health {
        // Connected, but maybe still the stream from before the change. A product may state
        // `since` to the second: a restart within the second the change began counts as after.
        Health::Healthy
            if restarts
                && s.since
                    .is_some_and(|since| since < floor_second(changed_at)) =>
        {
            None
        }
        Health::Healthy | Health::Disabled | Health::Unknown => Some(health),
        Health::Progressing | Health::Degraded => None,
    }
}

fn pending_reason(s: &CameraStatus) -> String {
    match (s.condition, judge(s).1) {
        (StreamCondition::Connected, None) => {
            "its stream has not restarted since the change".into()
        }
        (_, Some(why)) => why,
        (_, None) => "not healthy".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Change, Class};

    fn reading(condition: StreamCondition, fps: f64, since: &str) -> CameraStatus {
        CameraStatus {
            condition,
            fps: Some(fps),
            recording: None,
            since: Some(since.parse().expect("time")),
            reason: None,
        }
    }

    #[test]
    fn a_reading_from_before_a_restarting_change_does_not_count() {
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().expect("time");
        let old = reading(StreamCondition::Connected, 15.0, "2026-12-01T09:00:00Z");
        let new = reading(StreamCondition::Connected, 15.0, "2026-12-01T10:00:01Z");
        assert_eq!(settled(&old, true, at), None);
        assert_eq!(
            settled(&old, false, at),
            Some(Health::Healthy),
            "a name change"
        );
        assert_eq!(settled(&new, true, at), Some(Health::Healthy));
        let to_the_second = reading(StreamCondition::Connected, 15.0, "2026-12-01T10:00:07Z");
        let within: Timestamp = "2026-12-01T10:00:07.400Z".parse().expect("time");
        assert_eq!(
            settled(&to_the_second, true, within),
            Some(Health::Healthy),
            "restarted in the second the change began, stated to the second"
        );
        let down = reading(StreamCondition::Disconnected, 0.0, "2026-12-01T10:00:01Z");
        assert_eq!(
            settled(&down, true, at),
            None,
            "may still come back before the deadline"
        );
        assert_eq!(
            settled(&CameraStatus::unknown("no health here"), true, at),
            Some(Health::Unknown)
        );
    }

    #[test]
    fn creates_and_stream_changes_restart_a_name_does_not() {
        let op = |kind, path: &str| {
            let change = Change {
                path: path.into(),
                from: serde_json::Value::Null,
                to: serde_json::Value::Null,
            };
            let target = crate::plan::Target::Camera("hall-01".into());
            Operation::new(kind, target, Class::Recording, vec![change])
        };
        let t = targets(&[
            op(OpKind::CameraCreate, "id"),
            op(OpKind::CameraUpdate, "name"),
            op(OpKind::CameraUpdate, "recording.fps"),
            op(OpKind::AlertUpdate, "threshold"),
        ]);
        let restarts: Vec<bool> = t.iter().map(|t| t.restarts).collect();
        assert_eq!(restarts, [true, false, true]);
    }
}
