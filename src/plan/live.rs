//! The comparable form of a live configuration read by a driver.

use super::state::{alert_state, CameraState, ConfigState, SettingsState};
use crate::desired::model::AlertRule as DesiredRule;
use crate::model::schedule;
use crate::model::{Capabilities, LiveConfig};

impl ConfigState {
    /// The live configuration; sections the driver cannot manage are left out.
    pub fn from_live(live: &LiveConfig, caps: &Capabilities) -> Self {
        Self {
            cameras: live
                .cameras
                .iter()
                .map(|c| {
                    let s = CameraState {
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
                    };
                    (s.id.clone(), s)
                })
                .collect(),
            alerts: caps.manages_alerts.then(|| {
                live.alert_rules
                    .iter()
                    .map(|r| {
                        let rule = DesiredRule {
                            kind: r.kind,
                            threshold: r.threshold,
                            recipients: r.recipients.clone(),
                            escalation: r.escalation.clone(),
                        };
                        (r.kind, alert_state(&rule, Some(r.version.clone())))
                    })
                    .collect()
            }),
            settings: caps.manages_settings.then(|| SettingsState {
                session_timeout_minutes: live.settings.session_timeout_minutes,
                version: Some(live.settings.version.clone()),
            }),
        }
    }
}
