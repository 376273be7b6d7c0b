//! The comparable form of a live configuration read by a driver.

use super::comparable::{comparable_alert, ComparableCamera, ComparableConfig, ComparableSettings};
use crate::desired::model::AlertRule as DesiredRule;
use crate::model::{Capabilities, LiveConfig};

impl ComparableConfig {
    /// The live configuration; sections the driver cannot manage are left out.
    pub fn from_live(live: &LiveConfig, caps: &Capabilities) -> Self {
        Self {
            cameras: live
                .cameras
                .iter()
                .map(|c| (c.id.clone(), ComparableCamera::from_camera(c)))
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
                        (r.kind, comparable_alert(&rule, Some(r.version.clone())))
                    })
                    .collect()
            }),
            settings: caps.manages_settings.then(|| ComparableSettings {
                session_timeout_minutes: live.settings.session_timeout_minutes,
                version: Some(live.settings.version.clone()),
            }),
        }
    }
}
