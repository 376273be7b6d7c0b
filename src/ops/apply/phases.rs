//! The phases of one site's apply, in the order [`super::apply_site`] runs them.
//!
//! `start` takes the lock and reads the VMS; `gate` plans and judges; a [`Run`]
//! then journals the refusal, sets the baseline, binds the operations, takes
//! the snapshot, executes, and concludes (rollback or record). Every journal
//! entry and record is dated by the run's one clock.

use std::collections::BTreeSet;

use super::{Agent, ApplyError, ApplyOutcome, ApplyReport, ApplySite};
use crate::audit::detail::{to_map, ApplyEndDetail, RefusalDetail, UnfinishedDetail, VerifyDetail};
use crate::audit::{Action, AuditError, EntryResult, GroupCommit, Journal, NewEntry};
use crate::driver::{self, DriverError, Vms};
use crate::gate::{self, Mode};
use crate::model::{Capabilities, LiveConfig, Recordings};
use crate::ops::blocking::blocking;
use crate::ops::context::Bases;
use crate::ops::execute::import::{over_limit, ImportJob};
use crate::ops::execute::journaling::Journaling;
use crate::ops::execute::rollback::{roll_back, RollbackJob, RollbackSummary};
use crate::ops::execute::{bind, execute, BoundOp, Execution, Outcome};
use crate::ops::gated_plan::{gated_plan, GatedPlan, GatedPlanInput};
use crate::ops::snapshot::{take, TakeError};
use crate::ops::verify;
use crate::plan::comparable::ComparableConfig;
use crate::plan::fingerprint::fingerprint;
use crate::snapshot::{SnapshotInfo, SnapshotMeta, SnapshotStore};
use crate::state::lock::{self, Holder, SiteLock};
use crate::state::{Applied, Baseline};

/// What the start of an apply holds: the lock and the VMS as read under it.
pub(super) struct Started {
    lock: SiteLock,
    vms: Box<dyn Vms>,
    caps: Capabilities,
    live: LiveConfig,
}

fn driver_err(site: &str) -> impl Fn(DriverError) -> ApplyError + '_ {
    move |source| ApplyError::Driver {
        site: site.to_string(),
        source: Box::new(source),
    }
}

fn stale(site: &str, why: impl Into<String>) -> ApplyError {
    ApplyError::StalePlan {
        site: site.to_string(),
        why: why.into(),
    }
}

/// Takes the site lock, connects, reads the live configuration and refuses a saved plan made for another one.
pub(super) async fn start(a: &ApplySite<'_>) -> Result<Started, ApplyError> {
    let site = a.site.name.as_str();
    let me = Holder {
        operator: a.settings.operator.to_string(),
        pid: std::process::id(),
        host: lock::host_name(),
        since: a.settings.clock.now(),
        command: format!("apply ({})", a.settings.agent.as_str()),
    };
    let lock = a.state.lock(site, &me, a.settings.lock_timeout).await?;
    journal_reaches_its_anchors(a).await?;
    let options = driver::ConnectOptions {
        ca_cert_pem: a.doc.ca_cert.clone(),
        ..driver::ConnectOptions::default()
    };
    let vms =
        driver::connect_with(&a.site.vms, &|k| (a.env)(k), options).map_err(driver_err(site))?;
    let caps = vms.capabilities();
    let live = vms.read_live().await.map_err(driver_err(site))?;
    if let Some(saved) = a.saved {
        if saved.desired_commit.as_deref() != Some(a.commit) {
            return Err(stale(
                site,
                format!(
                    "it was made for commit {}, the revision is {}",
                    saved.desired_commit.as_deref().unwrap_or("(work tree)"),
                    a.commit
                ),
            ));
        }
        if saved.live_fingerprint.as_deref() != Some(fingerprint(&live).as_str()) {
            return Err(stale(
                site,
                "the live configuration changed since it was made",
            ));
        }
    }
    Ok(Started {
        lock,
        vms,
        caps,
        live,
    })
}

/// Refuses a journal that is missing or shorter than an anchor recorded outside it.
async fn journal_reaches_its_anchors(a: &ApplySite<'_>) -> Result<(), ApplyError> {
    match crate::ops::anchors::unreached(a.state).await? {
        Some(u) => Err(ApplyError::JournalCut {
            site: a.site.name.clone(),
            last: u.last,
            what: u.anchor.what,
            seq: u.anchor.seq,
        }),
        None => Ok(()),
    }
}

/// The recordings of the live cameras that the desired state no longer has (for `recordings-kept`).
async fn recordings_of_removed(
    a: &ApplySite<'_>,
    s: &Started,
) -> Result<Vec<Recordings>, ApplyError> {
    let desired: BTreeSet<&str> = a.doc.cameras.iter().map(|c| c.camera.id.as_str()).collect();
    let mut out = Vec::new();
    for c in s
        .live
        .cameras
        .iter()
        .filter(|c| !desired.contains(c.id.as_str()) && crate::model::is_path_safe(&c.id))
    {
        if let Some(r) = s
            .vms
            .recordings(&c.id)
            .await
            .map_err(driver_err(&a.site.name))?
        {
            out.push(r);
        }
    }
    Ok(out)
}

/// One apply after the gate: what it journals under, and its report so far.
pub(super) struct Run<'a, 'b> {
    a: &'a ApplySite<'b>,
    journal: Journal,
    base_entry: NewEntry,
    accountable: String,
    window: Option<String>,
    /// The report, completed phase by phase.
    pub report: ApplyReport,
}

/// Plans the site against its trusted base and runs the gate (git2 reads off the async workers).
async fn gated(a: &ApplySite<'_>, s: &Started) -> Result<GatedPlan, ApplyError> {
    let recordings = recordings_of_removed(a, s).await?;
    let applied = a.state.applied(&a.site.name)?;
    let input = GatedPlanInput {
        mode: Mode::Apply,
        repo_dir: a.repo_dir,
        tree: a.tree,
        doc: a.doc,
        site: a.site,
        desired_commit: Some(a.commit.to_string()),
        rev: a.commit,
        base: trusted_base(a, applied.as_ref()),
        live: &s.live,
        caps: &s.caps,
        recordings: &recordings,
        now: a.settings.clock.now(),
        today: a.settings.today,
        operator: Some(a.settings.operator.as_str()),
        ticket: a.settings.ticket.as_deref(),
        emergency: a.settings.emergency.as_deref(),
    };
    Ok(blocking(|| gated_plan(&input, &mut Bases::default()))?)
}

/// The base the gate trusts: `--base`, else the last applied commit. A saved plan's
/// recorded base is never trusted by itself — the file is not signed, and a plan made
/// with `--base HEAD` would let a change approve itself — it must match (see `same_as_saved`).
fn trusted_base<'a>(
    a: &'a ApplySite<'_>,
    applied: Option<&'a crate::state::Applied>,
) -> Option<&'a str> {
    a.base.or(applied.map(|x| x.commit.as_str()))
}

/// A saved plan must still hold the operations that the same commit and live state give now.
fn same_as_saved(
    a: &ApplySite<'_>,
    plan: &crate::plan::document::SitePlan,
) -> Result<(), ApplyError> {
    let Some(saved) = a.saved else {
        return Ok(());
    };
    let base_of = |p: &crate::plan::document::SitePlan| p.git.as_ref().map(|g| g.base.clone());
    if let Some(recorded) = base_of(saved) {
        let short = crate::model::short_id;
        let why = match base_of(plan) {
            Some(trusted) if trusted == recorded => None,
            Some(trusted) => Some(format!(
                "it was made against base {}, and apply trusts {} (`--base`, else the last applied commit): plan again against {}, or pass `--base {}` to trust that base",
                short(&recorded),
                short(&trusted),
                short(&trusted),
                short(&recorded)
            )),
            None => Some(format!(
                "it was made against base {}, and nothing is applied yet: a first apply trusts a base only when given, `--base {}`",
                short(&recorded),
                short(&recorded)
            )),
        };
        if let Some(why) = why {
            return Err(stale(&a.site.name, &why));
        }
    }
    let same = saved.operations.len() == plan.operations.len()
        && saved
            .operations
            .iter()
            .zip(&plan.operations)
            .all(|(x, y)| x.op == y.op && x.target == y.target && x.changes == y.changes);
    if same {
        Ok(())
    } else {
        Err(stale(
            &a.site.name,
            "its operations differ from what the same commit and live state give now",
        ))
    }
}

/// The gate phase: the gated plan, checked against a saved plan, and the run that journals under its verdict.
pub(super) async fn gate<'a, 'b>(
    a: &'a ApplySite<'b>,
    s: &Started,
) -> Result<Run<'a, 'b>, ApplyError> {
    let site = a.site.name.as_str();
    let GatedPlan {
        plan,
        gate,
        trusted,
        facts,
    } = gated(a, s).await?;
    same_as_saved(a, &plan)?;
    let authors: Vec<String> = facts
        .commits
        .iter()
        .map(|c| format!("{} <{}>", c.author_name, c.author_email))
        .collect();
    // The reconcile loop acts for the approver who signed the change, else for its author.
    let accountable = match (a.settings.agent, &gate.approval) {
        (Agent::Watch, Some(ap)) => ap.tagger.clone(),
        _ => a.settings.operator.to_string(),
    };
    let base_entry = NewEntry {
        site: Some(site.to_string()),
        operator: Some(accountable.clone()),
        commit: Some(a.commit.to_string()),
        authors: Some(authors),
        approval: gate.approval.clone(),
        ticket: gate.ticket.clone(),
        emergency: gate.emergency_used.clone(),
        ..NewEntry::new(a.settings.clock.now(), Action::Apply, EntryResult::Started)
    };
    Ok(Run {
        a,
        journal: Journal::open(a.state),
        base_entry,
        accountable,
        window: gate::open_window(&trusted.site.maintenance_windows, a.settings.clock.now()),
        report: ApplyReport {
            site: site.to_string(),
            outcome: ApplyOutcome::Refused,
            plan,
            refusals: Vec::new(),
            steps: Vec::new(),
            snapshot: None,
            rolled_back: false,
            rollback_error: None,
            rollback: None,
            journal_error: None,
            interrupted: false,
            unfinished: s.lock.stale.clone(),
            gate,
            verified: Vec::new(),
        },
    })
}

impl Run<'_, '_> {
    /// `base_entry` with `f` applied, dated now.
    fn append(
        &self,
        f: impl FnOnce(NewEntry) -> NewEntry,
    ) -> Result<crate::audit::Entry, ApplyError> {
        let mut e = f(self.base_entry.clone());
        e.at = self.a.settings.clock.now();
        Ok(blocking(|| self.journal.append(e))?)
    }

    /// Journals that the previous holder of the lock died mid-apply.
    pub(super) fn journal_unfinished(&self, s: &Started) -> Result<(), ApplyError> {
        let Some(h) = &s.lock.stale else {
            return Ok(());
        };
        let detail = UnfinishedDetail {
            holder: h,
            agent: self.a.settings.agent,
        };
        self.append(|b| NewEntry {
            action: Action::ApplyUnfinished,
            target: Some(self.a.site.name.clone()),
            result: EntryResult::Failure,
            detail: Some(to_map(&detail)),
            ..b
        })?;
        Ok(())
    }

    /// Records the gate's refusals (the reconcile loop only waits, and says so in its logs instead).
    pub(super) fn refuse(&mut self) -> Result<(), ApplyError> {
        self.report.refusals = gate::refusals(&self.report.gate, &self.report.plan.operations);
        if self.a.settings.agent == Agent::Watch {
            return Ok(());
        }
        for r in &self.report.refusals {
            let detail = RefusalDetail {
                check: &r.check,
                message: &r.message,
                targets: Some(&r.targets),
                agent: self.a.settings.agent,
            };
            self.append(|b| NewEntry {
                action: Action::Apply,
                target: Some(self.a.site.name.clone()),
                result: EntryResult::Refused,
                detail: Some(to_map(&detail)),
                ..b
            })?;
        }
        Ok(())
    }

    /// The first apply sets the baseline: what the VMS journal holds before it is not out-of-band news.
    pub(super) async fn ensure_baseline(&self, s: &Started) -> Result<(), ApplyError> {
        let site = &self.a.site.name;
        if self.a.state.baseline(site)?.is_some() {
            return Ok(());
        }
        let cursor = s.vms.journal_position().await.map_err(driver_err(site))?;
        blocking(|| {
            self.a.state.set_baseline(
                site,
                &Baseline {
                    journal_cursor: cursor,
                    at: self.a.settings.clock.now(),
                    reason: "first-apply".into(),
                    url: self.a.site.vms.url.clone(),
                    origin: None,
                },
            )
        })?;
        Ok(())
    }

    /// Binds every operation to its payload: a target that vanished fails here, before the snapshot.
    pub(super) fn bind(&self, s: &Started) -> Result<Vec<BoundOp>, ApplyError> {
        let desired = ComparableConfig::from_desired(
            self.a.site,
            self.a.doc.cameras.iter().map(|c| &c.camera),
        );
        let live = ComparableConfig::from_live(&s.live, &s.caps);
        bind(&self.report.plan.operations, &desired, &live).map_err(|source| ApplyError::Bind {
            site: self.a.site.name.clone(),
            source,
        })
    }

    /// No snapshot, no change (PROC-VMS-001 §03).
    pub(super) async fn snapshot(&mut self, s: &Started) -> Result<SnapshotInfo, ApplyError> {
        let why = |e: &dyn std::error::Error| ApplyError::Snapshot {
            site: self.a.site.name.clone(),
            why: crate::error_chain(e),
        };
        let export = s.vms.export().await.map_err(|e| why(&e))?;
        // Know before changing: a snapshot that cannot be put back protects nothing.
        if let Some((size, limit)) = over_limit(s.vms.as_ref(), &export).await {
            if s.vms.config_of_export(&export).is_none() {
                return Err(ApplyError::Snapshot {
                    site: self.a.site.name.clone(),
                    why: format!(
                        "it could not be restored: the export is {size} bytes, above the {limit} bytes the VMS imports at once, and the {} driver cannot restore object by object",
                        self.a.site.vms.driver
                    ),
                });
            }
        }
        let meta = SnapshotMeta::for_site(
            &self.a.site.name,
            &self.a.site.vms,
            self.a.site.policy.snapshot_retention_days,
            self.a.settings.clock.now(),
            self.a.settings.operator.as_str(),
            Some(format!(
                "before applying {}",
                crate::model::short_id(self.a.commit)
            )),
            Some(self.a.commit.to_string()),
        );
        let entry = NewEntry {
            at: self.a.settings.clock.now(),
            ..self.base_entry.clone()
        };
        let store = SnapshotStore::new(self.a.state);
        let snap = match blocking(|| take(&store, &self.journal, &meta, &export, entry, |_| None)) {
            Ok(s) => s,
            Err(TakeError::Journal { source, .. }) => return Err(source.into()),
            Err(e) => return Err(why(&e)),
        };
        self.report.snapshot = Some(snap.id.clone());
        Ok(snap)
    }

    /// Sends the operations, each journaled before and after.
    pub(super) async fn execute(
        &mut self,
        s: &Started,
        ops: &[BoundOp],
        snap: &SnapshotInfo,
    ) -> Result<(), ApplyError> {
        let group = GroupCommit::start(self.journal.clone()).map_err(|source| AuditError::Io {
            path: self.journal.path().to_path_buf(),
            source,
        })?;
        let hooks = Journaling {
            journal: &group,
            base: NewEntry {
                snapshot: Some(snap.id.clone()),
                ..self.base_entry.clone()
            },
            window: self.window.clone(),
            agent: self.a.settings.agent,
            clock: self.a.settings.clock,
        };
        self.report.steps = execute(
            ops,
            &Execution {
                vms: s.vms.as_ref(),
                operator: self.a.settings.operator.as_str(),
                parallelism: self.a.settings.parallelism,
                journal: &hooks,
                progress: self.a.progress,
                new_id: &|| uuid::Uuid::new_v4().to_string(),
                interrupted: self.a.interrupted,
            },
        )
        .await;
        self.report.interrupted = self
            .report
            .steps
            .iter()
            .any(|s| s.outcome == Outcome::NotAttempted)
            && self.a.interrupted.load(std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// With `--verify`, after operations that all succeeded: watches every created or
    /// changed camera until healthy or the deadline, and journals each verdict.
    pub(super) async fn verify(
        &mut self,
        s: &Started,
        changed_at: jiff::Timestamp,
    ) -> Result<(), ApplyError> {
        let Some(timeout) = self.a.settings.verify else {
            return Ok(());
        };
        let failed = self.report.interrupted
            || self
                .report
                .steps
                .iter()
                .any(|s| s.outcome != Outcome::Succeeded);
        if failed {
            return Ok(());
        }
        let targets = verify::targets(self.report.steps.iter().map(|s| &s.op));
        self.report.verified = verify::verify(s.vms.as_ref(), &targets, changed_at, timeout).await;
        for v in &self.report.verified {
            let detail = VerifyDetail {
                agent: self.a.settings.agent,
                health: v.health,
                reason: v.reason.as_deref(),
            };
            self.append(|b| NewEntry {
                action: Action::Verify,
                target: Some(v.camera.clone()),
                result: if v.health == crate::model::Health::Degraded {
                    EntryResult::Failure
                } else {
                    EntryResult::Success
                },
                detail: Some(to_map(&detail)),
                ..b
            })?;
        }
        Ok(())
    }

    /// Rolls back after a failure (with `--auto-rollback`) and journals it, or records the commit as applied.
    pub(super) async fn conclude(
        &mut self,
        s: &Started,
        snap: &SnapshotInfo,
    ) -> Result<(), ApplyError> {
        let failed = self.report.interrupted
            || self
                .report
                .steps
                .iter()
                .any(|s| matches!(s.outcome, Outcome::Failed(_)));
        // A degraded camera is rolled back like a failed operation, when asked; else
        // the change stays and is recorded as applied (the summary names the cameras).
        let degraded = self.a.settings.auto_rollback && !self.report.degraded().is_empty();
        if !failed && !degraded {
            self.record_applied(s, Some(snap.id.clone()), self.report.steps.len())
                .await?;
            self.report.outcome = ApplyOutcome::Applied;
            return Ok(());
        }
        self.report.outcome = ApplyOutcome::Failed;
        // An interruption is the operator's choice: the changes made stay, and re-running converges.
        if self.a.settings.auto_rollback && !self.report.interrupted {
            let why = if failed {
                "auto-rollback after a failed operation".to_string()
            } else {
                format!(
                    "auto-rollback: {} degraded",
                    self.report.degraded().join(", ")
                )
            };
            let summary = self.rollback(s, &snap.id, why).await?;
            self.report.rolled_back = summary.error.is_none();
            self.report.rollback_error.clone_from(&summary.error);
            self.report.rollback = Some(summary);
        }
        let detail = ApplyEndDetail {
            operations: self.report.steps.len(),
            agent: self.a.settings.agent,
            rolled_back: Some(self.report.rolled_back),
            acknowledged_out_of_band: Vec::new(),
        };
        // The summary is still printed when this last entry cannot be written (a full disk):
        // every operation's own entries already say what happened.
        if let Err(e) = self.append(|b| NewEntry {
            target: Some(self.a.site.name.clone()),
            result: EntryResult::Failure,
            snapshot: Some(snap.id.clone()),
            detail: Some(to_map(&detail)),
            ..b
        }) {
            self.report.journal_error = Some(crate::error_chain(&e));
        }
        Ok(())
    }

    /// Journals the apply's success and records the commit as the site's applied (trusted) one.
    pub(super) async fn record_applied(
        &self,
        s: &Started,
        snapshot: Option<String>,
        operations: usize,
    ) -> Result<(), ApplyError> {
        let a = self.a;
        let (acknowledged, move_baseline) = self.overwritten_out_of_band(s).await?;
        let detail = ApplyEndDetail {
            operations,
            agent: a.settings.agent,
            rolled_back: None,
            acknowledged_out_of_band: acknowledged,
        };
        let e = self.append(|b| NewEntry {
            target: Some(a.site.name.clone()),
            result: EntryResult::Success,
            snapshot: snapshot.or_else(|| b.snapshot.clone()),
            detail: Some(to_map(&detail)),
            ..b
        })?;
        blocking(|| {
            a.state.set_applied(
                &a.site.name,
                &Applied {
                    commit: a.commit.into(),
                    at: a.settings.clock.now(),
                    operator: self.accountable.clone(),
                    agent: a.settings.agent.as_str().into(),
                    journal_seq: Some(e.seq),
                    journal_hash: Some(e.hash.clone()),
                },
            )
        })?;
        // The VMS is what was applied now: what came before no longer needs anyone's attention.
        if let Some((baseline, position)) = move_baseline {
            let moved = baseline.moved_to(Some(position), a.settings.clock.now(), "apply");
            blocking(|| a.state.set_baseline(&a.site.name, &moved))?;
        }
        let line = format!(
            "vmsops: {} applied to site {} at {} by {} (agent {}); journal #{} ({}){}{}",
            crate::model::short_id(a.commit),
            a.site.name,
            e.at,
            self.accountable,
            a.settings.agent.as_str(),
            e.seq,
            e.hash,
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
        if let Err(e) = blocking(|| crate::git::notes::append(a.tree, &line)) {
            tracing::warn!(error = %e, "could not attach the git note refs/notes/vmsops");
        }
        Ok(())
    }

    /// The out-of-band entries since the baseline (overwritten by this apply), and that
    /// baseline with the VMS journal's end, where it moves to.
    async fn overwritten_out_of_band(
        &self,
        s: &Started,
    ) -> Result<(Vec<u64>, Option<(Baseline, String)>), ApplyError> {
        let site = &self.a.site.name;
        let Some(baseline) = blocking(|| self.a.state.baseline(site))? else {
            return Ok((Vec::new(), None));
        };
        if !s.caps.has_admin_journal {
            return Ok((Vec::new(), None));
        }
        let entries =
            crate::ops::vms_journal::entries_since(s.vms.as_ref(), baseline.journal_cursor.clone())
                .await
                .map_err(driver_err(site))?;
        let known = blocking(|| self.a.state.known_request_ids())?;
        let seqs = crate::ops::drift::out_of_band(&entries, &known)
            .iter()
            .map(|e| e.seq)
            .collect();
        let position = s.vms.journal_position().await.map_err(driver_err(site))?;
        Ok((seqs, position.map(|p| (baseline, p))))
    }

    /// Puts back what this apply wrote, object by object, from snapshot `id` (see
    /// [`crate::ops::execute::rollback`]), journaled.
    async fn rollback(
        &self,
        s: &Started,
        id: &str,
        why: String,
    ) -> Result<RollbackSummary, ApplyError> {
        let snapshot =
            SnapshotStore::new(self.a.state)
                .load(id)
                .map_err(|e| ApplyError::Snapshot {
                    site: self.a.site.name.clone(),
                    why: crate::error_chain(&e),
                })?;
        let base = NewEntry {
            target: Some(id.to_string()),
            snapshot: Some(id.to_string()),
            ..self.base_entry.clone()
        };
        // Set before the first write (`ensure_baseline`): the VMS journal from there names who changed what since.
        let since =
            blocking(|| self.a.state.baseline(&self.a.site.name))?.and_then(|b| b.journal_cursor);
        let job = RollbackJob {
            import: ImportJob {
                vms: s.vms.as_ref(),
                journal: &self.journal,
                export: &snapshot.export,
                base: &base,
                operator: self.a.settings.operator.as_str(),
                clock: &self.a.settings.clock,
                // A rollback runs to its end: the signal stopped the apply, not the repair of its failure.
                interrupted: None,
            },
            steps: &self.report.steps,
            agent: self.a.settings.agent,
            reason: why,
            window: self.window.clone(),
            vms_journal_since: since,
        };
        Ok(roll_back(&job).await?)
    }
}
