//! Executes a plan's operations against a VMS: creates, then updates, then deletes,
//! `parallelism` at a time, each with its live version as `If-Match`.
//!
//! Every operation is journaled before its request is sent and when it ends
//! (through [`StepJournal`]); an operation whose start cannot be journaled is
//! not sent. After the first failure no new operation starts; operations already
//! running finish, and the rest are reported as not attempted.

use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::stream::{self, StreamExt};

use crate::driver::OpContext;
use crate::driver::{DriverError, Vms};
use crate::model::schedule;
use crate::model::AlertKind;
use crate::model::{AlertRule, Camera, Recording, Settings};
use crate::plan::state::{CameraState, ConfigState};
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

/// The camera as the driver takes it.
pub fn camera_payload(c: &CameraState) -> Camera {
    Camera {
        id: c.id.clone(),
        name: c.name.clone(),
        vendor: c.vendor.clone(),
        model: c.model.clone(),
        firmware: c.firmware.clone(),
        stream_url: c.stream_url.clone(),
        enabled: c.enabled,
        recording: Recording {
            resolution: c.resolution.clone(),
            fps: c.fps,
            retention_days: c.retention_days,
            schedule: schedule::entries(&c.schedule),
        },
        version: c.version.clone().unwrap_or_default(),
    }
}

fn missing(what: &str, target: &str) -> String {
    format!("{what} `{target}` is not in the desired or live state this plan was computed from")
}

fn driver_error(e: DriverError) -> String {
    crate::error_chain(&e)
}

/// Sends one operation.
async fn send(
    vms: &dyn Vms,
    op: &Operation,
    desired: &ConfigState,
    live: &ConfigState,
    ctx: &OpContext,
) -> Result<(), String> {
    let version = |v: &Option<String>| v.clone().unwrap_or_default();
    match op.op {
        OpKind::CameraCreate => {
            let c = desired
                .cameras
                .get(&op.target)
                .ok_or_else(|| missing("camera", &op.target))?;
            vms.create_camera(&camera_payload(c), ctx)
                .await
                .map(drop)
                .map_err(driver_error)
        }
        OpKind::CameraUpdate => {
            let c = desired
                .cameras
                .get(&op.target)
                .ok_or_else(|| missing("camera", &op.target))?;
            let l = live
                .cameras
                .get(&op.target)
                .ok_or_else(|| missing("camera", &op.target))?;
            // Read-only fields go back as the VMS has them: a mismatch there is a finding, not a change.
            let mut payload = camera_payload(c);
            payload.vendor = l.vendor.clone();
            payload.model = l.model.clone();
            payload.firmware = l.firmware.clone();
            vms.update_camera(&payload, &version(&l.version), ctx)
                .await
                .map(drop)
                .map_err(driver_error)
        }
        OpKind::CameraDelete => {
            let l = live
                .cameras
                .get(&op.target)
                .ok_or_else(|| missing("camera", &op.target))?;
            vms.delete_camera(&op.target, &version(&l.version), ctx)
                .await
                .map_err(driver_error)
        }
        OpKind::AlertCreate | OpKind::AlertUpdate | OpKind::AlertDelete => {
            let kind: AlertKind =
                serde_json::from_value(serde_json::Value::from(op.target.clone()))
                    .map_err(|_| format!("`{}` is not an alert kind", op.target))?;
            let live_rule = live.alerts.as_ref().and_then(|a| a.get(&kind));
            if op.op == OpKind::AlertDelete {
                let l = live_rule.ok_or_else(|| missing("alert rule", &op.target))?;
                return vms
                    .delete_alert_rule(kind, &version(&l.version), ctx)
                    .await
                    .map_err(driver_error);
            }
            let d = desired
                .alerts
                .as_ref()
                .and_then(|a| a.get(&kind))
                .ok_or_else(|| missing("alert rule", &op.target))?;
            let r = d.to_rule();
            let rule = AlertRule {
                kind,
                threshold: r.threshold,
                recipients: r.recipients,
                escalation: r.escalation,
                version: String::new(),
            };
            let if_match = live_rule.map(|l| version(&l.version));
            vms.put_alert_rule(&rule, if_match.as_deref(), ctx)
                .await
                .map(drop)
                .map_err(driver_error)
        }
        OpKind::SettingsUpdate => {
            let d = desired
                .settings
                .as_ref()
                .ok_or_else(|| missing("settings", "settings"))?;
            let l = live
                .settings
                .as_ref()
                .ok_or_else(|| missing("settings", "settings"))?;
            let s = Settings {
                session_timeout_minutes: d.session_timeout_minutes,
                version: version(&l.version),
            };
            vms.update_settings(&s, &version(&l.version), ctx)
                .await
                .map(drop)
                .map_err(driver_error)
        }
        // A policy change lives in git; applying it means recording the commit.
        OpKind::PolicyChange => Ok(()),
    }
}

/// Executes `ops` (as planned from `desired` and `live`) with request ids from `new_id`.
#[allow(
    clippy::too_many_arguments,
    reason = "the executor's inputs are independent facts; a struct would only rename them"
)]
pub async fn execute(
    vms: &dyn Vms,
    ops: &[Operation],
    desired: &ConfigState,
    live: &ConfigState,
    operator: &str,
    parallelism: usize,
    journal: &dyn StepJournal,
    progress: &dyn Progress,
    new_id: &(dyn Fn() -> String + Sync),
) -> Vec<StepResult> {
    progress.start(ops.len());
    let failed = AtomicBool::new(false);
    let mut ordered: Vec<&Operation> = ops.iter().collect();
    ordered.sort_by_key(|o| phase(o.op));
    let mut results = Vec::with_capacity(ops.len());
    for p in 0..3 {
        let batch: Vec<&Operation> = ordered
            .iter()
            .copied()
            .filter(|o| phase(o.op) == p)
            .collect();
        let failed = &failed;
        let mut done: Vec<StepResult> = stream::iter(batch.into_iter().map(|op| async move {
            let request_id = new_id();
            // Checked when the slot opens: after a failure nothing new starts.
            if failed.load(Ordering::SeqCst) {
                return StepResult {
                    op: op.clone(),
                    request_id,
                    outcome: Outcome::NotAttempted,
                };
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
                    match send(vms, op, desired, live, &ctx).await {
                        Ok(()) => Outcome::Succeeded,
                        Err(e) => Outcome::Failed(e),
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
            r
        }))
        .buffer_unordered(parallelism.max(1))
        .collect()
        .await;
        // Report in plan order whatever the completion order was.
        done.sort_by_key(|r| {
            ops.iter()
                .position(|o| o.op == r.op.op && o.target == r.op.target)
        });
        results.extend(done);
    }
    results
}
