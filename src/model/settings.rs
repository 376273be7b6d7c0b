//! VMS-wide settings.

use serde::{Deserialize, Serialize};

/// VMS-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Admin console inactivity limit, in minutes.
    pub session_timeout_minutes: u32,
    /// Opaque version for optimistic concurrency.
    pub version: String,
}
