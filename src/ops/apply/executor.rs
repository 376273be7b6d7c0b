//! Executes a plan's operations against a VMS: creates, then updates, then deletes,
//! `parallelism` at a time, each with its live version as `If-Match`.
//!
//! Every operation is journaled before its request is sent and when it ends
//! (through [`StepJournal`]); an operation whose start cannot be journaled is
//! not sent. After the first failure no new operation starts; operations already
//! running finish, and the rest are reported as not attempted.

use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::stream::{self, StreamExt};

use super::bind::{BoundOp, Payload};
use crate::driver::OpContext;
use crate::driver::{DriverError, Vms};
use crate::plan::{OpKind, Operation};

/// How one operation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The VMS accepted it (2xx: durable).
    Succeeded,
    /// It failed; the message says why.
    Failed(String),
    /// It was not started because an earlier operation failed.
    NotAttempted,
}

/// One operation and how it ended.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// The operation.
    pub op: Operation,
    /// The request id it was (or would have been) sent with.
    pub request_id: String,
    /// Its outcome.
    pub outcome: Outcome,
}

/// Where the executor records each operation's start and end.
pub trait StepJournal: Sync {
    /// Records that `op` is about to be sent; an error stops it from being sent.
    fn started(&self, op: &Operation, request_id: &str) -> Result<(), String>;
    /// Records how `op` ended.
    fn ended(&self, op: &Operation, request_id: &str, outcome: &Outcome) -> Result<(), String>;
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

fn driver_error(e: DriverError) -> String {
    crate::error_chain(&e)
}

/// Sends one bound operation.
async fn send(vms: &dyn Vms, payload: &Payload, ctx: &OpContext) -> Result<(), DriverError> {
    match payload {
        Payload::CreateCamera(c) => vms.create_camera(c, ctx).await.map(drop),
        Payload::UpdateCamera { camera, if_match } => {
            vms.update_camera(camera, if_match, ctx).await.map(drop)
        }
        Payload::DeleteCamera { id, if_match } => vms.delete_camera(id, if_match, ctx).await,
        Payload::PutAlert { rule, if_match } => vms
            .put_alert_rule(rule, if_match.as_deref(), ctx)
            .await
            .map(drop),
        Payload::DeleteAlert { kind, if_match } => {
            vms.delete_alert_rule(*kind, if_match, ctx).await
        }
        Payload::UpdateSettings(s) => vms.update_settings(s, &s.version, ctx).await.map(drop),
        Payload::Record => Ok(()),
    }
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
    let Execution {
        vms,
        operator,
        parallelism,
        journal,
        progress,
        new_id,
        interrupted,
    } = *x;
    progress.start(ops.len());
    let failed = AtomicBool::new(false);
    let mut ordered: Vec<(usize, &BoundOp)> = ops.iter().enumerate().collect();
    ordered.sort_by_key(|(_, b)| phase(b.op.op));
    let mut results = Vec::with_capacity(ops.len());
    for p in 0..3 {
        let batch: Vec<(usize, &BoundOp)> = ordered
            .iter()
            .copied()
            .filter(|(_, b)| phase(b.op.op) == p)
            .collect();
        let failed = &failed;
        let mut done: Vec<(usize, StepResult)> =
            stream::iter(batch.into_iter().map(|(index, bound)| async move {
                let op = &bound.op;
                let request_id = new_id();
                // Checked when the slot opens: after a failure or an interruption nothing new starts.
                if failed.load(Ordering::SeqCst) || interrupted.load(Ordering::SeqCst) {
                    return (
                        index,
                        StepResult {
                            op: op.clone(),
                            request_id,
                            outcome: Outcome::NotAttempted,
                        },
                    );
                }
                let outcome = match journal.started(op, &request_id) {
                    Err(e) => Outcome::Failed(format!(
                        "not sent: the journal could not record its start: {e}"
                    )),
                    Ok(()) => {
                        let ctx = OpContext {
                            request_id: request_id.clone(),
                            operator: operator.to_string(),
                        };
                        match send(vms, &bound.payload, &ctx).await {
                            Ok(()) => Outcome::Succeeded,
                            Err(e) => Outcome::Failed(driver_error(e)),
                        }
                    }
                };
                if matches!(outcome, Outcome::Failed(_)) {
                    failed.store(true, Ordering::SeqCst);
                }
                let outcome = match journal.ended(op, &request_id, &outcome) {
                    // The VMS change happened; only its record is missing. Say so, and stop.
                    Err(e) if outcome == Outcome::Succeeded => {
                        failed.store(true, Ordering::SeqCst);
                        Outcome::Failed(format!(
                            "applied, but the journal could not record its end: {e}"
                        ))
                    }
                    _ => outcome,
                };
                let r = StepResult {
                    op: op.clone(),
                    request_id,
                    outcome,
                };
                progress.step(&r);
                (index, r)
            }))
            .buffer_unordered(parallelism.max(1))
            .collect()
            .await;
        // Report in plan order whatever the completion order was.
        done.sort_by_key(|(index, _)| *index);
        results.extend(done.into_iter().map(|(_, r)| r));
    }
    results
}
