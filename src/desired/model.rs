//! The desired-state file formats (described in `schemas/` and the README) as Rust types.
//!
//! These types mirror the YAML exactly; the JSON Schemas in `schemas/` are
//! generated from them. Unknown keys are not rejected by serde here: the loader
//! collects every ignored key (serde_ignored) so that all of them are reported in
//! one run, while `deny_unknown_fields` still reaches the schema for editors.
//! Checks that need more than a type (ranges, references, emails) live in
//! `validate`, where each problem gets a position.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::model::alert::{AlertKind, Escalation};
use crate::model::procedure::ALERT_REVIEW_MAX_AGE_DAYS;
pub use crate::model::procedure::MIN_SNAPSHOT_RETENTION_DAYS;
pub use crate::model::schedule::{Day, ScheduleEntry};
pub use crate::model::{Recording, VmsEndpoint};

/// The only `apiVersion` this release reads.
pub const API_VERSION: &str = "vmsops/v1";

/// `apiVersion: vmsops/v1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    /// The first version of the format.
    #[serde(rename = "vmsops/v1")]
    V1,
}

/// `kind: Site`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SiteKind {
    /// A `site.yaml` file.
    Site,
}

/// `kind: Cameras`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CamerasKind {
    /// A `cameras/**/*.yaml` file.
    Cameras,
}

/// A `site.yaml`: one VMS installation and the procedure that governs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "vmsops Site")]
pub struct Site {
    /// Always `vmsops/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: ApiVersion,
    /// Always `Site`.
    pub kind: SiteKind,
    /// Site name: lowercase letters, digits and `-`, 1 to 63 characters, unique in the repository.
    #[schemars(pattern(r"^[a-z0-9-]{1,63}$"))]
    pub name: String,
    /// How to reach the VMS.
    pub vms: VmsEndpoint,
    /// The administration procedure's parameters for this site.
    pub policy: Policy,
    /// When `recording` changes may be applied.
    #[serde(default)]
    pub maintenance_windows: Vec<MaintenanceWindow>,
    /// Named recording parameter sets that cameras refer to.
    #[serde(default)]
    pub recording_profiles: BTreeMap<String, Recording>,
    /// Technical alert rules; when absent, vmsops does not manage alert rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Alerts>,
    /// VMS settings; when absent, vmsops does not manage settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
}

/// How approvals are authenticated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalSignatures {
    /// `approve/*` tags must carry an SSH signature by an approver's key.
    #[default]
    Ssh,
    /// The tagger email alone (not authenticated).
    None,
}

/// The administration procedure's parameters (PROC-VMS-001).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Policy {
    /// Emails of the Responsable(s) Sécurité who approve changes.
    #[serde(default)]
    pub approvers: Vec<String>,
    /// Names or email local parts that are not persons (case-insensitive).
    #[serde(default = "default_generic_identities")]
    pub generic_identities: Vec<String>,
    /// Every change needs a work-order / request id.
    #[serde(default = "default_true")]
    pub require_ticket: bool,
    /// Homologated equipment.
    #[serde(default)]
    pub approved_models: Vec<ApprovedModel>,
    /// Allowed recording retention.
    pub retention: RetentionBounds,
    /// How long recordings must be kept, in days.
    pub regulatory_retention_days: u32,
    /// Alert rules must be reviewed at least this often, in days.
    #[serde(default = "default_review_age")]
    pub alert_review_max_age_days: u32,
    /// Snapshots are kept at least this long, in days (at least 183).
    #[serde(default = "default_snapshot_retention")]
    #[schemars(range(min = 183))]
    pub snapshot_retention_days: u32,
    /// How approvals are authenticated.
    #[serde(default)]
    pub approval_signatures: ApprovalSignatures,
    /// Path in the repository of the ssh-keygen "ALLOWED SIGNERS" file.
    #[serde(default = "default_allowed_signers")]
    pub allowed_signers: String,
}

pub use crate::model::procedure::default_generic_identities;

fn default_true() -> bool {
    true
}

fn default_review_age() -> u32 {
    ALERT_REVIEW_MAX_AGE_DAYS
}

fn default_snapshot_retention() -> u32 {
    MIN_SNAPSHOT_RETENTION_DAYS
}

/// The default path of the allowed signers file.
pub const DEFAULT_ALLOWED_SIGNERS: &str = "policy/allowed_signers";

fn default_allowed_signers() -> String {
    DEFAULT_ALLOWED_SIGNERS.to_string()
}

/// A homologated camera model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ApprovedModel {
    /// Manufacturer, as the VMS reports it.
    pub vendor: String,
    /// Model, as the VMS reports it.
    pub model: String,
    /// Lowest accepted firmware, dotted numbers compared numerically.
    pub min_firmware: String,
}

/// Bounds on recording retention.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RetentionBounds {
    /// Shortest allowed retention, in days.
    pub min_days: u32,
    /// Longest allowed retention, in days.
    pub max_days: u32,
}

/// A weekly maintenance window. An end that is not after the start crosses
/// midnight; the window then belongs to its start day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct MaintenanceWindow {
    /// A name for messages and the journal.
    pub name: String,
    /// Days on which the window opens.
    pub days: Vec<Day>,
    /// Opening time, `HH:MM`.
    #[schemars(pattern(r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start: String,
    /// Closing time, `HH:MM` (`24:00` allowed).
    #[schemars(pattern(r"^(([01]?[0-9]|2[0-3]):[0-5][0-9]|24:00)$"))]
    pub end: String,
    /// IANA time zone, e.g. `Europe/Paris`.
    pub timezone: String,
}

/// Per-camera overrides of profile fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RecordingOverrides {
    /// Overrides the profile's resolution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$"))]
    pub resolution: Option<String>,
    /// Overrides the profile's frames per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 120))]
    pub fps: Option<u32>,
    /// Overrides the profile's retention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Overrides the profile's schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Vec<ScheduleEntry>>,
}

/// Alert rules and their review date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Alerts {
    /// Date of the last review of these rules, `YYYY-MM-DD`.
    #[schemars(pattern(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub reviewed_on: String,
    /// The rules, at most one per kind.
    #[serde(default)]
    pub rules: Vec<AlertRule>,
}

/// One technical alert rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AlertRule {
    /// What the rule watches.
    pub kind: AlertKind,
    /// Trigger threshold: seconds, percent used or degrees Celsius by kind.
    pub threshold: u32,
    /// Who is notified first.
    pub recipients: Vec<String>,
    /// Who is notified next, and after how long.
    #[serde(default)]
    pub escalation: Vec<Escalation>,
}

/// VMS settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Settings {
    /// Admin console inactivity limit, at most 15 minutes (PROC-VMS-001 §01).
    #[schemars(range(min = 1, max = 15))]
    pub session_timeout_minutes: u32,
}

/// A `cameras/**/*.yaml` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, title = "vmsops Cameras")]
pub struct CamerasFile {
    /// Always `vmsops/v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: ApiVersion,
    /// Always `Cameras`.
    pub kind: CamerasKind,
    /// The cameras of this file.
    #[serde(default)]
    pub cameras: Vec<Camera>,
}

/// One camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Camera {
    /// Identifier: lowercase letters, digits and `-`, unique in the site.
    #[schemars(pattern(r"^[a-z0-9-]{1,63}$"))]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Manufacturer.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Firmware version, e.g. `"11.9.60"` (quote it).
    pub firmware: String,
    /// Video stream URL, e.g. `rtsp://…`.
    pub stream_url: String,
    /// A key of `recording_profiles`.
    pub profile: String,
    /// Overrides of profile fields for this camera.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingOverrides>,
    /// Whether the camera records (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
}
