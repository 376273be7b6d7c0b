//! The audit journal (docs/journal.md): append-only, hash-chained, fsynced, reviewed monthly.
//!
//! [`Journal`] appends entries to `STATE/journal.jsonl` under a file lock and
//! reads them back; [`GroupCommit`] shares one sync between concurrent appends; [`verify`] re-walks the hash chain; [`review()`] is the
//! monthly review of PROC-VMS-001 §04, a pure function over the entries and
//! the facts `ops::vms_journal` reads from each VMS; [`render`] turns the journal and
//! the review into text and markdown.
//!
//! Nothing here ever rewrites, truncates or "repairs" the journal: damage is
//! reported (by `verify`, and by `append`, which refuses to extend it), never
//! hidden. Nothing here prints.

pub mod action;
pub mod detail;
pub mod entry;
pub mod group;
pub mod journal;
pub mod render;
pub mod review;
pub mod verify;

use std::path::PathBuf;

pub use action::Action;
pub use entry::{Approval, Entry, EntryResult, NewEntry};
pub use group::GroupCommit;
pub use journal::Journal;
pub use review::{review, Month, Review, ReviewInput, SiteFacts, VmsJournal};
pub use verify::{Anchor, AnchorCheck, AnchorKind, Break, BreakKind, VerifyReport};

use crate::state::StateError;

/// Failures reading or appending to the journal.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The journal (or its folder) could not be read, written, locked or synced.
    #[error("cannot access the journal {path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The last line is not an intact entry, so appending would extend a damaged chain.
    #[error("refusing to append to {path}: {reason}; run `vmsops audit verify` and have the journal examined")]
    BrokenTail {
        /// The journal.
        path: PathBuf,
        /// What is wrong with the last line.
        reason: String,
    },
    /// A line is not a journal entry.
    #[error("{path}, line {line}: not a journal entry: {reason}; run `vmsops audit verify`")]
    Malformed {
        /// The journal.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The state directory could not be read (for anchors).
    #[error(transparent)]
    State(#[from] StateError),
    /// The journal's writer thread is gone (the process is stopping): nothing was appended.
    #[error("the journal writer has stopped; nothing was appended")]
    Stopped,
}
