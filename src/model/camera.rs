//! A camera as the VMS knows it, its recording parameters, and the rules of their values.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::schedule::ScheduleEntry;

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

/// Recording parameters of one camera, and of a site's recording profile (`site.yaml`'s
/// `recording_profiles`, whose schema keeps the name `RecordingProfile` and the file's
/// constraints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    deny_unknown_fields,
    rename = "RecordingProfile",
    description = "A named set of recording parameters."
)]
pub struct Recording {
    /// `WIDTHxHEIGHT`, e.g. `1920x1080`.
    #[schemars(pattern(r"^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$"))]
    pub resolution: String,
    /// Frames per second.
    #[schemars(
        range(min = 1, max = 120),
        description = "Frames per second, 1 to 120."
    )]
    pub fps: u32,
    /// Days recordings are kept.
    #[schemars(description = "Days recordings are kept, within `policy.retention`.")]
    pub retention_days: u32,
    /// When to record.
    pub schedule: Vec<ScheduleEntry>,
}

/// Width and height of `WIDTHxHEIGHT`, each 1 to 16384.
pub fn parse_resolution(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.split_once('x')?;
    let ok =
        |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && !p.starts_with('0');
    if !ok(w) || !ok(h) {
        return None;
    }
    let (w, h): (u32, u32) = (w.parse().ok()?, h.parse().ok()?);
    ((1..=16384).contains(&w) && (1..=16384).contains(&h)).then_some((w, h))
}

/// The numbers of a dotted version (`11.9.60`), for numeric comparison.
pub fn parse_version(s: &str) -> Option<Vec<u64>> {
    s.split('.')
        .map(|p| if p.is_empty() { None } else { p.parse().ok() })
        .collect()
}
