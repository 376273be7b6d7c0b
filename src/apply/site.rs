//! Applying one site: lock → read live → refuse a stale plan → plan → gate →
//! snapshot → operations → record the applied commit (SPEC section 6).
//!
//! Shared by `vmsops apply` and `vmsops watch --apply`. Every step that
//! changes something is journaled first; nothing reaches the VMS unless the
//! gate allowed the whole change and a snapshot of the live configuration is
//! on disk.

use std::path::Path;
use std::time::Duration;

use jiff::civil::Date;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use super::context::{desired_cameras, gate_input, git_facts, trust, Bases, ContextError};
use super::executor::{execute, Outcome, Progress, StepJournal, StepResult};
use super::lock::{self, Holder, LockError, SiteLock};
use super::stamped;
use crate::audit::{
    Approval as JournalApproval, AuditError, Journal, NewEntry, Outcome as Result_,
};
use crate::desired::model::Site;
use crate::desired::{SiteDoc, Tree};
use crate::driver::{self, DriverError, Vms};
use crate::gate::{self, GateOutcome, Mode, Refusal};
use crate::plan::build::{site_plan, SiteInput};
use crate::plan::document::SitePlan;
use crate::plan::fingerprint::fingerprint;
use crate::plan::state::ConfigState;
use crate::plan::Operation;
use crate::snapshot::{SnapshotMeta, SnapshotStore};
use crate::state::{Applied, Baseline, StateDir, StateError};

/// Who runs the apply: a person at the command line, or the reconcile loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agent {
    /// `vmsops apply`.
    Cli,
    /// `vmsops watch --apply`.
    Watch,
}

impl Agent {
    fn as_str(self) -> &'static str {
        match self {
            Agent::Cli => "cli",
            Agent::Watch => "watch",
        }
    }
}

/// What an apply of one site needs.
pub struct ApplySite<'a> {
    /// The repository folder.
    pub repo_dir: &'a Path,
    /// The revision's tree.
    pub tree: &'a Tree,
    /// The revision's commit id.
    pub commit: &'a str,
    /// The site's documents at the revision.
    pub doc: &'a SiteDoc,
    /// The site.
    pub site: &'a Site,
    /// `--base`, if given.
    pub base: Option<&'a str>,
    /// The state directory.
    pub state: &'a StateDir,
    /// The accountable person.
    pub operator: &'a str,
    /// `--ticket` / `VMSOPS_TICKET`.
    pub ticket: Option<&'a str>,
    /// `--emergency --reason`.
    pub emergency: Option<&'a str>,
    /// Operations at a time.
    pub parallelism: usize,
    /// Restore the snapshot after a failure.
    pub auto_rollback: bool,
    /// How long to wait for the site lock.
    pub lock_timeout: Duration,
    /// A saved plan to apply exactly (`apply PLAN.json`).
    pub saved: Option<&'a SitePlan>,
    /// Who runs it.
    pub agent: Agent,
    /// Now, and today.
    pub now: Timestamp,
    /// Today (for the alert review).
    pub today: Date,
    /// Environment lookup (credentials).
    pub env: &'a (dyn Fn(&str) -> Option<String> + Send + Sync),
    /// Told of each operation as it ends.
    pub progress: &'a dyn Progress,
}

/// How an apply of one site ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The VMS already matched; the commit is recorded as applied.
    UpToDate,
    /// The gate refused; nothing was changed.
    Refused,
    /// Every operation succeeded.
    Applied,
    /// An operation failed; the rest were not attempted.
    Failed,
}

/// The report of one site's apply.
#[derive(Debug)]
pub struct ApplyReport {
    /// The site.
    pub site: String,
    /// How it ended.
    pub outcome: ApplyOutcome,
    /// The plan, with the gate's verdicts.
    pub plan: SitePlan,
    /// The gate's refusals, each once.
    pub refusals: Vec<Refusal>,
    /// Each operation and how it ended.
    pub steps: Vec<StepResult>,
    /// The snapshot taken before the first change.
    pub snapshot: Option<String>,
    /// True if the snapshot was restored after a failure.
    pub rolled_back: bool,
    /// Why the automatic rollback failed, when it was attempted and failed.
    pub rollback_error: Option<String>,
    /// The previous holder of the lock, when it died without releasing it.
    pub unfinished: Option<Holder>,
    /// Gate outcome (approval, ticket, emergency).
    pub gate: GateOutcome,
}

/// Failures that stop an apply before or outside the operations.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The site lock is held.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The VMS could not be reached or answered badly.
    #[error("site `{site}`: {source}")]
    Driver {
        /// The site.
        site: String,
        /// The cause.
        #[source]
        source: Box<DriverError>,
    },
    /// The saved plan no longer matches.
    #[error("stale plan for site `{site}`: {why}; run `vmsops plan --out` again")]
    StalePlan {
        /// The site.
        site: String,
        /// What changed.
        why: String,
    },
    /// Git facts could not be gathered.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// The state directory failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The journal failed: nothing may proceed unjournaled.
    #[error(transparent)]
    Journal(#[from] AuditError),
    /// The snapshot could not be taken: no snapshot, no change.
    #[error("site `{site}`: no snapshot, no change: {why}")]
    Snapshot {
        /// The site.
        site: String,
        /// Why.
        why: String,
    },
}

struct Journaling<'a> {
    journal: &'a Journal,
    base: NewEntry,
    window: Option<String>,
    agent: Agent,
}

impl Journaling<'_> {
    fn entry(
        &self,
        op: &Operation,
        request_id: &str,
        result: Result_,
        error: Option<&str>,
    ) -> NewEntry {
        let mut detail = Map::new();
        detail.insert("request_id".into(), json!(request_id));
        detail.insert("op".into(), json!(op.op));
        detail.insert("class".into(), json!(op.class));
        detail.insert("changes".into(), json!(op.changes));
        let window = (op.class == crate::plan::Class::Recording)
            .then(|| self.window.clone())
            .flatten();
        detail.insert("window".into(), json!(window));
        detail.insert("agent".into(), json!(self.agent.as_str()));
        detail.insert("error".into(), json!(error));
        NewEntry {
            at: Timestamp::now(),
            action: op.op.as_str().to_string(),
            target: Some(op.target.clone()),
            result,
            detail: Some(detail),
            ..self.base.clone()
        }
    }
}

impl StepJournal for Journaling<'_> {
    fn started(&self, op: &Operation, request_id: &str) -> Result<(), String> {
        self.journal
            .append(self.entry(op, request_id, Result_::Started, None))
            .map(drop)
            .map_err(|e| crate::error_chain(&e))
    }

    fn ended(&self, op: &Operation, request_id: &str, outcome: &Outcome) -> Result<(), String> {
        let (result, error) = match outcome {
            Outcome::Succeeded => (Result_::Success, None),
            Outcome::Failed(e) => (Result_::Failure, Some(e.as_str())),
            // Never journaled as started: nothing to close.
            Outcome::NotAttempted => return Ok(()),
        };
        self.journal
            .append(self.entry(op, request_id, result, error))
            .map(drop)
            .map_err(|e| crate::error_chain(&e))
    }
}

async fn take_lock(a: &ApplySite<'_>) -> Result<SiteLock, LockError> {
    let me = Holder {
        operator: a.operator.to_string(),
        pid: std::process::id(),
        host: lock::host_name(),
        since: Timestamp::now(),
        command: format!("apply ({})", a.agent.as_str()),
    };
    lock::acquire_async(
        &a.state.lock_path(&a.site.name),
        &a.site.name,
        &me,
        a.lock_timeout,
    )
    .await
}

/// Applies one site.
pub async fn apply_site(a: &ApplySite<'_>) -> Result<ApplyReport, ApplyError> {
    let site_name = a.site.name.clone();
    let journal = Journal::open(a.state);
    let lock = take_lock(a).await?;
    let drv = |source| ApplyError::Driver {
        site: site_name.clone(),
        source: Box::new(source),
    };
    let options = driver::ConnectOptions {
        ca_cert_pem: a.doc.ca_cert.clone(),
        ..driver::ConnectOptions::default()
    };
    let vms = driver::connect_with(&a.site.vms, &|k| (a.env)(k), options).map_err(drv)?;
    let caps = vms.capabilities();
    let live = vms.read_live().await.map_err(drv)?;
    let desired_ids: std::collections::BTreeSet<&str> =
        a.doc.cameras.iter().map(|c| c.camera.id.as_str()).collect();
    let mut recordings = Vec::new();
    for c in live
        .cameras
        .iter()
        .filter(|c| !desired_ids.contains(c.id.as_str()))
    {
        if let Some(r) = vms.recordings(&c.id).await.map_err(drv)? {
            recordings.push(r);
        }
    }
    if let Some(saved) = a.saved {
        let fp = fingerprint(&live);
        if saved.desired_commit.as_deref() != Some(a.commit) {
            return Err(ApplyError::StalePlan {
                site: site_name,
                why: format!(
                    "it was made for commit {}, the revision is {}",
                    saved.desired_commit.as_deref().unwrap_or("(work tree)"),
                    a.commit
                ),
            });
        }
        if saved.live_fingerprint.as_deref() != Some(fp.as_str()) {
            return Err(ApplyError::StalePlan {
                site: site_name,
                why: "the live configuration changed since it was made".into(),
            });
        }
    }

    // Plan and gate, against the trusted base.
    let applied = a.state.applied(&site_name)?;
    let base_rev = a
        .base
        .map(String::from)
        .or(applied.as_ref().map(|x| x.commit.clone()));
    let mut bases = Bases::default();
    let trusted = trust(a.doc, a.site, base_rev.as_deref(), a.repo_dir, &mut bases)?;
    let facts = git_facts(a.tree, trusted.base.as_deref())?;
    let mut plan = site_plan(&SiteInput {
        site: a.site,
        cameras: a.doc.cameras.iter().map(|c| &c.camera).collect(),
        signers: a.doc.allowed_signers.as_deref(),
        desired_commit: Some(a.commit.to_string()),
        live: &live,
        caps: &caps,
        today: a.today,
        base: trusted.base.as_ref().map(|b| crate::plan::build::Base {
            site: &trusted.site,
            signers: trusted.signers.as_deref(),
            git: crate::plan::document::GitChanges {
                base: b.clone(),
                commits: Vec::new(),
            },
        }),
    });
    if let Some(saved) = a.saved {
        let same = saved.operations.len() == plan.operations.len()
            && saved
                .operations
                .iter()
                .zip(&plan.operations)
                .all(|(x, y)| x.op == y.op && x.target == y.target && x.changes == y.changes);
        if !same {
            return Err(ApplyError::StalePlan {
                site: site_name,
                why: "its operations differ from what the same commit and live state give now"
                    .into(),
            });
        }
    }
    let cameras = desired_cameras(a.site, a.doc);
    let mut input = gate_input(
        Mode::Apply,
        a.site,
        &trusted,
        &facts,
        &cameras,
        a.commit,
        a.now,
        &caps,
    );
    input.operator = Some(a.operator);
    input.ticket = a.ticket;
    input.recordings = &recordings;
    input.emergency = a.emergency;
    let gate = gate::evaluate(&input, &mut plan.operations);
    if let Some(n) = &trusted.note {
        plan.notes.push(n.clone());
    }
    let authors: Vec<String> = facts
        .commits
        .iter()
        .map(|c| format!("{} <{}>", c.author_name, c.author_email))
        .collect();
    // The reconcile loop acts for the approver who signed the change, else for its author.
    let accountable = match (a.agent, &gate.approval) {
        (Agent::Watch, Some(ap)) => ap.tagger.clone(),
        _ => a.operator.to_string(),
    };
    let base_entry = NewEntry {
        site: Some(site_name.clone()),
        operator: Some(accountable.clone()),
        commit: Some(a.commit.to_string()),
        authors: Some(authors),
        approval: gate.approval.as_ref().map(|x| JournalApproval {
            tag: x.tag.clone(),
            tagger: x.tagger.clone(),
            target: x.target.clone(),
        }),
        ticket: gate.ticket.clone(),
        emergency: gate.emergency_used.clone(),
        ..NewEntry::new(Timestamp::now(), "apply", Result_::Started)
    };
    let mut report = ApplyReport {
        site: site_name.clone(),
        outcome: ApplyOutcome::Refused,
        plan,
        refusals: Vec::new(),
        steps: Vec::new(),
        snapshot: None,
        rolled_back: false,
        rollback_error: None,
        unfinished: lock.stale.clone(),
        gate,
    };
    if let Some(h) = &lock.stale {
        let mut detail = Map::new();
        detail.insert("holder".into(), json!(h));
        detail.insert("agent".into(), json!(a.agent.as_str()));
        journal.append(stamped(NewEntry {
            action: "apply.unfinished".into(),
            target: Some(site_name.clone()),
            result: Result_::Failure,
            detail: Some(detail),
            ..base_entry.clone()
        }))?;
    }
    if report.gate.is_refused(&report.plan.operations) {
        report.refusals = gate::refusals(&report.gate, &report.plan.operations);
        // The reconcile loop only waits (no approval yet, outside a window): it says so in its
        // logs each cycle rather than journaling the same refusal every interval.
        if a.agent == Agent::Watch {
            return Ok(report);
        }
        for r in &report.refusals {
            let mut detail = Map::new();
            detail.insert("check".into(), json!(r.check));
            detail.insert("message".into(), json!(r.message));
            detail.insert("targets".into(), json!(r.targets));
            detail.insert("agent".into(), json!(a.agent.as_str()));
            journal.append(stamped(NewEntry {
                action: "apply".into(),
                target: Some(site_name.clone()),
                result: Result_::Refused,
                detail: Some(detail),
                ..base_entry.clone()
            }))?;
        }
        return Ok(report);
    }

    let baseline_needed = a.state.baseline(&site_name)?.is_none();
    if baseline_needed {
        // The first apply sets the baseline: what the VMS journal holds before it is not out-of-band news.
        let cursor = vms.journal_position().await.map_err(drv)?;
        a.state.set_baseline(
            &site_name,
            &Baseline {
                journal_cursor: cursor,
                at: a.now,
                reason: "first-apply".into(),
                url: a.site.vms.url.clone(),
            },
        )?;
    }
    let applied_detail = |ops: usize, agent: Agent| {
        let mut m = Map::new();
        m.insert("operations".into(), json!(ops));
        m.insert("agent".into(), json!(agent.as_str()));
        m
    };
    if report.plan.operations.is_empty() {
        record_applied(
            a,
            &journal,
            &base_entry,
            None,
            applied_detail(0, a.agent),
            &accountable,
        )?;
        report.outcome = ApplyOutcome::UpToDate;
        return Ok(report);
    }

    // No snapshot, no change (PROC-VMS-001 §03).
    let export = vms.export().await.map_err(|e| ApplyError::Snapshot {
        site: site_name.clone(),
        why: crate::error_chain(&e),
    })?;
    let store = SnapshotStore::new(a.state);
    let meta = SnapshotMeta::for_site(
        a.site,
        Timestamp::now(),
        a.operator,
        Some(format!(
            "before applying {}",
            crate::model::short_id(a.commit)
        )),
        Some(a.commit.to_string()),
    );
    let snap = store
        .create(&meta, &export)
        .map_err(|e| ApplyError::Snapshot {
            site: site_name.clone(),
            why: crate::error_chain(&e),
        })?;
    journal.append(stamped(NewEntry {
        action: "snapshot.create".into(),
        target: Some(snap.id.clone()),
        result: Result_::Success,
        snapshot: Some(snap.id.clone()),
        ..base_entry.clone()
    }))?;
    report.snapshot = Some(snap.id.clone());

    let desired = ConfigState::from_desired(a.site, a.doc.cameras.iter().map(|c| &c.camera));
    let live_state = ConfigState::from_live(&live, &caps);
    let hooks = Journaling {
        journal: &journal,
        base: NewEntry {
            snapshot: Some(snap.id.clone()),
            ..base_entry.clone()
        },
        window: gate::open_window(&trusted.site.maintenance_windows, a.now),
        agent: a.agent,
    };
    report.steps = execute(
        vms.as_ref(),
        &report.plan.operations,
        &desired,
        &live_state,
        a.operator,
        a.parallelism,
        &hooks,
        a.progress,
        &|| uuid::Uuid::new_v4().to_string(),
    )
    .await;
    let failed = report
        .steps
        .iter()
        .any(|s| matches!(s.outcome, Outcome::Failed(_)));
    if failed {
        report.outcome = ApplyOutcome::Failed;
        if a.auto_rollback {
            match rollback(vms.as_ref(), &store, &journal, &snap.id, &base_entry, a).await? {
                Ok(()) => report.rolled_back = true,
                Err(why) => report.rollback_error = Some(why),
            }
        }
        let mut detail = applied_detail(report.steps.len(), a.agent);
        detail.insert("rolled_back".into(), json!(report.rolled_back));
        journal.append(stamped(NewEntry {
            target: Some(site_name.clone()),
            result: Result_::Failure,
            snapshot: Some(snap.id.clone()),
            detail: Some(detail),
            ..base_entry.clone()
        }))?;
        return Ok(report);
    }
    record_applied(
        a,
        &journal,
        &base_entry,
        Some(snap.id.clone()),
        applied_detail(report.steps.len(), a.agent),
        &accountable,
    )?;
    report.outcome = ApplyOutcome::Applied;
    drop(lock);
    Ok(report)
}

/// Journals the apply's success and records the commit as the site's applied (trusted) one.
fn record_applied(
    a: &ApplySite<'_>,
    journal: &Journal,
    base: &NewEntry,
    snapshot: Option<String>,
    detail: Map<String, Value>,
    accountable: &str,
) -> Result<(), ApplyError> {
    let e = journal.append(stamped(NewEntry {
        target: Some(a.site.name.clone()),
        result: Result_::Success,
        snapshot: snapshot.or_else(|| base.snapshot.clone()),
        detail: Some(detail),
        ..base.clone()
    }))?;
    a.state.set_applied(
        &a.site.name,
        &Applied {
            commit: a.commit.into(),
            at: a.now,
            operator: accountable.to_string(),
            agent: a.agent.as_str().into(),
            journal_seq: Some(e.seq),
        },
    )?;
    let line = format!(
        "vmsops: {} applied to site {} at {} by {} (agent {}); journal #{}{}{}",
        crate::model::short_id(a.commit),
        a.site.name,
        e.at,
        accountable,
        a.agent.as_str(),
        e.seq,
        e.snapshot
            .as_deref()
            .map(|s| format!(", snapshot {s}"))
            .unwrap_or_default(),
        e.approval
            .as_ref()
            .map(|ap| format!(", approved by {} ({})", ap.tagger, ap.tag))
            .unwrap_or_default(),
    );
    // The note is a convenience for `git log --notes=vmsops`; the journal is the record.
    if let Err(e) = crate::git::notes::append(a.tree, &line) {
        tracing::warn!(error = %e, "could not attach the git note refs/notes/vmsops");
    }
    Ok(())
}

/// Restores snapshot `id` through `vms.import`, journaled; the inner error says why the VMS refused it.
async fn rollback(
    vms: &dyn Vms,
    store: &SnapshotStore,
    journal: &Journal,
    id: &str,
    base: &NewEntry,
    a: &ApplySite<'_>,
) -> Result<Result<(), String>, ApplyError> {
    let snapshot = store.load(id).map_err(|e| ApplyError::Snapshot {
        site: a.site.name.clone(),
        why: crate::error_chain(&e),
    })?;
    let mut detail = Map::new();
    detail.insert("agent".into(), json!(a.agent.as_str()));
    detail.insert(
        "reason".into(),
        json!("auto-rollback after a failed operation"),
    );
    let base = NewEntry {
        target: Some(id.to_string()),
        snapshot: Some(id.to_string()),
        ..base.clone()
    };
    let result =
        super::journaled_import(vms, journal, &snapshot.export, &base, detail, a.operator).await?;
    Ok(result.map_err(|e| crate::error_chain(&e)))
}
