//! A camera's health now: the stream as a product reports it, and the verdict
//! `status` (and, later, a verified apply) draws from it.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;

/// A camera's stream as the product sees it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "StreamState")]
pub enum StreamCondition {
    /// (Re)starting: not delivering yet.
    Connecting,
    /// Delivering frames.
    Connected,
    /// Its source does not answer.
    Disconnected,
    /// The camera is disabled.
    Disabled,
    /// The product cannot tell.
    Unknown,
}

/// What a driver reads of one camera's stream.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraStatus {
    /// The stream's condition.
    pub condition: StreamCondition,
    /// Frames per second it delivers now, when the product says.
    pub fps: Option<f64>,
    /// Whether it records now, when the product says.
    pub recording: Option<bool>,
    /// Since when it is in this condition, when the product says.
    pub since: Option<Timestamp>,
    /// Why the condition is unknown, when it is.
    pub reason: Option<String>,
}

impl CameraStatus {
    /// A product that cannot tell, and why.
    pub fn unknown(reason: impl Into<String>) -> CameraStatus {
        CameraStatus {
            condition: StreamCondition::Unknown,
            fps: None,
            recording: None,
            since: None,
            reason: Some(reason.into()),
        }
    }
}

/// A camera's health, as `vmsops status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Connected and delivering frames.
    Healthy,
    /// Connecting.
    Progressing,
    /// Disconnected, or connected at 0 fps.
    Degraded,
    /// Disabled on purpose.
    Disabled,
    /// The product cannot tell.
    Unknown,
}

impl Health {
    /// Its name in outputs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Progressing => "progressing",
            Health::Degraded => "degraded",
            Health::Disabled => "disabled",
            Health::Unknown => "unknown",
        }
    }

    /// Whether it makes `status` exit 2 (unknown is shown, not counted).
    pub fn needs_attention(self) -> bool {
        matches!(self, Health::Progressing | Health::Degraded)
    }
}

/// `t` without its fraction of a second: some products (ZoneMinder) state times to the second.
pub fn floor_second(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// The health of a camera whose stream reads `s`, and why when it is not healthy:
/// the product's own reason when it gives one.
pub fn judge(s: &CameraStatus) -> (Health, Option<String>) {
    let why = |default: &str| Some(s.reason.clone().unwrap_or_else(|| default.into()));
    match s.condition {
        StreamCondition::Connected if s.fps.is_none_or(|f| f >= 1.0) => (Health::Healthy, None),
        StreamCondition::Connected => (
            Health::Degraded,
            why("connected but delivering no frames (0 fps)"),
        ),
        StreamCondition::Connecting => (Health::Progressing, why("the stream is connecting")),
        StreamCondition::Disconnected => (
            Health::Degraded,
            why("the stream is disconnected: its source does not answer"),
        ),
        StreamCondition::Disabled => (Health::Disabled, None),
        StreamCondition::Unknown => (Health::Unknown, s.reason.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(condition: StreamCondition, fps: Option<f64>) -> CameraStatus {
        CameraStatus {
            condition,
            fps,
            recording: None,
            since: None,
            reason: None,
        }
    }

    #[test]
    fn each_state_has_its_health() {
        let h = |s, f| judge(&at(s, f)).0;
        assert_eq!(h(StreamCondition::Connected, Some(15.0)), Health::Healthy);
        assert_eq!(h(StreamCondition::Connected, Some(0.0)), Health::Degraded);
        assert_eq!(h(StreamCondition::Connecting, None), Health::Progressing);
        assert_eq!(h(StreamCondition::Disconnected, None), Health::Degraded);
        assert_eq!(h(StreamCondition::Disabled, None), Health::Disabled);
        assert_eq!(h(StreamCondition::Unknown, None), Health::Unknown);
        assert!(Health::Degraded.needs_attention() && !Health::Unknown.needs_attention());
    }

    #[test]
    fn the_products_reason_wins() {
        let s = CameraStatus {
            reason: Some("cannot open input: Connection refused".into()),
            ..at(StreamCondition::Disconnected, None)
        };
        assert_eq!(
            judge(&s).1.as_deref(),
            Some("cannot open input: Connection refused")
        );
        let plain = judge(&at(StreamCondition::Disconnected, None))
            .1
            .expect("reason");
        assert!(plain.contains("does not answer"), "{plain}");
    }
}
