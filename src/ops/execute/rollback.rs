//! An apply's rollback: the snapshot put back object by object, only where the
//! apply itself wrote, and only if nobody changed the object since.
//!
//! The snapshot is planned against the VMS as it is (the same diff and binding as
//! an apply), restricted to the objects the apply's operations completed (or may
//! have completed: the VMS journal tells), each bound with `If-Match` on the
//! version the apply's own write produced and sent by the executor. An object
//! whose version is no longer that one (someone changed it since), or that the
//! VMS refuses with `412` / `409`, is left as it is, journaled as `rollback.skip`
//! and named in the summary with who changed it when the VMS journal says. An
//! object the apply did not touch is never written.
//!
//! Only when the driver cannot write conditionally (or cannot read its snapshot
//! object by object) does the rollback fall back to one full import, and the
//! summary says so.

use std::collections::{BTreeMap, HashSet};

use futures_util::stream::{self, StreamExt};

use super::bind::{bind, BoundOp, Payload};
use super::executor::{execute, Execution, Outcome, StepFailure, StepResult};
use super::import::{journaled_import, ImportJob};
use super::journaling::Journaling;
use crate::audit::detail::{to_map, Agent, RestoreDetail, RollbackSkipDetail};
use crate::audit::{Action, AuditError, EntryResult, GroupCommit, NewEntry};
use crate::driver::{DriverError, VmsJournalEntry};
use crate::model::LiveConfig;
use crate::ops::blocking::blocking;
use crate::plan::comparable::ComparableConfig;
use crate::plan::diff::diff;
use crate::plan::{OpKind, Operation, Target};

/// Requests at a time: the apply's default.
const PARALLELISM: usize = 4;

/// What a rollback needs besides the snapshot put back.
pub(crate) struct RollbackJob<'a> {
    /// The VMS, journal, snapshot export and base entry (as for a restore).
    pub import: ImportJob<'a>,
    /// The apply's operations and how they ended.
    pub steps: &'a [StepResult],
    /// Who ran the apply.
    pub agent: Agent,
    /// Why the rollback (journaled in the `restore` entries).
    pub reason: String,
    /// The maintenance window the apply ran in, for the rollback's recording changes.
    pub window: Option<String>,
    /// A VMS journal cursor from before the apply's first write (its baseline).
    pub vms_journal_since: Option<String>,
}

/// How a rollback put the snapshot back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackMethod {
    /// Object by object, with `If-Match` on the versions the apply wrote.
    PerObject,
    /// One full import of the snapshot: every object as in the snapshot, whoever changed it since.
    FullImport {
        /// Why not object by object.
        why: String,
    },
}

/// An object the rollback put back as the snapshot has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledBack {
    /// The operation that put it back.
    pub op: OpKind,
    /// The camera id, alert kind or `settings`.
    pub target: String,
}

/// Why an object the apply touched was left as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// It changed since the apply wrote it: someone else's change is kept.
    ChangedSince,
    /// The apply's write ended without an answer and the VMS journal does not say whether it happened.
    Unknown,
}

/// An object the apply touched that the rollback left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRolledBack {
    /// The camera id, alert kind or `settings`.
    pub target: String,
    /// Why.
    pub reason: SkipReason,
    /// The VMS account that changed it since, when the VMS journal says.
    pub changed_by: Option<String>,
    /// That change's VMS journal seq.
    pub vms_seq: Option<u64>,
    /// The request id of the apply's write that was not undone.
    pub request_id: String,
}

impl std::fmt::Display for NotRolledBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.reason, &self.changed_by) {
            (SkipReason::ChangedSince, Some(who)) => {
                write!(f, "{} changed by {who} since", self.target)
            }
            (SkipReason::ChangedSince, None) => write!(f, "{} changed since", self.target),
            (SkipReason::Unknown, _) => write!(
                f,
                "{}: whether the apply changed it is unknown (no answer, and the VMS journal does not say)",
                self.target
            ),
        }
    }
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackSummary {
    /// Object by object, or the full import.
    pub method: RollbackMethod,
    /// The objects put back (per object), in the order they were sent.
    pub rolled_back: Vec<RolledBack>,
    /// The objects left as they are, each journaled as `rollback.skip`.
    pub not_rolled_back: Vec<NotRolledBack>,
    /// Why the rollback (or some of its operations) failed, when it did.
    pub error: Option<String>,
}

/// What the apply's write did to one object, as far as the rollback can tell.
enum Written {
    /// Created or updated to this version.
    Version(String),
    /// Deleted.
    Deleted,
    /// Written (the VMS journal says so, or it answered without a version): the object's
    /// version now is the apply's if nobody else wrote it since.
    Unversioned,
    /// No answer, and the VMS journal does not say.
    Unknown,
}

/// The apply's write to one object.
struct Touched<'s> {
    step: &'s StepResult,
    written: Written,
    /// The VMS journal seq of the write, when the journal names it.
    seq: Option<u64>,
}

/// A failure that says the VMS refused the request, so the object is as it was.
fn refused(e: &DriverError) -> bool {
    match e {
        DriverError::VersionMismatch { .. }
        | DriverError::Conflict { .. }
        | DriverError::NotFound { .. }
        | DriverError::Rejected { .. }
        | DriverError::Unauthorized { .. }
        | DriverError::Unreachable { .. }
        | DriverError::MissingCredential { .. }
        | DriverError::Config(_) => true,
        DriverError::Status { status, .. } => (400..500).contains(status),
        _ => false,
    }
}

/// The objects the apply's operations wrote, or may have written, by target.
fn touched<'s>(
    steps: &'s [StepResult],
    vms: Option<&[VmsJournalEntry]>,
) -> BTreeMap<String, Touched<'s>> {
    let mut out = BTreeMap::new();
    for step in steps {
        if step.op.op == OpKind::PolicyChange {
            continue;
        }
        let entry = vms.and_then(|v| {
            v.iter()
                .find(|e| e.request_id.as_deref() == Some(step.request_id.as_str()))
        });
        let seq = entry.map(|e| e.seq);
        let done = |step: &StepResult| match (&step.version, step.op.op) {
            (_, OpKind::CameraDelete | OpKind::AlertDelete) => Written::Deleted,
            (Some(v), _) => Written::Version(v.clone()),
            (None, _) => Written::Unversioned,
        };
        let written = match &step.outcome {
            Outcome::NotAttempted | Outcome::Failed(StepFailure::StartNotJournaled(_)) => continue,
            Outcome::Failed(StepFailure::Vms(e)) if refused(e) => continue,
            Outcome::Succeeded | Outcome::Failed(StepFailure::EndNotJournaled(_)) => done(step),
            // No answer: the VMS journal tells whether the write happened.
            Outcome::Failed(StepFailure::Vms(_)) => match entry {
                Some(e) if e.result == "success" => match done(step) {
                    Written::Deleted => Written::Deleted,
                    _ => Written::Unversioned,
                },
                Some(_) => continue,
                None => Written::Unknown,
            },
        };
        out.insert(step.op.target.to_string(), Touched { step, written, seq });
    }
    out
}

/// The last successful change of `target` in the VMS journal after `after` that is not vmsops's own.
fn changer<'v>(
    vms: Option<&'v [VmsJournalEntry]>,
    target: &str,
    after: Option<u64>,
    ours: &HashSet<String>,
) -> Option<&'v VmsJournalEntry> {
    vms?.iter().rev().find(|e| {
        e.target == target
            && e.result == "success"
            && e.seq > after.unwrap_or(0)
            && e.request_id.as_ref().is_none_or(|r| !ours.contains(r))
    })
}

/// The live version of `op`'s object, if it exists.
fn live_version(have: &ComparableConfig, op: &Operation) -> Option<Option<String>> {
    match &op.target {
        Target::Camera(id) => have.cameras.get(id).map(|c| c.version.clone()),
        Target::Alert(kind) => have.alerts.as_ref()?.get(kind).map(|a| a.version.clone()),
        Target::Settings => have.settings.as_ref().map(|s| s.version.clone()),
        Target::Site(_) => None,
    }
}

/// The version `If-Match` must name for the undo to touch only the apply's write; `None`:
/// the object changed since (or the apply's write cannot be told), so it is left alone.
fn expected(
    t: &Touched<'_>,
    live: Option<Option<String>>,
    changed: bool,
) -> Option<Option<String>> {
    match (&t.written, live) {
        // Deleted by the apply: re-created only if the id is still free (no `If-Match`; `409` guards it).
        (Written::Deleted, None) => Some(None),
        (Written::Deleted, Some(_)) => None,
        (Written::Version(v), Some(Some(l))) if *v == l => Some(Some(l)),
        (Written::Unversioned, Some(Some(l))) if !changed => Some(Some(l)),
        _ => None,
    }
}

/// `b`'s `If-Match` set to `version`, the apply's own.
fn with_if_match(mut b: BoundOp, version: Option<String>) -> BoundOp {
    let v = version.unwrap_or_default();
    match &mut b.payload {
        Payload::UpdateCamera { if_match, .. }
        | Payload::DeleteCamera { if_match, .. }
        | Payload::DeleteAlert { if_match, .. } => *if_match = v,
        Payload::PutAlert {
            if_match: Some(m), ..
        } => *m = v,
        Payload::UpdateSettings(s) => s.version = v,
        Payload::CreateCamera(_) | Payload::PutAlert { if_match: None, .. } | Payload::Record => {}
    }
    b
}

/// Creates, then updates, then deletes: a VMS stays consistent in between.
fn phase(op: OpKind) -> usize {
    match op {
        OpKind::CameraCreate | OpKind::AlertCreate => 0,
        OpKind::CameraDelete | OpKind::AlertDelete => 2,
        _ => 1,
    }
}

/// Rolls the apply's writes back (see the module's description). `Err` only when the journal fails.
pub(crate) async fn roll_back(job: &RollbackJob<'_>) -> Result<RollbackSummary, AuditError> {
    let vms = job.import.vms;
    let detail = RestoreDetail {
        agent: job.agent,
        reason: Some(job.reason.clone()),
        before: None,
        request_id: None,
        error: None,
        method: None,
        operations: None,
    };
    let full = |why: &str| RollbackMethod::FullImport { why: why.into() };
    let why_full = if !vms.conditional_writes() {
        Some("this VMS cannot refuse a write to an object changed since (it keeps no versions of its own)")
    } else {
        None
    };
    let snapshot = match (why_full, vms.config_of_export(job.import.export)) {
        (None, Some(c)) => c,
        (why, _) => {
            let why = why.unwrap_or("this driver cannot read its snapshot object by object");
            let result = journaled_import(&job.import, detail).await?;
            return Ok(RollbackSummary {
                method: full(why),
                rolled_back: Vec::new(),
                not_rolled_back: Vec::new(),
                error: result.err().map(|e| crate::error_chain(&e)),
            });
        }
    };
    per_object(job, snapshot, detail).await
}

/// The per-object path, journaled as `restore` (method `per-object`) before and after.
async fn per_object(
    job: &RollbackJob<'_>,
    snapshot: Result<LiveConfig, DriverError>,
    mut detail: RestoreDetail,
) -> Result<RollbackSummary, AuditError> {
    let j = &job.import;
    let entry = |result, detail: &RestoreDetail| NewEntry {
        at: j.clock.now(),
        action: Action::Restore,
        result,
        detail: Some(to_map(detail)),
        ..j.base.clone()
    };
    detail.method = Some("per-object");
    blocking(|| j.journal.append(entry(EntryResult::Started, &detail)))?;
    let mut summary = RollbackSummary {
        method: RollbackMethod::PerObject,
        rolled_back: Vec::new(),
        not_rolled_back: Vec::new(),
        error: None,
    };
    let planned = match snapshot {
        Ok(snapshot) => plan_and_send(job, &snapshot, &mut summary).await,
        // Unreadable: nothing is written, and the journal says why.
        Err(e) => Err(Stop::Vms(e)),
    };
    match planned {
        Ok(()) => {}
        Err(Stop::Journal(e)) => return Err(e),
        Err(Stop::Vms(e)) => summary.error = Some(crate::error_chain(&e)),
    }
    let skips: Vec<NewEntry> = summary
        .not_rolled_back
        .iter()
        .map(|n| {
            let skip = RollbackSkipDetail {
                agent: job.agent,
                error: format!("not rolled back: {n}"),
                changed_by: n.changed_by.clone(),
                vms_seq: n.vms_seq,
                request_id: Some(n.request_id.clone()),
            };
            NewEntry {
                at: j.clock.now(),
                action: Action::RollbackSkip,
                target: Some(n.target.clone()),
                result: EntryResult::Failure,
                detail: Some(to_map(&skip)),
                ..j.base.clone()
            }
        })
        .collect();
    if !skips.is_empty() {
        blocking(|| j.journal.append_all(skips))?;
    }
    let result = match &summary.error {
        None => {
            detail.operations = Some(summary.rolled_back.len());
            EntryResult::Success
        }
        Some(e) => {
            detail.error = Some(e.clone());
            EntryResult::Failure
        }
    };
    blocking(|| j.journal.append(entry(result, &detail)))?;
    Ok(summary)
}

/// Why the per-object path stopped early.
enum Stop {
    Journal(AuditError),
    Vms(DriverError),
}

/// Plans the snapshot against the VMS as it is, restricted to what the apply wrote, and sends it.
/// Why `t` is not rolled back, and who changed it since when the VMS journal says.
fn skip(t: &Touched<'_>, reason: SkipReason, by: Option<&VmsJournalEntry>) -> NotRolledBack {
    NotRolledBack {
        target: t.step.op.target.to_string(),
        reason,
        changed_by: by.map(|e| e.user.clone()),
        vms_seq: by.map(|e| e.seq),
        request_id: t.step.request_id.clone(),
    }
}

/// The undos to send, each with the version `If-Match` names: only objects the apply
/// wrote and nobody changed since; the others are recorded in `summary` as left alone.
fn choose(
    ops: Vec<Operation>,
    touched: &BTreeMap<String, Touched<'_>>,
    journal: Option<&[VmsJournalEntry]>,
    have: &ComparableConfig,
    ours: &HashSet<String>,
    summary: &mut RollbackSummary,
) -> Vec<(Operation, Option<String>)> {
    let mut send = Vec::new();
    for op in ops {
        let Some(t) = touched.get(op.target.as_str()) else {
            // Not the apply's: never written, whoever changed it.
            continue;
        };
        if matches!(t.written, Written::Unknown) {
            summary
                .not_rolled_back
                .push(skip(t, SkipReason::Unknown, None));
            continue;
        }
        let by = changer(journal, op.target.as_str(), t.seq, ours);
        match expected(t, live_version(have, &op), by.is_some()) {
            Some(version) => send.push((op, version)),
            None => summary
                .not_rolled_back
                .push(skip(t, SkipReason::ChangedSince, by)),
        }
    }
    send
}

async fn plan_and_send(
    job: &RollbackJob<'_>,
    snapshot: &LiveConfig,
    summary: &mut RollbackSummary,
) -> Result<(), Stop> {
    let j = &job.import;
    let caps = j.vms.capabilities();
    let live = j.vms.read_live().await.map_err(Stop::Vms)?;
    let read_journal = || async {
        if !caps.has_admin_journal {
            return None;
        }
        // Unreadable: objects are still left alone as their versions say, only unnamed.
        crate::ops::vms_journal::entries_since(j.vms, job.vms_journal_since.clone())
            .await
            .ok()
    };
    let mut journal = read_journal().await;
    let mut ours: HashSet<String> = job.steps.iter().map(|s| s.request_id.clone()).collect();
    let touched = touched(job.steps, journal.as_deref());
    let want = ComparableConfig::from_live(snapshot, &caps);
    let have = ComparableConfig::from_live(&live, &caps);
    let (ops, _read_only) = diff(&want, &have);
    let send = choose(ops, &touched, journal.as_deref(), &have, &ours, summary);
    let (ops, versions): (Vec<Operation>, Vec<Option<String>>) = send.into_iter().unzip();
    let bound =
        bind(&ops, &want, &have).map_err(|e| Stop::Vms(DriverError::Config(e.to_string())))?;
    let bound: Vec<BoundOp> = bound
        .into_iter()
        .zip(versions)
        .map(|(b, v)| with_if_match(b, v))
        .collect();
    let steps = send_each(job, bound).await.map_err(Stop::Journal)?;
    ours.extend(steps.iter().map(|s| s.request_id.clone()));
    let mut lost_race = Vec::new();
    let mut failures = Vec::new();
    for s in &steps {
        match &s.outcome {
            Outcome::Succeeded => summary.rolled_back.push(RolledBack {
                op: s.op.op,
                target: s.op.target.to_string(),
            }),
            // Changed between the read and the write (412), or the id was taken again (409).
            Outcome::Failed(StepFailure::Vms(
                DriverError::VersionMismatch { .. } | DriverError::Conflict { .. },
            )) => lost_race.push(s.op.target.clone()),
            Outcome::Failed(e) => {
                failures.push(format!("{}: {}", s.op.target, crate::error_chain(e)))
            }
            Outcome::NotAttempted => {}
        }
    }
    if !lost_race.is_empty() {
        journal = read_journal().await;
        for target in lost_race {
            if let Some(t) = touched.get(target.as_str()) {
                let by = changer(journal.as_deref(), target.as_str(), t.seq, &ours);
                summary
                    .not_rolled_back
                    .push(skip(t, SkipReason::ChangedSince, by));
            }
        }
    }
    if let Some(first) = failures.first() {
        summary.error = Some(format!(
            "{} of {} rollback operation(s) failed; first: {first}",
            failures.len(),
            steps.len()
        ));
    }
    Ok(())
}

/// Sends each operation through the executor on its own, creates → updates → deletes:
/// one object's `412` must not stop the others from being put back.
async fn send_each(
    job: &RollbackJob<'_>,
    bound: Vec<BoundOp>,
) -> Result<Vec<StepResult>, AuditError> {
    let j = &job.import;
    let group = GroupCommit::start(j.journal.clone()).map_err(|source| AuditError::Io {
        path: j.journal.path().to_path_buf(),
        source,
    })?;
    let hooks = Journaling {
        journal: &group,
        base: j.base.clone(),
        window: job.window.clone(),
        agent: job.agent,
        clock: *j.clock,
    };
    // A rollback runs to its end: the signal stopped the apply, not the repair of its failure.
    let never = std::sync::atomic::AtomicBool::new(false);
    let x = Execution {
        vms: j.vms,
        operator: j.operator,
        parallelism: 1,
        journal: &hooks,
        progress: &|_: &StepResult| {},
        new_id: &|| uuid::Uuid::new_v4().to_string(),
        interrupted: &never,
    };
    let mut steps = Vec::with_capacity(bound.len());
    for p in 0..3 {
        let batch: Vec<&BoundOp> = bound.iter().filter(|b| phase(b.op.op) == p).collect();
        let done: Vec<Vec<StepResult>> = stream::iter(batch)
            .map(|b| execute(std::slice::from_ref(b), &x))
            .buffered(PARALLELISM)
            .collect()
            .await;
        steps.extend(done.into_iter().flatten());
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Class;

    fn step(op: OpKind, target: &str, outcome: Outcome, version: Option<&str>) -> StepResult {
        StepResult {
            op: Operation::new(
                op,
                Target::parse(op, target).expect("a target"),
                Class::Metadata,
                vec![],
            ),
            request_id: format!("req-{target}"),
            outcome,
            version: version.map(String::from),
        }
    }

    fn vms_error(status: u16) -> Outcome {
        Outcome::Failed(StepFailure::Vms(DriverError::Status {
            method: "PUT".into(),
            path: "/api/v1/cameras/x".into(),
            status,
            message: "boom".into(),
        }))
    }

    fn entry(
        seq: u64,
        user: &str,
        target: &str,
        result: &str,
        request: Option<&str>,
    ) -> VmsJournalEntry {
        VmsJournalEntry {
            seq,
            at: jiff::Timestamp::UNIX_EPOCH,
            user: user.into(),
            action: "camera.update".into(),
            target: target.into(),
            result: result.into(),
            request_id: request.map(String::from),
            on_behalf_of: None,
        }
    }

    /// Only what the apply wrote, or may have written, is the rollback's to put back.
    #[test]
    fn only_completed_or_uncertain_writes_are_touched() {
        let steps = [
            step(OpKind::CameraUpdate, "a", Outcome::Succeeded, Some("7")),
            step(OpKind::CameraUpdate, "b", Outcome::NotAttempted, None),
            step(OpKind::CameraUpdate, "c", vms_error(422), None),
            step(OpKind::CameraUpdate, "d", vms_error(500), None),
            step(OpKind::CameraUpdate, "e", vms_error(500), None),
            step(OpKind::CameraUpdate, "f", vms_error(500), None),
            step(OpKind::CameraDelete, "g", Outcome::Succeeded, None),
        ];
        let journal = [
            entry(1, "ci", "d", "success", Some("req-d")),
            entry(2, "ci", "e", "failure", Some("req-e")),
        ];
        let t = touched(&steps, Some(&journal));
        let keys: Vec<&str> = t.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "d", "f", "g"]);
        assert!(matches!(&t["a"].written, Written::Version(v) if v == "7"));
        assert!(matches!(t["d"].written, Written::Unversioned));
        assert_eq!(t["d"].seq, Some(1));
        assert!(matches!(t["f"].written, Written::Unknown));
        assert!(matches!(t["g"].written, Written::Deleted));
    }

    /// `If-Match` names the apply's own version, or the object is left alone.
    #[test]
    fn an_object_changed_since_is_left_alone() {
        let steps = [
            step(OpKind::CameraUpdate, "a", Outcome::Succeeded, Some("7")),
            step(OpKind::CameraDelete, "g", Outcome::Succeeded, None),
            step(OpKind::CameraUpdate, "d", vms_error(500), None),
        ];
        let journal = [entry(3, "ci", "d", "success", Some("req-d"))];
        let t = touched(&steps, Some(&journal));
        let v = |s: &str| Some(Some(s.to_string()));
        assert_eq!(expected(&t["a"], v("7"), false), v("7"));
        assert_eq!(expected(&t["a"], v("9"), true), None, "changed since");
        assert_eq!(expected(&t["a"], None, true), None, "deleted since");
        assert_eq!(
            expected(&t["g"], None, false),
            Some(None),
            "re-created: id free"
        );
        assert_eq!(
            expected(&t["g"], v("4"), true),
            None,
            "the id is taken again"
        );
        assert_eq!(expected(&t["d"], v("8"), false), v("8"));
        assert_eq!(expected(&t["d"], v("9"), true), None);
    }

    /// The one who changed it since is the last other writer after the apply's write.
    #[test]
    fn the_changer_is_named_from_the_vms_journal() {
        let ours: HashSet<String> = ["req-a".to_string()].into();
        let journal = [
            entry(1, "bob", "a", "success", None),
            entry(2, "ci", "a", "success", Some("req-a")),
            entry(3, "eve", "a", "failure", None),
            entry(4, "mdurand", "a", "success", Some("other-laptop")),
            entry(5, "zoe", "b", "success", None),
        ];
        let by = changer(Some(&journal), "a", Some(2), &ours).map(|e| e.user.as_str());
        assert_eq!(by, Some("mdurand"));
        assert!(changer(Some(&journal[..3]), "a", Some(2), &ours).is_none());
        let n = NotRolledBack {
            target: "t-003".into(),
            reason: SkipReason::ChangedSince,
            changed_by: Some("mdurand".into()),
            vms_seq: Some(4),
            request_id: "req-a".into(),
        };
        assert_eq!(n.to_string(), "t-003 changed by mdurand since");
        let unnamed = NotRolledBack {
            changed_by: None,
            ..n
        };
        assert_eq!(unnamed.to_string(), "t-003 changed since");
    }
}
