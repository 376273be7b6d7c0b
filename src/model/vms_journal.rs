//! The VMS's own administration journal, as vmsops reads it.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One entry of the VMS's own administration journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
