//! Applying one site: lock → read live → refuse a stale plan → plan → gate →
//! bind → snapshot → operations → record the applied commit.
//!
//! Shared by `vmsops apply` and `vmsops watch --apply`. Every step that
//! changes something is journaled first; nothing reaches the VMS unless the
//! gate allowed the whole change, every operation is bound to its payload,
//! and a snapshot of the live configuration is on disk. Each phase is one
//! function of `phases`; this module holds the types and the sequence.

mod phases;

use std::path::Path;
use std::time::Duration;

use jiff::civil::Date;

use super::clock::Clock;
use super::context::ContextError;
use super::execute::BindError;
use crate::audit::AuditError;
use crate::desired::model::Site;
use crate::desired::{SiteDoc, Tree};
use crate::driver::DriverError;
use crate::gate::{GateOutcome, Refusal};
use crate::model::{NoOperator, Operator};
use crate::plan::document::SitePlan;
use crate::state::{Holder, LockError, StateError, StateStore};

pub use crate::audit::detail::Agent;
/// The engine under its former path, for the callers that still name it so (`watch`).
pub use crate::ops::execute::executor;
/// What an automatic rollback did, as told in the report.
pub use crate::ops::execute::{
    NotRolledBack, RollbackMethod, RollbackSummary, RolledBack, SkipReason,
};
/// How the operations went, as told to a progress display and in the report.
pub use crate::ops::execute::{Outcome, Progress, StepFailure, StepResult};
use crate::ops::verify::Verified;

/// What an apply of one site needs: the run's settings, the site's facts, and the run's handles.
pub struct ApplySite<'a> {
    /// The run's settings, the same for every site.
    pub settings: &'a ApplySettings,
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
    /// A saved plan to apply exactly (`apply PLAN.json`).
    pub saved: Option<&'a SitePlan>,
    /// The state directory.
    pub state: &'a StateStore,
    /// Environment lookup (credentials).
    pub env: &'a (dyn Fn(&str) -> Option<String> + Send + Sync),
    /// Told of each operation as it ends.
    pub progress: &'a dyn Progress,
    /// Set by SIGINT / SIGTERM: no new operation starts; those in flight finish and are journaled.
    pub interrupted: &'a std::sync::atomic::AtomicBool,
}

/// The settings of one apply run, the same for every site it applies; built by [`ApplySettings::builder`].
///
/// Validated once: whoever holds one has a named operator, so no phase can
/// lock, snapshot or journal on behalf of nobody.
#[derive(Debug, Clone)]
pub struct ApplySettings {
    /// The accountable person.
    operator: Operator,
    /// `--ticket` / `VMSOPS_TICKET`.
    ticket: Option<String>,
    /// `--emergency --reason`: the reason, when it is an emergency.
    emergency: Option<String>,
    /// Operations at a time.
    parallelism: usize,
    /// Restore the snapshot after a failure.
    auto_rollback: bool,
    /// Watch the created or changed cameras until healthy, at most this long (`--verify`).
    verify: Option<Duration>,
    /// How long to wait for the site lock.
    lock_timeout: Duration,
    /// Who runs it.
    agent: Agent,
    /// The run's clock.
    clock: Clock,
    /// Today (for the alert review).
    today: Date,
}

impl ApplySettings {
    /// Operations sent at a time unless the run asks otherwise (`--parallelism`).
    pub const DEFAULT_PARALLELISM: usize = 4;

    /// A builder with the defaults: no ticket, no emergency, [`Self::DEFAULT_PARALLELISM`],
    /// no rollback, no verify, no wait for the lock; the operator is still to be given.
    pub fn builder(agent: Agent, clock: Clock, today: Date) -> ApplySettingsBuilder {
        ApplySettingsBuilder {
            agent,
            clock,
            today,
            operator: None,
            ticket: None,
            emergency: None,
            parallelism: Self::DEFAULT_PARALLELISM,
            auto_rollback: false,
            verify: None,
            lock_timeout: Duration::ZERO,
        }
    }

    /// The accountable person.
    pub fn operator(&self) -> &Operator {
        &self.operator
    }
}

/// [`ApplySettings`] being put together: defaults, then each setting the run gives, then [`Self::build`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ApplySettingsBuilder {
    agent: Agent,
    clock: Clock,
    today: Date,
    operator: Option<String>,
    ticket: Option<String>,
    emergency: Option<String>,
    parallelism: usize,
    auto_rollback: bool,
    verify: Option<Duration>,
    lock_timeout: Duration,
}

impl ApplySettingsBuilder {
    /// The accountable person as given (trimmed, and refused when blank, by [`Self::build`]).
    pub fn operator(mut self, operator: Option<&str>) -> Self {
        self.operator = operator.map(str::to_string);
        self
    }

    /// The work order that justifies the change.
    pub fn ticket(mut self, ticket: Option<&str>) -> Self {
        self.ticket = ticket.map(str::to_string);
        self
    }

    /// `--emergency` with its `--reason`: a reason without the flag is no emergency.
    pub fn emergency(mut self, emergency: bool, reason: Option<&str>) -> Self {
        self.emergency = reason.filter(|_| emergency).map(str::to_string);
        self
    }

    /// Operations sent at a time.
    pub fn parallelism(mut self, parallelism: usize) -> Self {
        self.parallelism = parallelism;
        self
    }

    /// Restore the snapshot after a failed operation (or a degraded camera).
    pub fn auto_rollback(mut self, auto_rollback: bool) -> Self {
        self.auto_rollback = auto_rollback;
        self
    }

    /// Watch the created or changed cameras until healthy, at most this long.
    pub fn verify(mut self, verify: Option<Duration>) -> Self {
        self.verify = verify;
        self
    }

    /// How long to wait for another apply of the same site.
    pub fn lock_timeout(mut self, lock_timeout: Duration) -> Self {
        self.lock_timeout = lock_timeout;
        self
    }

    /// The operator and ticket not given, from `VMSOPS_OPERATOR` and `VMSOPS_TICKET` (an empty variable is absent).
    pub fn env_defaults(mut self, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let var = |k: &str| env(k).filter(|v| !v.is_empty());
        if self.operator.is_none() {
            self.operator = var("VMSOPS_OPERATOR");
        }
        if self.ticket.is_none() {
            self.ticket = var("VMSOPS_TICKET");
        }
        self
    }

    /// The settings, or [`NoOperator`] when nobody (or only blanks) was named.
    pub fn build(self) -> Result<ApplySettings, NoOperator> {
        let operator = self
            .operator
            .as_deref()
            .and_then(Operator::new)
            .ok_or(NoOperator)?;
        Ok(ApplySettings {
            operator,
            ticket: self.ticket,
            emergency: self.emergency,
            parallelism: self.parallelism,
            auto_rollback: self.auto_rollback,
            verify: self.verify,
            lock_timeout: self.lock_timeout,
            agent: self.agent,
            clock: self.clock,
            today: self.today,
        })
    }
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
    /// What the automatic rollback put back and what it left alone, when it ran.
    pub rollback: Option<RollbackSummary>,
    /// True if a signal stopped the apply before every operation was sent.
    pub interrupted: bool,
    /// Why the apply's closing entry could not be journaled (e.g. a full disk), when it could not.
    pub journal_error: Option<String>,
    /// The previous holder of the lock, when it died without releasing it.
    pub unfinished: Option<Holder>,
    /// Gate outcome (approval, ticket, emergency).
    pub gate: GateOutcome,
    /// The cameras watched after the operations (`--verify`), in operation order.
    pub verified: Vec<Verified>,
}

impl ApplyReport {
    /// The cameras that did not come back healthy.
    pub fn degraded(&self) -> Vec<&str> {
        self.verified
            .iter()
            .filter(|v| v.health == crate::model::Health::Degraded)
            .map(|v| v.camera.as_str())
            .collect()
    }
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
    /// The journal's anchors could not be read.
    #[error(transparent)]
    Anchors(#[from] crate::ops::anchors::AnchorError),
    /// The journal is missing or shorter than an anchor recorded outside it: never started over.
    #[error("site `{site}`: the journal ends at #{last} but {what} recorded #{seq}: it was cut or deleted, so nothing was changed; restore it (`vmsops audit verify` names the break)")]
    JournalCut {
        /// The site.
        site: String,
        /// The last entry the journal holds (0: none).
        last: u64,
        /// Which anchor it does not reach.
        what: String,
        /// The entry that anchor recorded.
        seq: u64,
    },
    /// An operation cannot be bound to its payload: nothing was changed.
    #[error("site `{site}`: {source}")]
    Bind {
        /// The site.
        site: String,
        /// The operation at fault.
        #[source]
        source: BindError,
    },
    /// The snapshot could not be taken: no snapshot, no change.
    #[error("site `{site}`: no snapshot, no change: {why}")]
    Snapshot {
        /// The site.
        site: String,
        /// Why.
        why: String,
    },
}

/// Applies one site.
pub async fn apply_site(a: &ApplySite<'_>) -> Result<ApplyReport, ApplyError> {
    let started = phases::start(a).await?;
    let mut run = phases::gate(a, &started).await?;
    run.journal_unfinished(&started)?;
    if run.report.gate.is_refused(&run.report.plan.operations) {
        run.refuse()?;
        return Ok(run.report);
    }
    run.ensure_baseline(&started).await?;
    if run.report.plan.operations.is_empty() {
        run.record_applied(&started, None, 0).await?;
        run.report.outcome = ApplyOutcome::UpToDate;
        return Ok(run.report);
    }
    let bound = run.bind(&started)?;
    let snapshot = run.snapshot(&started).await?;
    // Compared with the VMS's own clock, not the run's (which a test may pin).
    let changed_at = jiff::Timestamp::now();
    run.execute(&started, &bound, &snapshot).await?;
    run.verify(&started, changed_at).await?;
    run.conclude(&started, &snapshot).await?;
    drop(started);
    Ok(run.report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> ApplySettingsBuilder {
        ApplySettings::builder(Agent::Cli, Clock::system(), Date::constant(2026, 1, 5))
    }

    #[test]
    fn settings_name_an_operator_or_are_refused() {
        assert_eq!(builder().build().err(), Some(NoOperator));
        assert_eq!(
            builder().operator(Some("  ")).build().err(),
            Some(NoOperator)
        );
        let s = builder()
            .operator(Some(" claire.martin "))
            .build()
            .expect("named");
        assert_eq!(s.operator().as_str(), "claire.martin");
        assert_eq!(s.parallelism, ApplySettings::DEFAULT_PARALLELISM);
        assert_eq!(s.lock_timeout, Duration::ZERO);
        assert!(s.ticket.is_none() && s.emergency.is_none() && s.verify.is_none());
    }

    #[test]
    fn flags_win_over_the_environment_and_an_empty_variable_is_absent() {
        let env = |k: &str| match k {
            "VMSOPS_OPERATOR" => Some("karim.benali".to_string()),
            "VMSOPS_TICKET" => Some(String::new()),
            _ => None,
        };
        let s = builder()
            .env_defaults(&env)
            .build()
            .expect("from the environment");
        assert_eq!(s.operator().as_str(), "karim.benali");
        assert_eq!(s.ticket, None);
        let s = builder()
            .operator(Some("claire.martin"))
            .ticket(Some("WO-1"))
            .env_defaults(&env)
            .build()
            .expect("from the flags");
        assert_eq!(s.operator().as_str(), "claire.martin");
        assert_eq!(s.ticket.as_deref(), Some("WO-1"));
    }

    #[test]
    fn a_reason_without_the_emergency_flag_is_no_emergency() {
        let named = || builder().operator(Some("claire.martin"));
        let off = named()
            .emergency(false, Some("fire"))
            .build()
            .expect("named");
        assert_eq!(off.emergency, None);
        let on = named()
            .emergency(true, Some("fire"))
            .build()
            .expect("named");
        assert_eq!(on.emergency.as_deref(), Some("fire"));
    }
}
