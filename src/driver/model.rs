//! The live configuration of a VMS as vmsops sees it, whatever the product.
//!
//! Drivers translate their product's API into these types and back. Nothing
//! here knows HTTP or a product's wire format; versions are opaque strings
//! that a driver hands back unchanged as `if_match`.
//!
//! Must never carry a credential: these types end up in plans and snapshots.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::desired::model::{AlertKind, Escalation, ScheduleEntry};

/// Everything vmsops manages on one VMS, read at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveConfig {
    /// Cameras, sorted by id.
    pub cameras: Vec<Camera>,
    /// Technical alert rules, at most one per kind, sorted by kind.
    pub alert_rules: Vec<AlertRule>,
    /// VMS-wide settings.
    pub settings: Settings,
}

/// A camera as the VMS knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Camera {
    /// Identifier, unique on the VMS.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Manufacturer, recorded at creation and read-only afterwards.
    pub vendor: String,
    /// Model, recorded at creation and read-only afterwards.
    pub model: String,
    /// Firmware, recorded at creation and read-only afterwards.
    pub firmware: String,
    /// Video stream URL.
    pub stream_url: String,
    /// Whether the camera records.
    pub enabled: bool,
    /// Recording parameters.
    pub recording: Recording,
    /// Opaque version for optimistic concurrency; empty when creating.
    pub version: String,
}

/// Recording parameters of one camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// `WIDTHxHEIGHT`.
    pub resolution: String,
    /// Frames per second.
    pub fps: u32,
    /// Days recordings are kept.
    pub retention_days: u32,
    /// When to record.
    pub schedule: Vec<ScheduleEntry>,
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

/// VMS-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Admin console inactivity limit, in minutes.
    pub session_timeout_minutes: u32,
    /// Opaque version for optimistic concurrency.
    pub version: String,
}

/// The recordings a VMS holds for one camera (also after the camera is deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recordings {
    /// The camera the recordings belong to.
    pub camera_id: String,
    /// Start of the oldest recording kept, if any.
    pub oldest: Option<Timestamp>,
    /// End of the newest recording kept, if any.
    pub newest: Option<Timestamp>,
    /// Storage used.
    pub bytes: u64,
}

/// One entry of the VMS's own administration journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VmsJournalEntry {
    /// Position in the VMS journal, increasing.
    pub seq: u64,
    /// When the VMS recorded it.
    pub at: Timestamp,
    /// The VMS account that acted.
    pub user: String,
    /// What was attempted, e.g. `camera.update`.
    pub action: String,
    /// What it was attempted on, e.g. a camera id.
    pub target: String,
    /// `success` or `failure`.
    pub result: String,
    /// The client's request id, when it sent one.
    pub request_id: Option<String>,
    /// The person the client acted for, when it said.
    pub on_behalf_of: Option<String>,
}

/// Journal entries after a cursor, and the cursor to continue from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalPage {
    /// The entries, oldest first.
    pub entries: Vec<VmsJournalEntry>,
    /// Pass this to the next `journal_since` to read only newer entries.
    pub next_cursor: String,
}

/// What a driver (and the product behind it) can and cannot do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Deleting a camera also deletes its recordings.
    pub deletes_recordings_with_camera: bool,
    /// The product keeps an administration journal that `journal_since` reads.
    pub has_admin_journal: bool,
    /// Mutations carry the caller's request id into that journal.
    pub sends_request_ids: bool,
    /// Alert rules can be read and changed.
    pub manages_alerts: bool,
    /// Settings can be read and changed.
    pub manages_settings: bool,
    /// Desired-state fields this driver cannot manage.
    pub unmanaged: Vec<Unmanaged>,
}

/// A desired-state field that a driver cannot manage, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmanaged {
    /// The field, e.g. `recording.schedule`.
    pub field: String,
    /// Why, in words for the plan.
    pub reason: String,
}

/// Who asks for a mutation and under which id; the caller journals both first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpContext {
    /// Unique id of this mutation, sent to the VMS.
    pub request_id: String,
    /// The person on whose behalf vmsops acts.
    pub operator: String,
}
