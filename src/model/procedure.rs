//! The numbers and rules of the administration procedure (PROC-VMS-001), defined once.
//!
//! The gate, validation, drift and the monthly review all read them from here,
//! so that a clause of the procedure cannot mean two things in two places.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The smallest `snapshot_retention_days` the procedure allows: six months (§03).
pub const MIN_SNAPSHOT_RETENTION_DAYS: u32 = 183;

/// The default longest age of an alert-rule review: six months (§02).
pub const ALERT_REVIEW_MAX_AGE_DAYS: u32 = 183;

/// Longest admin session inactivity the procedure allows, in minutes (§01).
pub const MAX_SESSION_TIMEOUT_MINUTES: u32 = 15;

/// The identities that name no person unless a site lists its own (§01): `policy.generic_identities`'s default.
pub const DEFAULT_GENERIC_IDENTITIES: [&str; 3] = ["admin", "root", "administrator"];

/// [`DEFAULT_GENERIC_IDENTITIES`] as owned strings.
pub fn default_generic_identities() -> Vec<String> {
    DEFAULT_GENERIC_IDENTITIES.map(String::from).to_vec()
}

/// True for a session timeout the procedure allows: 1 to [`MAX_SESSION_TIMEOUT_MINUTES`] minutes.
pub fn is_allowed_session_timeout(minutes: u32) -> bool {
    (1..=MAX_SESSION_TIMEOUT_MINUTES).contains(&minutes)
}

/// The gate class of an operation; declared from least to most strict.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// name, stream_url.
    Metadata,
    /// Any alert operation.
    Alerts,
    /// camera.create.
    CameraAdd,
    /// camera.delete.
    CameraRemove,
    /// settings.update.
    Settings,
    /// resolution, fps, retention, schedule or enabled of an existing camera.
    Recording,
    /// policy.change.
    Policy,
}

impl Class {
    /// True if a change of this class needs the Responsable Sécurité's approval (§02, §04).
    pub fn needs_approval(self) -> bool {
        matches!(self, Class::Recording | Class::Settings | Class::Policy)
    }

    /// True if a change of this class may only be made in a maintenance window (§02).
    pub fn needs_window(self) -> bool {
        self == Class::Recording
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approval_and_window_classes() {
        let approval: Vec<Class> = [
            Class::Metadata,
            Class::Alerts,
            Class::CameraAdd,
            Class::CameraRemove,
            Class::Settings,
            Class::Recording,
            Class::Policy,
        ]
        .into_iter()
        .filter(|c| c.needs_approval())
        .collect();
        assert_eq!(approval, [Class::Settings, Class::Recording, Class::Policy]);
        assert!(Class::Recording.needs_window() && !Class::Settings.needs_window());
    }
}
