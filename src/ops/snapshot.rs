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

/// Why `snapshot create` took no snapshot.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The VMS could not be reached or exported (journaled as a failure).
    #[error(transparent)]
    Driver(#[from] crate::driver::DriverError),
    /// The journal could not take the entry.
    #[error(transparent)]
    Journal(#[from] AuditError),
    /// The snapshot could not be written or journaled.
    #[error(transparent)]
    Take(#[from] TakeError),
}

/// A snapshot someone asked for (`snapshot create`).
pub struct CreateRequest<'a> {
    /// The site as configured at its last applied commit.
    pub at: &'a super::connection::SiteAt,
    /// The state store.
    pub state: &'a crate::state::StateStore,
    /// Who takes it.
    pub operator: &'a str,
    /// Why.
    pub reason: Option<String>,
    /// When (the journal entry and the snapshot's name).
    pub now: jiff::Timestamp,
    /// Environment lookup (credentials).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// A snapshot taken on request.
#[derive(Debug)]
pub struct Created {
    /// Where it is stored and its digest.
    pub info: SnapshotInfo,
    /// What it records.
    pub meta: SnapshotMeta,
    /// The configuration exported.
    pub export: Value,
}

/// Refuses to begin when the journal cannot take an entry, before the VMS is even read.
pub fn journal_ready(state: &crate::state::StateStore) -> Result<(), AuditError> {
    super::blocking::blocking(|| Journal::open(state).last()).map(|_| ())
}

/// Exports the site's configuration and stores it as a snapshot, journaled; a failed export is journaled too.
pub async fn create(req: &CreateRequest<'_>) -> Result<Created, CreateError> {
    let journal = Journal::open(req.state);
    let mut entry = NewEntry::new(req.now, Action::SnapshotCreate, EntryResult::Success);
    entry.site = Some(req.at.site.name.clone());
    entry.operator = Some(req.operator.to_string());
    entry.commit = req.at.applied.as_ref().map(|a| a.commit.clone());
    let exported = match req.at.connect(req.env) {
        Ok(vms) => vms.export().await,
        Err(e) => Err(e),
    };
    let export = match exported {
        Ok(e) => e,
        Err(err) => {
            // A failed snapshot is journaled too: the monthly review lists failures.
            entry.result = EntryResult::Failure;
            entry.detail = Some(to_map(&SnapshotDetail {
                agent: Some(Agent::Cli),
                reason: req.reason.clone(),
                error: Some(crate::error_chain(&err)),
                ..SnapshotDetail::default()
            }));
            super::blocking::blocking(|| journal.append(entry))?;
            return Err(err.into());
        }
    };
    let site = &req.at.site;
    let meta = SnapshotMeta::for_site(
        &site.name,
        &site.vms,
        site.policy.snapshot_retention_days,
        req.now,
        req.operator,
        req.reason.clone(),
        entry.commit.clone(),
    );
    let store = SnapshotStore::new(req.state);
    let reason = req.reason.clone();
    let info = super::blocking::blocking(|| {
        take(&store, &journal, &meta, &export, entry, |info| {
            Some(to_map(&SnapshotDetail {
                agent: Some(Agent::Cli),
                reason,
                sha256: Some(info.sha256.clone()),
                ..SnapshotDetail::default()
            }))
        })
    })?;
    Ok(Created { info, meta, export })
}

/// The snapshots of the store, of one site or all, oldest first.
pub fn list(
    state: &crate::state::StateStore,
    site: Option<&str>,
) -> Result<Vec<SnapshotInfo>, SnapshotError> {
    super::blocking::blocking(|| SnapshotStore::new(state).list(site))
}

/// One snapshot, its digest verified.
pub fn load(
    state: &crate::state::StateStore,
    id: &str,
) -> Result<crate::snapshot::Snapshot, SnapshotError> {
    super::blocking::blocking(|| SnapshotStore::new(state).load(id))
}

/// Removes the snapshots older than `older_than` that no retention protects, each removal journaled.
pub fn prune_older(
    state: &crate::state::StateStore,
    site: Option<&str>,
    older_than: std::time::Duration,
    operator: Option<&str>,
    clock: &Clock,
) -> Result<PrunePlan, PruneError> {
    super::blocking::blocking(|| {
        let store = SnapshotStore::new(state);
        let plan = store.prune_plan(site, older_than, clock.now())?;
        prune(&store, &Journal::open(state), &plan, operator, clock)?;
        Ok(plan)
    })
}
