//! Technical alert rules: what they watch, who they notify, how they escalate.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The kinds of technical alert.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Loss of a camera's video signal; threshold in seconds.
    SignalLoss,
    /// Recording storage filling up; threshold in percent used.
    DiskFull,
    /// Abnormal temperature; threshold in degrees Celsius.
    Temperature,
}

impl AlertKind {
    /// Every kind, in order.
    pub const ALL: [AlertKind; 3] = [
        AlertKind::SignalLoss,
        AlertKind::DiskFull,
        AlertKind::Temperature,
    ];

    /// The kind named `s` (as [`AlertKind::as_str`] writes it), if there is one.
    pub fn parse(s: &str) -> Option<AlertKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The name used in files and in the VMS API.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::SignalLoss => "signal_loss",
            AlertKind::DiskFull => "disk_full",
            AlertKind::Temperature => "temperature",
        }
    }
}

/// One escalation step of an alert rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Escalation {
    /// Minutes after the first notification.
    #[schemars(range(min = 1))]
    pub after_minutes: u32,
    /// Who is notified at this step.
    pub recipients: Vec<String>,
}

/// A technical alert rule as the VMS knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    /// What the rule watches.
    pub kind: AlertKind,
    /// Trigger threshold, in the kind's unit.
    pub threshold: u32,
    /// Who is notified first.
    pub recipients: Vec<String>,
    /// Who is notified next, and after how long.
    pub escalation: Vec<Escalation>,
    /// Opaque version for optimistic concurrency; empty when creating.
    pub version: String,
}
