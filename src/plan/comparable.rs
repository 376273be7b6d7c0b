//! The comparable form of a configuration, built from either side (desired or live).
//!
//! Both sides are normalised the same way (canonical schedules, recipient sets)
//! so that values that are equal but written differently never show as changes.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::desired::effective::effective_recording;
use crate::desired::model::{AlertKind, AlertRule, Camera, Escalation, Site};
use crate::model::schedule::{self, Canonical};
use crate::model::{Camera as LiveCamera, Recording};

/// One camera as vmsops compares it: a [`LiveCamera`]'s fields with the recording
/// flattened, its schedule in canonical form and its version optional (none on the
/// desired side); built from and back to a [`LiveCamera`] only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparableCamera {
    /// Identifier, unique in the site.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Manufacturer (read-only once created).
    pub vendor: String,
    /// Model (read-only once created).
    pub model: String,
    /// Firmware (read-only once created).
    pub firmware: String,
    /// Stream URL.
    pub stream_url: String,
    /// Whether it records.
    pub enabled: bool,
    /// `WIDTHxHEIGHT`.
    pub resolution: String,
    /// Frames per second.
    pub fps: u32,
    /// Days recordings are kept.
    pub retention_days: u32,
    /// When it records.
    pub schedule: Canonical,
    /// The live object's version, for `If-Match` (live side only).
    pub version: Option<String>,
}

/// One alert rule as vmsops compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComparableAlert {
    /// What it watches.
    pub kind: AlertKind,
    /// Trigger threshold.
    pub threshold: u32,
    /// First recipients (lowercased set).
    pub recipients: BTreeSet<String>,
    /// Escalation steps by delay (recipients as sets).
    pub escalation: BTreeMap<u32, BTreeSet<String>>,
    /// The live object's version (live side only).
    pub version: Option<String>,
}

/// VMS settings as vmsops compares them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComparableSettings {
    /// Admin console inactivity limit.
    pub session_timeout_minutes: u32,
    /// The live object's version (live side only).
    #[serde(skip)]
    pub version: Option<String>,
}

/// A whole configuration; `None` sections are not managed on that side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComparableConfig {
    /// Cameras by id.
    pub cameras: BTreeMap<String, ComparableCamera>,
    /// Alert rules by kind, when managed.
    pub alerts: Option<BTreeMap<AlertKind, ComparableAlert>>,
    /// Settings, when managed.
    pub settings: Option<ComparableSettings>,
}

fn email_set(v: &[String]) -> BTreeSet<String> {
    v.iter().map(|e| e.trim().to_ascii_lowercase()).collect()
}

/// The comparable form of an alert rule.
pub fn comparable_alert(r: &AlertRule, version: Option<String>) -> ComparableAlert {
    ComparableAlert {
        kind: r.kind,
        threshold: r.threshold,
        recipients: email_set(&r.recipients),
        escalation: escalation_map(&r.escalation),
        version,
    }
}

fn escalation_map(steps: &[Escalation]) -> BTreeMap<u32, BTreeSet<String>> {
    let mut m: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for s in steps {
        m.entry(s.after_minutes)
            .or_default()
            .extend(email_set(&s.recipients));
    }
    m
}

impl ComparableAlert {
    /// Back to the file / API form.
    pub fn to_rule(&self) -> AlertRule {
        AlertRule {
            kind: self.kind,
            threshold: self.threshold,
            recipients: self.recipients.iter().cloned().collect(),
            escalation: self
                .escalation
                .iter()
                .map(|(m, r)| Escalation {
                    after_minutes: *m,
                    recipients: r.iter().cloned().collect(),
                })
                .collect(),
        }
    }
}

impl ComparableCamera {
    /// The camera's desired state; `None` if its profile does not exist (a validation error).
    pub fn from_desired(site: &Site, c: &Camera) -> Option<Self> {
        let recording = effective_recording(site, c)?;
        let live_shape = LiveCamera {
            id: c.id.clone(),
            name: c.name.clone(),
            vendor: c.vendor.clone(),
            model: c.model.clone(),
            firmware: c.firmware.clone(),
            stream_url: c.stream_url.clone(),
            enabled: c.enabled,
            recording,
            version: String::new(),
        };
        Some(Self {
            version: None,
            ..Self::from_camera(&live_shape)
        })
    }

    /// A camera as a VMS (or a driver's payload) holds it, with its version.
    pub fn from_camera(c: &LiveCamera) -> Self {
        Self {
            id: c.id.clone(),
            name: c.name.clone(),
            vendor: c.vendor.clone(),
            model: c.model.clone(),
            firmware: c.firmware.clone(),
            stream_url: c.stream_url.clone(),
            enabled: c.enabled,
            resolution: c.recording.resolution.clone(),
            fps: c.recording.fps,
            retention_days: c.recording.retention_days,
            schedule: schedule::canonical(&c.recording.schedule),
            version: Some(c.version.clone()),
        }
    }

    /// Back to the form a driver takes (the version empty when there is none).
    pub fn to_camera(&self) -> LiveCamera {
        LiveCamera {
            id: self.id.clone(),
            name: self.name.clone(),
            vendor: self.vendor.clone(),
            model: self.model.clone(),
            firmware: self.firmware.clone(),
            stream_url: self.stream_url.clone(),
            enabled: self.enabled,
            recording: Recording {
                resolution: self.resolution.clone(),
                fps: self.fps,
                retention_days: self.retention_days,
                schedule: schedule::entries(&self.schedule),
            },
            version: self.version.clone().unwrap_or_default(),
        }
    }
}

impl ComparableConfig {
    /// The desired configuration of a site.
    pub fn from_desired<'a>(site: &Site, cameras: impl IntoIterator<Item = &'a Camera>) -> Self {
        Self {
            cameras: cameras
                .into_iter()
                .filter_map(|c| ComparableCamera::from_desired(site, c).map(|s| (s.id.clone(), s)))
                .collect(),
            alerts: site.alerts.as_ref().map(|a| {
                a.rules
                    .iter()
                    .map(|r| (r.kind, comparable_alert(r, None)))
                    .collect()
            }),
            settings: site.settings.as_ref().map(|s| ComparableSettings {
                session_timeout_minutes: s.session_timeout_minutes,
                version: None,
            }),
        }
    }
}
