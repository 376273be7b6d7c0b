//! Facts about commits and approvals, gathered from git by the caller and read by the plan, gate and journal.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One commit as the plan, the gate and the journal need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CommitFacts {
    /// Full commit id.
    pub id: String,
    /// First line of the message.
    pub summary: String,
    /// Author name.
    #[serde(rename = "author")]
    pub author_name: String,
    /// Author email.
    #[serde(rename = "email")]
    pub author_email: String,
    /// Values of `Ticket:` trailers.
    pub tickets: Vec<String>,
}

/// The approval tag that let a change through, as the gate accepted it and the journal records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Tag name, e.g. `approve/cr-1234`.
    pub tag: String,
    /// Tagger email (an approver of the trusted policy).
    pub tagger: String,
    /// The approved commit (the revision).
    pub target: String,
}

/// The first 12 characters of a commit id, for messages (the whole id if it is shorter or not ASCII).
pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}
