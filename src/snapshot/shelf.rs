//! Where snapshots are kept: a folder per site, or rows of the shared PostgreSQL store.
//!
//! The store ([`super::SnapshotStore`]) validates, encodes, verifies and plans
//! prunes the same way whatever the shelf; a shelf only keeps stored bodies
//! under ids and hands them back. Which shelf is chosen once, when the store
//! opens.

use std::path::PathBuf;

use super::{SnapshotError, SnapshotInfo, SnapshotMeta};
use crate::state::pg::SnapshotBody;

/// A snapshot as a shelf holds it.
#[derive(Debug)]
pub(super) struct Stored {
    /// Its id.
    pub id: String,
    /// The site it is filed under (its folder, or its row's site).
    pub site: String,
    /// Where it is, as messages name it.
    pub path: PathBuf,
    /// Its bytes as stored.
    pub body: SnapshotBody,
}

/// Keeps stored snapshot bodies under ids.
pub(super) trait Shelf: Send + Sync + std::fmt::Debug {
    /// Where the snapshots are, as messages name it.
    fn root(&self) -> PathBuf;
    /// Stores `body` under the first free id that `next_id` gives; returns the id and where it is.
    fn insert(
        &self,
        meta: &SnapshotMeta,
        body: SnapshotBody,
        sha256: &str,
        next_id: &mut dyn FnMut() -> String,
    ) -> Result<(String, PathBuf), SnapshotError>;
    /// Every stored snapshot (of `site`, if given), in no particular order.
    fn all(&self, site: Option<&str>) -> Result<Vec<Stored>, SnapshotError>;
    /// Snapshot `id`, if it is stored.
    fn get(&self, id: &str) -> Result<Stored, SnapshotError>;
    /// The bytes of `info` as stored.
    fn body(&self, info: &SnapshotInfo) -> Result<SnapshotBody, SnapshotError>;
    /// Removes `info` durably.
    fn remove(&self, info: &SnapshotInfo) -> Result<(), SnapshotError>;
}
