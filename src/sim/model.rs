//! The objects the reference VMS stores, shaped exactly as its API shows them.
//!
//! Versions are integers here; the API also shows them as `ETag: "N"`.
//! Request bodies have their own types (`*Body`): `version` in a body is
//! ignored, and a body is checked by `validate` before it becomes an object.
//!
//! Must never hold a token or anything the state file should not keep; the
//! shapes here are what the API shows and what the state file stores.

use serde::{Deserialize, Serialize};

use crate::model::{AlertKind, Escalation};

/// An object with a version, bumped by every change; `If-Match` names it.
pub trait Versioned {
    /// The current version.
    fn version(&self) -> u64;
}

impl Versioned for Camera {
    fn version(&self) -> u64 {
        self.version
    }
}

impl Versioned for AlertRule {
    fn version(&self) -> u64 {
        self.version
    }
}

impl Versioned for Settings {
    fn version(&self) -> u64 {
        self.version
    }
}

/// A camera, as the reference VMS's API shows it and its state file stores it.
///
/// Its own type, not [`crate::model::Camera`]: the sim's version is an integer
/// (`"version": 3`, `ETag: "3"`, bumped by every change), the model's an opaque
/// string a driver carries back, so the wire form differs; the recording is the
/// model's [`Recording`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Camera {
    /// Identifier, `[a-z0-9-]{1,63}`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Manufacturer; read-only after creation.
    pub vendor: String,
    /// Model; read-only after creation.
    pub model: String,
    /// Firmware; read-only after creation.
    pub firmware: String,
    /// Video stream URL.
    pub stream_url: String,
    /// Whether the camera records.
    pub enabled: bool,
    /// Recording parameters.
    pub recording: Recording,
    /// Version, bumped by every change.
    pub version: u64,
}

pub use crate::model::Recording;

/// A technical alert rule; at most one per kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    /// What the rule watches.
    pub kind: AlertKind,
    /// Trigger threshold in the kind's unit.
    pub threshold: u32,
    /// Who is notified first.
    pub recipients: Vec<String>,
    /// Later notifications.
    pub escalation: Vec<Escalation>,
    /// Version, bumped by every change.
    pub version: u64,
}

/// VMS-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Admin console inactivity limit, in minutes.
    pub session_timeout_minutes: u32,
    /// Version, bumped by every change.
    pub version: u64,
}

/// The factory default of `session_timeout_minutes`.
pub const FACTORY_SESSION_TIMEOUT_MINUTES: u32 = 30;

/// A camera in a request body (create, update, import).
#[derive(Debug, Clone, Deserialize)]
pub struct CameraBody {
    /// Required on create and import; on update, must match the path if given.
    #[serde(default)]
    pub id: Option<String>,
    /// Display name.
    pub name: String,
    /// Manufacturer.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Firmware.
    pub firmware: String,
    /// Video stream URL.
    pub stream_url: String,
    /// Whether the camera records.
    pub enabled: bool,
    /// Recording parameters.
    pub recording: Recording,
}

impl CameraBody {
    /// The camera this body describes, with `id` and `version`.
    pub fn into_camera(self, id: String, version: u64) -> Camera {
        Camera {
            id,
            name: self.name,
            vendor: self.vendor,
            model: self.model,
            firmware: self.firmware,
            stream_url: self.stream_url,
            enabled: self.enabled,
            recording: self.recording,
            version,
        }
    }
}

/// An alert rule in a request body; `kind` comes from the path unless importing.
#[derive(Debug, Clone, Deserialize)]
pub struct AlertRuleBody {
    /// Must match the path if given; required on import.
    #[serde(default)]
    pub kind: Option<AlertKind>,
    /// Trigger threshold.
    pub threshold: u32,
    /// Who is notified first.
    pub recipients: Vec<String>,
    /// Later notifications.
    #[serde(default)]
    pub escalation: Vec<Escalation>,
}

impl AlertRuleBody {
    /// The rule of `kind` this body describes, at `version` (`kind` wins over the body's own).
    pub fn into_rule(self, kind: AlertKind, version: u64) -> AlertRule {
        AlertRule {
            kind,
            threshold: self.threshold,
            recipients: self.recipients,
            escalation: self.escalation,
            version,
        }
    }
}

/// Settings in a request body.
#[derive(Debug, Clone, Deserialize)]
pub struct SettingsBody {
    /// Admin console inactivity limit, in minutes.
    pub session_timeout_minutes: u32,
}

impl SettingsBody {
    /// The settings this body describes, at `version`.
    pub fn into_settings(self, version: u64) -> Settings {
        Settings {
            session_timeout_minutes: self.session_timeout_minutes,
            version,
        }
    }
}

/// The format name of a full export.
pub const EXPORT_FORMAT: &str = "reference-vms/v1";

/// A full import (`PUT /api/v1/config`): a full export, `exported_at` and versions ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct ConfigBody {
    /// Must be [`EXPORT_FORMAT`].
    pub format: String,
    /// Every camera; the others are deleted (their recordings are kept).
    pub cameras: Vec<CameraBody>,
    /// Every alert rule; the others are deleted.
    pub alert_rules: Vec<AlertRuleBody>,
    /// The settings.
    pub settings: SettingsBody,
}
