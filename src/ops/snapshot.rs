//! Taking a snapshot (write it, then journal `snapshot.create`) for apply, restore and the CLI alike,
//! and pruning (each removal journaled as `snapshot.delete`).
//!
//! No snapshot, no change (PROC-VMS-001 §03): callers change nothing unless
//! this returned `Ok`.

use serde_json::{Map, Value};

use super::clock::Clock;
use crate::audit::detail::{to_map, Agent, SnapshotDetail};
use crate::audit::{Action, AuditError, EntryResult, Journal, NewEntry};
use crate::snapshot::{PrunePlan, SnapshotError, SnapshotInfo, SnapshotMeta, SnapshotStore};

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
            action: Action::SnapshotCreate,
            target: Some(info.id.clone()),
            result: EntryResult::Success,
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

/// Why pruning stopped.
#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    /// The journal cannot take entries: nothing was removed.
    #[error("the journal cannot record removals, so nothing was removed")]
    JournalUnavailable(#[source] AuditError),
    /// A snapshot file could not be removed.
    #[error(transparent)]
    Store(#[from] SnapshotError),
    /// A snapshot was removed but its removal could not be journaled.
    #[error("snapshot {id} was removed but could not be journaled")]
    Journal {
        /// The snapshot removed.
        id: String,
        /// The journal's failure.
        #[source]
        source: AuditError,
    },
}

/// Removes the snapshots `plan` chose, journaling each removal (`snapshot.delete`) right after it.
pub fn prune(
    store: &SnapshotStore,
    journal: &Journal,
    plan: &PrunePlan,
    operator: Option<&str>,
    clock: &Clock,
) -> Result<(), PruneError> {
    if !plan.remove.is_empty() {
        // Check the journal can take the removals before removing anything.
        journal.last().map_err(PruneError::JournalUnavailable)?;
    }
    for s in &plan.remove {
        store.remove(s)?;
        let mut entry = NewEntry::new(clock.now(), Action::SnapshotDelete, EntryResult::Success);
        entry.site = Some(s.site.clone());
        entry.operator = operator.map(String::from);
        entry.target = Some(s.id.clone());
        entry.snapshot = Some(s.id.clone());
        entry.commit = s.commit.clone();
        entry.detail = Some(to_map(&SnapshotDetail {
            agent: Some(Agent::Cli),
            taken_at: Some(s.taken_at.to_string()),
            sha256: Some(s.sha256.clone()),
            retention_days: Some(s.meta.retention_days()),
            ..SnapshotDetail::default()
        }));
        journal
            .append(entry)
            .map_err(|source| PruneError::Journal {
                id: s.id.clone(),
                source,
            })?;
    }
    Ok(())
}
