//! The live configuration of a VMS as vmsops sees it, whatever the product, and what a product can do.
//!
//! Drivers translate their product's API into these types and back. Nothing
//! here knows HTTP or a product's wire format; versions are opaque strings
//! that a driver hands back unchanged as `if_match`.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::alert::AlertRule;
use super::camera::Camera;
use super::settings::Settings;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Unmanaged {
    /// The field, e.g. `recording.schedule`.
    pub field: String,
    /// Why, in words for the plan.
    pub reason: String,
}
