//! Every git2 call: trees at a revision, history and trailers, approval tags, notes.
//!
//! The rest of the crate receives what this module gathered (bytes of files,
//! commit facts, tag facts) and never opens a repository itself; the gate in
//! particular judges facts and touches no repository.

pub mod history;
pub mod notes;
pub mod tags;
pub mod tree;

#[cfg(test)]
mod gate_tests;
#[cfg(test)]
mod testrepo;

pub use history::{commits_between, descends_from};
pub use tags::approval_tags;
pub use tree::{DirEntry, SourceError, Tree, WORKTREE};
