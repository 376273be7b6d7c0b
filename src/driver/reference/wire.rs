//! The reference VMS API's JSON, as the driver reads and writes it.
//!
//! Kept apart from the simulator's own types on purpose: the driver and the
//! server are two implementations of one contract (docs/reference-vms-api.md), so a
//! test between them checks the contract rather than a shared struct.
//!
//! Must never be shared with the simulator's model, for the reason above.

use serde::{Deserialize, Serialize};

use crate::model::{AlertKind, Escalation};
use crate::model::{AlertRule, Camera, Recording, Settings, VmsJournalEntry};

/// A camera as the API shows it.
#[derive(Debug, Deserialize)]
pub struct WireCamera {
    id: String,
    name: String,
    vendor: String,
    model: String,
    firmware: String,
    stream_url: String,
    enabled: bool,
    recording: Recording,
    version: u64,
}

impl From<WireCamera> for Camera {
    fn from(w: WireCamera) -> Camera {
        Camera {
            id: w.id,
            name: w.name,
            vendor: w.vendor,
            model: w.model,
            firmware: w.firmware,
            stream_url: w.stream_url,
            enabled: w.enabled,
            recording: w.recording,
            version: w.version.to_string(),
        }
    }
}

/// A camera of the model, read from the API's form one at a time.
#[derive(Debug, Deserialize)]
#[serde(from = "WireCamera")]
pub struct ReadCamera(pub Camera);

impl From<WireCamera> for ReadCamera {
    fn from(w: WireCamera) -> ReadCamera {
        ReadCamera(w.into())
    }
}

/// A camera as the driver sends it (no version: concurrency is `If-Match`).
#[derive(Debug, Serialize)]
pub struct CameraOut<'a> {
    id: &'a str,
    name: &'a str,
    vendor: &'a str,
    model: &'a str,
    firmware: &'a str,
    stream_url: &'a str,
    enabled: bool,
    recording: &'a Recording,
}

impl<'a> From<&'a Camera> for CameraOut<'a> {
    fn from(c: &'a Camera) -> Self {
        CameraOut {
            id: &c.id,
            name: &c.name,
            vendor: &c.vendor,
            model: &c.model,
            firmware: &c.firmware,
            stream_url: &c.stream_url,
            enabled: c.enabled,
            recording: &c.recording,
        }
    }
}

/// An alert rule as the API shows it.
#[derive(Debug, Deserialize)]
pub struct WireAlertRule {
    kind: AlertKind,
    threshold: u32,
    recipients: Vec<String>,
    #[serde(default)]
    escalation: Vec<Escalation>,
    version: u64,
}

impl From<WireAlertRule> for AlertRule {
    fn from(w: WireAlertRule) -> AlertRule {
        AlertRule {
            kind: w.kind,
            threshold: w.threshold,
            recipients: w.recipients,
            escalation: w.escalation,
            version: w.version.to_string(),
        }
    }
}

/// An alert rule as the driver sends it.
#[derive(Debug, Serialize)]
pub struct AlertRuleOut<'a> {
    kind: AlertKind,
    threshold: u32,
    recipients: &'a [String],
    escalation: &'a [Escalation],
}

impl<'a> From<&'a AlertRule> for AlertRuleOut<'a> {
    fn from(r: &'a AlertRule) -> Self {
        AlertRuleOut {
            kind: r.kind,
            threshold: r.threshold,
            recipients: &r.recipients,
            escalation: &r.escalation,
        }
    }
}

/// The settings as the API shows them.
#[derive(Debug, Deserialize)]
pub struct WireSettings {
    session_timeout_minutes: u32,
    version: u64,
}

impl From<WireSettings> for Settings {
    fn from(w: WireSettings) -> Settings {
        Settings {
            session_timeout_minutes: w.session_timeout_minutes,
            version: w.version.to_string(),
        }
    }
}

/// The settings as the driver sends them.
#[derive(Debug, Serialize)]
pub struct SettingsOut {
    /// Admin console inactivity limit, in minutes.
    pub session_timeout_minutes: u32,
}

/// `GET /api/v1/config`.
#[derive(Debug, Deserialize)]
pub struct WireExport {
    /// Must be `reference-vms/v1`.
    pub format: String,
    /// Every camera, converted as it is read (never the whole list twice).
    pub cameras: Vec<ReadCamera>,
    /// Every alert rule.
    pub alert_rules: Vec<WireAlertRule>,
    /// The settings.
    pub settings: WireSettings,
}

/// The export format this driver reads.
pub const EXPORT_FORMAT: &str = "reference-vms/v1";

/// `GET /api/v1/journal`.
#[derive(Debug, Deserialize)]
pub struct WireJournalPage {
    /// Entries from `since` on.
    pub items: Vec<VmsJournalEntry>,
    /// Where to continue.
    pub next_seq: u64,
    /// The newest entry's seq.
    pub last_seq: u64,
}
