//! `apply --format json`: what each site's apply did, as one document.

use schemars::JsonSchema;
use serde::Serialize;
use vmsops::ops::apply::{
    ApplyOutcome, ApplyReport, Outcome, RollbackMethod, RollbackSummary, SkipReason,
};

use super::output::FORMAT_VERSION;

/// The document `apply --format json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApplyDocument {
    /// Always 1.
    pub format_version: u32,
    /// One entry per site applied, in order.
    pub sites: Vec<SiteApply>,
}

impl ApplyDocument {
    /// The document of `reports`.
    pub fn new(reports: &[ApplyReport]) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            sites: reports.iter().map(SiteApply::of).collect(),
        }
    }
}

/// How one site's apply ended.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SiteOutcome {
    /// The VMS already matched; the commit is recorded as applied.
    UpToDate,
    /// Every operation succeeded (see `verified` with `--verify`).
    Applied,
    /// The gate refused; nothing was changed.
    Refused,
    /// An operation failed, or the apply was interrupted.
    Failed,
}

/// One site's apply.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SiteApply {
    /// The site.
    pub site: String,
    /// How it ended.
    pub outcome: SiteOutcome,
    /// The commit applied.
    pub desired_commit: Option<String>,
    /// The snapshot taken before the first change.
    pub snapshot: Option<String>,
    /// The emergency's reason, when `--emergency` let a refusal through.
    pub emergency: Option<String>,
    /// The previous apply that died holding the lock, when there was one.
    pub unfinished_previous: Option<String>,
    /// The gate's refusals (outcome `refused`).
    pub refusals: Vec<RefusalJson>,
    /// Each operation, in plan order, and how it ended.
    pub operations: Vec<OperationResult>,
    /// The cameras watched after the operations (`--verify`).
    pub verified: Vec<VerifiedJson>,
    /// Whether the snapshot was restored after a failure (`--auto-rollback`).
    pub rolled_back: bool,
    /// Why the automatic rollback failed, when it did.
    pub rollback_error: Option<String>,
    /// What the automatic rollback put back and what it left alone, when it ran.
    pub rollback: Option<RollbackJson>,
    /// Whether a signal stopped the apply.
    pub interrupted: bool,
    /// Why the apply's closing entry could not be journaled, when it could not.
    pub journal_error: Option<String>,
}

/// A refusal of the gate.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RefusalJson {
    /// The check (docs/procedure.md), e.g. `approval`.
    pub check: String,
    /// What is wrong and what to do.
    pub message: String,
    /// The operations it concerns.
    pub targets: Vec<String>,
}

impl From<&vmsops::gate::Refusal> for RefusalJson {
    fn from(f: &vmsops::gate::Refusal) -> Self {
        Self {
            check: f.check.clone(),
            message: f.message.clone(),
            targets: f.targets.clone(),
        }
    }
}

/// How one operation ended.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OperationResult {
    /// e.g. `camera.update`.
    pub op: String,
    /// The camera id, alert kind, `settings` or site.
    pub target: String,
    /// The request id it was (or would have been) sent with, as journaled.
    pub request_id: String,
    /// `succeeded`, `failed` or `not-attempted`.
    pub result: StepStatus,
    /// Why it failed.
    pub error: Option<String>,
}

/// An operation's end.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// The VMS accepted it.
    Succeeded,
    /// It failed.
    Failed,
    /// An earlier failure stopped the apply before it.
    NotAttempted,
}

/// One watched camera's health after the change.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifiedJson {
    /// The camera.
    pub camera: String,
    /// `healthy`, `disabled`, `unknown` or `degraded`.
    pub health: vmsops::model::Health,
    /// Why, when it is not healthy.
    pub reason: Option<String>,
}

impl SiteApply {
    fn of(r: &ApplyReport) -> Self {
        Self {
            site: r.site.clone(),
            outcome: match r.outcome {
                ApplyOutcome::UpToDate => SiteOutcome::UpToDate,
                ApplyOutcome::Applied => SiteOutcome::Applied,
                ApplyOutcome::Refused => SiteOutcome::Refused,
                ApplyOutcome::Failed => SiteOutcome::Failed,
            },
            desired_commit: r.plan.desired_commit.clone(),
            snapshot: r.snapshot.clone(),
            emergency: r.gate.emergency_used.clone(),
            unfinished_previous: r.unfinished.as_ref().map(ToString::to_string),
            refusals: r.refusals.iter().map(RefusalJson::from).collect(),
            operations: r
                .steps
                .iter()
                .map(|s| {
                    let (result, error) = match &s.outcome {
                        Outcome::Succeeded => (StepStatus::Succeeded, None),
                        Outcome::Failed(e) => (StepStatus::Failed, Some(vmsops::error_chain(e))),
                        Outcome::NotAttempted => (StepStatus::NotAttempted, None),
                    };
                    OperationResult {
                        op: s.op.op.as_str().into(),
                        target: s.op.target.to_string(),
                        request_id: s.request_id.clone(),
                        result,
                        error,
                    }
                })
                .collect(),
            verified: r
                .verified
                .iter()
                .map(|v| VerifiedJson {
                    camera: v.camera.clone(),
                    health: v.health,
                    reason: v.reason.clone(),
                })
                .collect(),
            rolled_back: r.rolled_back,
            rollback_error: r.rollback_error.clone(),
            rollback: r.rollback.as_ref().map(RollbackJson::of),
            interrupted: r.interrupted,
            journal_error: r.journal_error.clone(),
        }
    }
}

/// How the rollback put the snapshot back.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RollbackMethodJson {
    /// Only the objects this apply wrote, each with `If-Match` on the version its write produced.
    PerObject,
    /// One full import of the snapshot: changes made by others since the snapshot were overwritten.
    FullImport,
}

/// What the automatic rollback did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RollbackJson {
    /// Object by object, or the full import (when the VMS cannot write conditionally).
    pub method: RollbackMethodJson,
    /// Why the full import, when it was one.
    pub full_import_reason: Option<String>,
    /// The objects put back as in the snapshot.
    pub rolled_back: Vec<RolledBackJson>,
    /// The objects this apply wrote that were left as they are.
    pub not_rolled_back: Vec<NotRolledBackJson>,
}

/// An object put back.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RolledBackJson {
    /// The operation that put it back, e.g. `camera.update`.
    pub op: String,
    /// The camera id, alert kind or `settings`.
    pub target: String,
}

/// Why an object was left as it is.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NotRolledBackReason {
    /// It changed since this apply wrote it: that change is kept.
    ChangedSince,
    /// The apply's write got no answer and the VMS journal does not say whether it happened.
    Unknown,
}

/// An object this apply wrote that the rollback left as it is.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NotRolledBackJson {
    /// The camera id, alert kind or `settings`.
    pub target: String,
    /// Why.
    pub reason: NotRolledBackReason,
    /// The VMS account that changed it since, when the VMS journal says.
    pub changed_by: Option<String>,
    /// That change's VMS journal seq.
    pub vms_seq: Option<u64>,
    /// The summary's words, e.g. `t-003 changed by mdurand since`.
    pub message: String,
}

impl RollbackJson {
    fn of(s: &RollbackSummary) -> Self {
        let (method, full_import_reason) = match &s.method {
            RollbackMethod::PerObject => (RollbackMethodJson::PerObject, None),
            RollbackMethod::FullImport { why } => {
                (RollbackMethodJson::FullImport, Some(why.clone()))
            }
        };
        Self {
            method,
            full_import_reason,
            rolled_back: s
                .rolled_back
                .iter()
                .map(|o| RolledBackJson {
                    op: o.op.as_str().into(),
                    target: o.target.clone(),
                })
                .collect(),
            not_rolled_back: s
                .not_rolled_back
                .iter()
                .map(|n| NotRolledBackJson {
                    target: n.target.clone(),
                    reason: match n.reason {
                        SkipReason::ChangedSince => NotRolledBackReason::ChangedSince,
                        SkipReason::Unknown => NotRolledBackReason::Unknown,
                    },
                    changed_by: n.changed_by.clone(),
                    vms_seq: n.vms_seq,
                    message: n.to_string(),
                })
                .collect(),
        }
    }
}
