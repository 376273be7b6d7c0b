//! Executes a plan's operations against a VMS: creates, then updates, then deletes,
//! `parallelism` at a time, each with its live version as `If-Match`.
//!
//! Every operation is journaled before its request is sent and when it ends
//! (through [`StepJournal`]); an operation whose start cannot be journaled is
//! not sent. After the first failure no new operation starts; operations already
//! running finish, and the rest are reported as not attempted.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::stream::{self, FuturesUnordered, StreamExt};

use super::bind::{BoundOp, Payload};
use crate::audit::AuditError;
use crate::driver::OpContext;
use crate::driver::{DriverError, Vms};
use crate::plan::{OpKind, Operation};

/// How one operation ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The VMS accepted it (2xx: durable).
    Succeeded,
    /// It failed; the failure says what the VMS and the journal hold.
    Failed(StepFailure),
    /// It was not started because an earlier operation failed or a signal came.
    NotAttempted,
}

/// Why an operation failed. The variants differ in what is left behind: the
/// VMS unchanged, or changed without the journal saying so.
#[derive(Debug, thiserror::Error)]
pub enum StepFailure {
    /// Its start could not be journaled, so its request was never sent: the VMS is unchanged.
    #[error("not sent: the journal could not record its start")]
    StartNotJournaled(#[source] Arc<AuditError>),
    /// The VMS refused it or could not be reached; the driver's error (shown as is) says which.
    #[error(transparent)]
    Vms(DriverError),
    /// The VMS applied it, but its end could not be journaled: the VMS holds a change the journal does not close.
    #[error("applied, but the journal could not record its end")]
    EndNotJournaled(#[source] Arc<AuditError>),
}

/// Failures compare by meaning and by what they say: their causes (I/O, HTTP) are not comparable.
impl PartialEq for StepFailure {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && crate::error_chain(self) == crate::error_chain(other)
    }
}

impl Eq for StepFailure {}

/// One operation and how it ended.
#[derive(Debug)]
pub struct StepResult {
    /// The operation.
    pub op: Operation,
    /// The request id it was (or would have been) sent with.
    pub request_id: String,
    /// Its outcome.
    pub outcome: Outcome,
    /// The version the VMS gave the object with this operation's write (a create or an
    /// update it accepted), so that a rollback can name exactly that version in `If-Match`.
    pub version: Option<String>,
}

/// The end of an operation, queued in the journal; resolves once it is durable.
pub type Ended<'a> = Pin<Box<dyn Future<Output = Result<(), Arc<AuditError>>> + Send + 'a>>;

/// Where the executor records each operation's start and end.
#[async_trait::async_trait]
pub trait StepJournal: Sync {
    /// Records that `op` is about to be sent; an error stops it from being sent.
    async fn started(&self, op: &Operation, request_id: &str) -> Result<(), Arc<AuditError>>;
    /// Queues how `op` ended, in call order; the operation counts as ended (reported,
    /// its slot's next operation's start journaled after it) once the future resolves.
    fn ended(&self, op: &Operation, request_id: &str, outcome: &Outcome) -> Ended<'static>;
}

/// Called as operations run (for progress bars).
pub trait Progress: Sync {
    /// The operations are about to start; `total` of them.
    fn start(&self, _total: usize) {}
    /// One more operation finished.
    fn step(&self, result: &StepResult);
}

impl<F: Fn(&StepResult) + Sync> Progress for F {
    fn step(&self, result: &StepResult) {
        self(result)
    }
}

/// The three phases, in the order that keeps a VMS consistent.
fn phase(op: OpKind) -> usize {
    match op {
        OpKind::CameraCreate | OpKind::AlertCreate => 0,
        OpKind::CameraUpdate
        | OpKind::AlertUpdate
        | OpKind::SettingsUpdate
        | OpKind::PolicyChange => 1,
        OpKind::CameraDelete | OpKind::AlertDelete => 2,
    }
}

/// Sends one bound operation; the version the object has after it, when the VMS said.
async fn send(
    vms: &dyn Vms,
    payload: &Payload,
    ctx: &OpContext,
) -> Result<Option<String>, DriverError> {
    let written = |v: String| Some(v).filter(|v| !v.is_empty());
    Ok(match payload {
        Payload::CreateCamera(c) => written(vms.create_camera(c, ctx).await?.version),
        Payload::UpdateCamera { camera, if_match } => {
            written(vms.update_camera(camera, if_match, ctx).await?.version)
        }
        Payload::DeleteCamera { id, if_match } => {
            vms.delete_camera(id, if_match, ctx).await?;
            None
        }
        Payload::PutAlert { rule, if_match } => written(
            vms.put_alert_rule(rule, if_match.as_deref(), ctx)
                .await?
                .version,
        ),
        Payload::DeleteAlert { kind, if_match } => {
            vms.delete_alert_rule(*kind, if_match, ctx).await?;
            None
        }
        Payload::UpdateSettings(s) => {
            written(vms.update_settings(s, &s.version, ctx).await?.version)
        }
        Payload::Record => None,
    })
}

/// How operations are sent: where, for whom, how many at once, and who is told.
pub struct Execution<'a> {
    /// The VMS.
    pub vms: &'a dyn Vms,
    /// The person on whose behalf each request is sent.
    pub operator: &'a str,
    /// Operations at a time.
    pub parallelism: usize,
    /// Where each start and end is journaled.
    pub journal: &'a dyn StepJournal,
    /// Told of each operation as it ends.
    pub progress: &'a dyn Progress,
    /// A fresh request id per operation.
    pub new_id: &'a (dyn Fn() -> String + Sync),
    /// Set by a signal: no new operation starts.
    pub interrupted: &'a AtomicBool,
}

/// Executes the bound operations `ops` as `x` says.
pub async fn execute(ops: &[BoundOp], x: &Execution<'_>) -> Vec<StepResult> {
    x.progress.start(ops.len());
    let failed = AtomicBool::new(false);
    let mut ordered: Vec<(usize, &BoundOp)> = ops.iter().enumerate().collect();
    ordered.sort_by_key(|(_, b)| phase(b.op.op));
    let mut results = Vec::with_capacity(ops.len());
    for p in 0..3 {
        let batch = ordered.iter().copied().filter(|(_, b)| phase(b.op.op) == p);
        let mut done = run_phase(batch, x, &failed).await;
        // Report in plan order whatever the completion order was.
        done.sort_by_key(|(index, _)| *index);
        results.extend(done.into_iter().map(|(_, r)| r));
    }
    results
}

/// Runs one phase, `parallelism` requests at a time. A slot is free as soon as its
/// request returns and its end is queued, so the next operation's start shares the
/// journal's next sync with it; each operation is reported once its end is durable.
async fn run_phase<'b>(
    batch: impl Iterator<Item = (usize, &'b BoundOp)>,
    x: &Execution<'_>,
    failed: &AtomicBool,
) -> Vec<(usize, StepResult)> {
    let mut running = stream::iter(batch.map(|(index, bound)| async move {
        let (result, ended) = send_one(bound, x, failed).await;
        (index, result, ended)
    }))
    .buffer_unordered(x.parallelism.max(1));
    let mut ending = FuturesUnordered::new();
    let mut done = Vec::new();
    loop {
        tokio::select! {
            Some((index, result, ended)) = running.next() => {
                ending.push(async move { (index, result, ended.await) });
            }
            Some((index, result, journaled)) = ending.next(), if !ending.is_empty() => {
                let r = close(result, journaled, failed);
                x.progress.step(&r);
                done.push((index, r));
            }
            else => break,
        }
    }
    done
}

/// Journals the start of one operation, sends it, and queues its end.
async fn send_one(
    bound: &BoundOp,
    x: &Execution<'_>,
    failed: &AtomicBool,
) -> (StepResult, Ended<'static>) {
    let op = &bound.op;
    let request_id = (x.new_id)();
    // Checked when the slot opens: after a failure or an interruption nothing new starts.
    let mut version = None;
    let outcome = if failed.load(Ordering::SeqCst) || x.interrupted.load(Ordering::SeqCst) {
        Outcome::NotAttempted
    } else {
        match x.journal.started(op, &request_id).await {
            Err(e) => Outcome::Failed(StepFailure::StartNotJournaled(e)),
            Ok(()) => {
                let ctx = OpContext {
                    request_id: request_id.clone(),
                    operator: x.operator.to_string(),
                };
                match send(x.vms, &bound.payload, &ctx).await {
                    Ok(v) => {
                        version = v;
                        Outcome::Succeeded
                    }
                    Err(e) => Outcome::Failed(StepFailure::Vms(e)),
                }
            }
        }
    };
    if matches!(outcome, Outcome::Failed(_)) {
        failed.store(true, Ordering::SeqCst);
    }
    let ended = x.journal.ended(op, &request_id, &outcome);
    let result = StepResult {
        op: op.clone(),
        request_id,
        outcome,
        version,
    };
    (result, ended)
}

/// The operation's final outcome once its end's journaling is known.
fn close(
    mut r: StepResult,
    journaled: Result<(), Arc<AuditError>>,
    failed: &AtomicBool,
) -> StepResult {
    if let (Err(e), Outcome::Succeeded) = (journaled, &r.outcome) {
        // The VMS change happened; only its record is missing. Say so, and stop.
        failed.store(true, Ordering::SeqCst);
        r.outcome = Outcome::Failed(StepFailure::EndNotJournaled(e));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_disk() -> Arc<AuditError> {
        Arc::new(AuditError::Io {
            path: "state/journal.jsonl".into(),
            source: std::io::Error::other("No space left on device"),
        })
    }

    /// The text shown and journaled is the one each failure always had.
    #[test]
    fn each_failure_says_what_it_always_said() {
        let journal = crate::error_chain(&*full_disk());
        assert_eq!(
            crate::error_chain(&StepFailure::StartNotJournaled(full_disk())),
            format!("not sent: the journal could not record its start: {journal}")
        );
        assert_eq!(
            crate::error_chain(&StepFailure::EndNotJournaled(full_disk())),
            format!("applied, but the journal could not record its end: {journal}")
        );
        let refused = || DriverError::Unreachable {
            method: "PUT".into(),
            path: "/api/v1/cameras/hall-01".into(),
            host: "127.0.0.1:1".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(
            crate::error_chain(&StepFailure::Vms(refused())),
            crate::error_chain(&refused())
        );
    }

    /// "The VMS is unchanged" and "the VMS changed unrecorded" never compare equal.
    #[test]
    fn failures_of_different_meaning_differ() {
        let start = Outcome::Failed(StepFailure::StartNotJournaled(full_disk()));
        let end = Outcome::Failed(StepFailure::EndNotJournaled(full_disk()));
        assert_ne!(start, end);
        assert_eq!(
            start,
            Outcome::Failed(StepFailure::StartNotJournaled(full_disk()))
        );
    }
}
