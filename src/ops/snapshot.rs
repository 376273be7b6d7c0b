//! Taking a snapshot: write it to the store, then journal `snapshot.create` — for apply, restore and the CLI alike.
//!
//! No snapshot, no change (PROC-VMS-001 §03): callers change nothing unless
//! this returned `Ok`.

use serde_json::{Map, Value};

use crate::audit::{AuditError, Journal, NewEntry, Outcome};
use crate::snapshot::{SnapshotError, SnapshotInfo, SnapshotMeta, SnapshotStore};

/// Why a snapshot could not be taken or recorded.
#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    /// The store refused it: nothing was written.
    #[error("the snapshot could not be written")]
    Store(#[source] SnapshotError),
    /// It was written but the journal did not take its entry.
    #[error("snapshot {id} was written but could not be journaled")]
    Journal {
        /// The snapshot written.
        id: String,
        /// The journal's failure.
        #[source]
        source: AuditError,
    },
}

/// Writes `export` as a snapshot described by `meta`, then journals it.
///
/// `entry` carries the site, operator, commit and time of the journal entry;
/// `detail` adds what the caller records about it (given the written snapshot).
pub fn take(
    store: &SnapshotStore,
    journal: &Journal,
    meta: &SnapshotMeta,
    export: &Value,
    entry: NewEntry,
    detail: impl FnOnce(&SnapshotInfo) -> Option<Map<String, Value>>,
) -> Result<SnapshotInfo, TakeError> {
    let info = store.create(meta, export).map_err(TakeError::Store)?;
    journal
        .append(NewEntry {
            action: "snapshot.create".into(),
            target: Some(info.id.clone()),
            result: Outcome::Success,
            snapshot: Some(info.id.clone()),
            detail: detail(&info),
            ..entry
        })
        .map_err(|source| TakeError::Journal {
            id: info.id.clone(),
            source,
        })?;
    Ok(info)
}
