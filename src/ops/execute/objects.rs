//! A snapshot put back through per-object operations, for a configuration larger
//! than the product imports at once.
//!
//! The snapshot's configuration is planned against the VMS as it is now, exactly
//! as an apply plans the desired state (the same diff, the same binding to live
//! versions), then sent by the executor an apply uses: creates, then updates with
//! `If-Match`, then deletes, each journaled before its request and when it ends.
//! A signal stops it like an apply: nothing new starts, what is in flight ends.

use std::sync::atomic::{AtomicBool, Ordering};

use super::bind::bind;
use super::executor::{execute, Execution, Outcome, StepResult};
use super::import::{ImportJob, RestoreFailure};
use super::journaling::Journaling;
use crate::audit::detail::Agent;
use crate::audit::{AuditError, GroupCommit};
use crate::model::LiveConfig;
use crate::plan::comparable::ComparableConfig;
use crate::plan::diff::diff;

/// Requests at a time: the apply's default.
const PARALLELISM: usize = 4;

/// Some operations of a per-object restore failed; the rest of them were not sent.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} per-object operation(s) failed, the VMS is partly restored; first: {first}")]
pub struct ObjectsFailed {
    /// Operations that failed.
    pub failed: usize,
    /// Operations planned.
    pub total: usize,
    /// The first failure.
    pub first: String,
}

/// Sends the operations that take the VMS from what it holds to `target`; how many.
pub(crate) async fn restore_objects(
    job: &ImportJob<'_>,
    target: &LiveConfig,
    agent: Agent,
) -> Result<Result<usize, RestoreFailure>, AuditError> {
    let caps = job.vms.capabilities();
    let live = match job.vms.read_live().await {
        Ok(l) => l,
        Err(e) => return Ok(Err(e.into())),
    };
    let want = ComparableConfig::from_live(target, &caps);
    let have = ComparableConfig::from_live(&live, &caps);
    let (ops, _read_only) = diff(&want, &have);
    let bound = match bind(&ops, &want, &have) {
        Ok(b) => b,
        Err(e) => {
            return Ok(Err(RestoreFailure::Objects(ObjectsFailed {
                failed: ops.len(),
                total: ops.len(),
                first: e.to_string(),
            })))
        }
    };
    let group = GroupCommit::start(job.journal.clone()).map_err(|source| AuditError::Io {
        path: job.journal.path().to_path_buf(),
        source,
    })?;
    let hooks = Journaling {
        journal: &group,
        base: job.base.clone(),
        window: None,
        agent,
        clock: *job.clock,
    };
    // A job without a flag (a rollback) runs to its end.
    let never = AtomicBool::new(false);
    let interrupted = job.interrupted.unwrap_or(&never);
    let steps = execute(
        &bound,
        &Execution {
            vms: job.vms,
            operator: job.operator,
            parallelism: PARALLELISM,
            journal: &hooks,
            progress: &|_: &StepResult| {},
            new_id: &|| uuid::Uuid::new_v4().to_string(),
            interrupted,
        },
    )
    .await;
    let failures: Vec<_> = steps
        .iter()
        .filter_map(|s| match &s.outcome {
            Outcome::Failed(e) => Some(e),
            _ => None,
        })
        .collect();
    let not_sent = steps
        .iter()
        .filter(|s| s.outcome == Outcome::NotAttempted)
        .count();
    Ok(match failures.first() {
        Some(first) => Err(RestoreFailure::Objects(ObjectsFailed {
            failed: failures.len(),
            total: steps.len(),
            first: crate::error_chain(*first),
        })),
        None if not_sent > 0 && interrupted.load(Ordering::SeqCst) => {
            Err(RestoreFailure::Interrupted {
                sent: steps.len() - not_sent,
                total: steps.len(),
            })
        }
        None => Ok(steps.len()),
    })
}
