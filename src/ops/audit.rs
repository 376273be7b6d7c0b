//! Reading the journal for people: `audit verify` (the chain against every anchor) and `audit log`.
//!
//! Never writes, truncates or repairs the journal: damage is reported, never hidden.

use std::path::Path;

use super::anchors::{self, AnchorError};
use super::blocking::blocking;
use crate::audit::{Anchor, AuditError, Entry, Journal, VerifyReport};
use crate::state::StateStore;

/// The chain of a store's journal, checked against its anchors.
#[derive(Debug)]
pub struct ChainCheck {
    /// The journal as messages name it (a file, or the store without its password).
    pub journal: String,
    /// The anchors it was checked against.
    pub anchors: Vec<Anchor>,
    /// What the walk found.
    pub report: VerifyReport,
}

/// Re-walks the journal's hash chain against every anchor: the state's and, with `repo`, the git notes'.
pub fn verify_chain(state: &StateStore, repo: Option<&Path>) -> Result<ChainCheck, AnchorError> {
    blocking(|| {
        let journal = Journal::open(state);
        let anchors = anchors::gather(state, repo)?;
        let report = journal.verify_against(&anchors)?;
        Ok(ChainCheck {
            journal: journal.location(),
            anchors,
            report,
        })
    })
}

/// The entries that can be read, in order, and the error that stopped the reading, if any.
pub fn readable_entries(state: &StateStore) -> Result<(Vec<Entry>, Option<String>), AuditError> {
    blocking(|| {
        let mut entries = Vec::new();
        for e in Journal::open(state).entries()? {
            match e {
                Ok(e) => entries.push(e),
                Err(err) => return Ok((entries, Some(crate::error_chain(&err)))),
            }
        }
        Ok((entries, None))
    })
}
