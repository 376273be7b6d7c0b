//! Restore: bring a VMS back to a snapshot — the procedure's first reflex (PROC-VMS-001 §03).
//!
//! Gate in restore mode (a named operator and, with `require_ticket`, a ticket;
//! no approval, no window), the site lock, a snapshot of the current state
//! first, then the import — each step journaled like an apply.

use std::time::Duration;

use super::blocking::blocking;
use super::clock::Clock;
use super::execute::import::{journaled_import, ImportJob};
use super::snapshot::{take, TakeError};
use crate::audit::detail::{to_map, Agent, RefusalDetail, RestoreDetail};
use crate::audit::{Action, AuditError, EntryResult, Journal, NewEntry};
use crate::driver::{DriverError, Vms};
use crate::gate::{self, GateInput, GateOutcome, Mode, Refusal};
use crate::model::{Capabilities, Operator};
use crate::ops::connection::SiteAt;
use crate::snapshot::{Snapshot, SnapshotError, SnapshotInfo, SnapshotMeta, SnapshotStore};
use crate::state::lock::{self, Holder, LockError, SiteLock};
use crate::state::StateStore;

/// How the configuration was put back, or why not (the engine's, shared with rollback).
pub use super::execute::{RestoreFailure, RestoreMethod};

/// What a restore needs.
pub struct RestoreRequest<'a> {
    /// The snapshot to restore (already loaded and verified).
    pub snapshot: &'a Snapshot,
    /// The site as configured at its last applied commit (its policy judges the restore).
    pub site: &'a SiteAt,
    /// The repository (the git note on the applied commit anchors the restore).
    pub repo: &'a std::path::Path,
    /// The state directory.
    pub state: &'a StateStore,
    /// The accountable person.
    pub operator: &'a Operator,
    /// The ticket.
    pub ticket: Option<&'a str>,
    /// How long to wait for the site lock.
    pub lock_timeout: Duration,
    /// The run's clock.
    pub clock: Clock,
    /// Environment lookup (credentials).
    pub env: &'a (dyn Fn(&str) -> Option<String> + Send + Sync),
    /// Set by SIGINT / SIGTERM: the import is not started (one already sent finishes);
    /// per object, no new operation starts, and those in flight finish and are journaled.
    pub interrupted: &'a std::sync::atomic::AtomicBool,
}

/// How a restore ended.
#[derive(Debug)]
pub struct RestoreReport {
    /// The gate's refusals (empty when allowed).
    pub refusals: Vec<Refusal>,
    /// The snapshot of the state before the restore.
    pub before: Option<String>,
    /// True if the VMS now holds the snapshot's configuration.
    pub restored: bool,
    /// True if a signal stopped the restore before its import was sent.
    pub interrupted: bool,
    /// How the configuration was put back, once it was.
    pub method: Option<RestoreMethod>,
    /// The gate's outcome.
    pub gate: GateOutcome,
}

/// Failures of a restore outside the gate.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The snapshot belongs to another site or driver.
    #[error("snapshot {id} was taken from {what}; it can only be restored there")]
    Mismatch {
        /// The snapshot.
        id: String,
        /// Where it comes from.
        what: String,
    },
    /// The lock is held.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The VMS failed.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The configuration could not be put back (the VMS refused it, per-object operations failed, or a signal stopped them).
    #[error(transparent)]
    Restore(#[from] RestoreFailure),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] AuditError),
    /// The journal does not reach its anchors (it was cut), or they cannot be read.
    #[error(transparent)]
    Anchors(#[from] super::anchors::ReachError),
    /// The snapshot of the current state failed: no snapshot, no change.
    #[error("no snapshot of the current state, so no restore")]
    Snapshot(#[source] SnapshotError),
}

/// Restores `req.snapshot` to the site's VMS.
pub async fn restore(req: &RestoreRequest<'_>) -> Result<RestoreReport, RestoreError> {
    let site = &req.site.site;
    let meta = &req.snapshot.meta;
    if meta.site != site.name || meta.driver != site.vms.driver {
        return Err(RestoreError::Mismatch {
            id: req.snapshot.id.clone(),
            what: format!(
                "site `{}` ({} driver at {})",
                meta.site, meta.driver, meta.url
            ),
        });
    }
    super::anchors::ensure_reached(req.state).await?;
    let journal = Journal::open(req.state);
    let vms = req.site.connect(&|k| (req.env)(k))?;
    let caps = vms.capabilities();
    let gate = judge(req, &caps);
    let base = NewEntry {
        site: Some(site.name.clone()),
        operator: Some(req.operator.to_string()),
        target: Some(req.snapshot.id.clone()),
        commit: meta.commit.clone(),
        ticket: gate.ticket.clone(),
        snapshot: Some(req.snapshot.id.clone()),
        ..NewEntry::new(req.clock.now(), Action::Restore, EntryResult::Started)
    };
    let mut report = RestoreReport {
        refusals: Vec::new(),
        before: None,
        restored: false,
        interrupted: false,
        method: None,
        gate,
    };
    if report.gate.is_refused(&[]) {
        report.refusals = gate::refusals(&report.gate, &[]);
        journal_refusals(req, &journal, &base, &report.refusals)?;
        return Ok(report);
    }
    let _lock = take_lock(req).await?;
    // The state being replaced is itself kept first.
    let before = snapshot_before(req, vms.as_ref(), &journal, &base).await?;
    report.before = Some(before.id.clone());
    if req.interrupted.load(std::sync::atomic::Ordering::SeqCst) {
        // Interrupted before the import: nothing was changed; the snapshot stays.
        report.interrupted = true;
        return Ok(report);
    }
    let detail = RestoreDetail {
        agent: Agent::Restore,
        reason: None,
        before: Some(before.id.clone()),
        request_id: None,
        error: None,
        method: None,
        operations: None,
    };
    let job = ImportJob {
        vms: vms.as_ref(),
        journal: &journal,
        export: &req.snapshot.export,
        base: &base,
        operator: req.operator.as_str(),
        clock: &req.clock,
        interrupted: Some(req.interrupted),
    };
    report.method = Some(journaled_import(&job, detail).await??);
    report.restored = true;
    super::anchors::record_head(req.state, req.repo, req.site, "restore")
        .await
        .map_err(super::anchors::ReachError::from)?;
    Ok(report)
}

/// Journals each refusal of the gate (result `refused`).
fn journal_refusals(
    req: &RestoreRequest<'_>,
    journal: &Journal,
    base: &NewEntry,
    refusals: &[Refusal],
) -> Result<(), RestoreError> {
    for r in refusals {
        let detail = RefusalDetail {
            check: &r.check,
            message: &r.message,
            targets: None,
            agent: Agent::Restore,
        };
        let entry = NewEntry {
            at: req.clock.now(),
            result: EntryResult::Refused,
            detail: Some(to_map(&detail)),
            ..base.clone()
        };
        blocking(|| journal.append(entry))?;
    }
    Ok(())
}

/// A snapshot of the configuration the restore is about to replace, journaled.
async fn snapshot_before(
    req: &RestoreRequest<'_>,
    vms: &dyn Vms,
    journal: &Journal,
    base: &NewEntry,
) -> Result<SnapshotInfo, RestoreError> {
    let export = vms.export().await?;
    let store = SnapshotStore::new(req.state);
    let meta = SnapshotMeta::for_site(
        &req.site.site.name,
        &req.site.site.vms,
        req.site.site.policy.snapshot_retention_days,
        req.clock.now(),
        req.operator.as_str(),
        Some(format!("before restoring {}", req.snapshot.id)),
        req.site.commit.clone(),
    );
    let entry = NewEntry {
        at: req.clock.now(),
        ..base.clone()
    };
    match blocking(|| take(&store, journal, &meta, &export, entry, |_| None)) {
        Ok(b) => Ok(b),
        Err(TakeError::Store(e)) => Err(RestoreError::Snapshot(e)),
        Err(TakeError::Journal { source, .. }) => Err(source.into()),
    }
}

/// The gate in restore mode: a named operator and, with `require_ticket`, a ticket.
fn judge(req: &RestoreRequest<'_>, caps: &Capabilities) -> GateOutcome {
    let site = &req.site.site;
    let rev = req.site.commit.clone().unwrap_or_default();
    let mut input = GateInput::new(
        Mode::Restore,
        &site.policy,
        &site.maintenance_windows,
        &rev,
        req.clock.now(),
        caps,
    );
    input.operator = Some(req.operator.as_str());
    input.ticket = req.ticket;
    gate::evaluate(&input, &mut [])
}

/// The site lock, held for the whole restore.
async fn take_lock(req: &RestoreRequest<'_>) -> Result<SiteLock, LockError> {
    let site = &req.site.site.name;
    let me = Holder {
        operator: req.operator.to_string(),
        pid: std::process::id(),
        host: lock::host_name(),
        since: req.clock.now(),
        command: "restore".into(),
    };
    req.state.lock(site, &me, req.lock_timeout).await
}
