//! The gate: the checks of PROC-VMS-001 (docs/procedure.md) over a plan's operations.
//!
//! [`evaluate`] is a pure function: the caller gathers every fact (the trusted
//! policy read from the base, the commits, the approval tags from
//! `git::approval_tags`, the operator, the ticket, "now", the driver's
//! capabilities, the recordings) and the gate fills each operation's
//! `verdicts`. It must never do I/O, read the clock or the environment, or
//! read the policy of the revision under review unless the caller says that
//! no trusted base exists ([`PolicySource::Revision`], which every operation
//! then shows as an `untrusted-base` warning, and which `apply` refuses). The
//! only data it consults beyond its input is the time zone database, for
//! maintenance windows. It reads no git: `git::tags` gathers the tags it judges.
//!
//! Each operation gets one verdict per check that applies to it: the checks
//! about the change as a whole (`untrusted-base`, `ancestry`, `nominative`,
//! `justification`) on every operation, then the checks of its class.
//!
//! Decisions the procedure leaves to us:
//! - `--emergency --reason TEXT` turns exactly two refusals into warnings that
//!   say `emergency: TEXT`: a generic identity (`nominative`) and a recording
//!   change outside every window (`maintenance-window`), and only those. It never
//!   bypasses `approval` (an emergency is not a reason to skip the Responsable
//!   Sécurité's sign-off on a recording change; a restore needs none), nor
//!   `homologation`, `retention-policy`, `recordings-kept` (they protect
//!   evidence and equipment, which an emergency does not make less important),
//!   nor `justification` and `ancestry`. An empty operator, an author without a
//!   name, or an emergency without a reason are never let through: the journal
//!   must name a person and say why.
//! - Lightweight `approve/*` tags, tags on another commit (including earlier
//!   commits of the same change) and tags of tags never approve; the refusal
//!   says which tags were seen and why each does not count.
//! - Signer keys are looked up at `now` (when the change is let through), not
//!   at the tag's own date, which its author chose: a key past its
//!   `valid-before` approves nothing more. `cert-authority` lines are skipped
//!   (approvers sign with plain keys).
//! - Windows are evaluated in their own time zone with jiff: a local time that
//!   a DST change skips maps to the first instant after the gap (02:00 on the
//!   spring-forward night opens at 03:00 summer time), and a repeated hour is
//!   taken at its first occurrence, so a 02:00–05:00 window lasts two hours on
//!   the spring-forward night and four on the fall-back night.
//! - In [`Mode::Plan`] an absent operator (plan has no `--operator`) is
//!   checked later, at apply; every other check says what apply would say now.
//! - [`Mode::Restore`] runs `nominative` and `justification` only.

mod alert_review;
mod ancestry;
mod approval;
mod homologation;
mod justification;
mod nominative;
mod recordings;
mod retention;
mod window;

#[cfg(test)]
pub(crate) mod tests;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::desired::effective::effective_recording;
use crate::desired::model::{Camera, MaintenanceWindow, Policy, Site};
use crate::model::{short_id as short, CommitFacts};
use crate::model::{Capabilities, Recordings};
use crate::plan::{Class, OpKind, Operation, Verdict, VerdictStatus};

pub use crate::model::tag::{TagFacts, TagKind, Tagger};

/// The generic identity (of `policy`) that `operator` is, if any: such an operator may not act (§01).
pub fn generic_operator<'p>(policy: &'p Policy, operator: &str) -> Option<&'p str> {
    nominative::generic(&policy.generic_identities, operator, operator)
}

/// The name of the maintenance window open at `now`, if any (what the journal records for a recording change).
pub fn open_window(windows: &[MaintenanceWindow], now: Timestamp) -> Option<String> {
    window::containing(windows, now).map(|(w, _)| w.name.clone())
}

/// The check ids (docs/procedure.md), as they appear in plans and the journal.
pub mod check {
    /// An approver's signed `approve/*` tag on exactly the revision.
    pub const APPROVAL: &str = "approval";
    /// The revision is the base or descends from it.
    pub const ANCESTRY: &str = "ancestry";
    /// Every camera's effective retention is within the trusted bounds.
    pub const RETENTION_POLICY: &str = "retention-policy";
    /// Recording changes only inside a trusted maintenance window.
    pub const MAINTENANCE_WINDOW: &str = "maintenance-window";
    /// Only homologated cameras with recent enough firmware are added.
    pub const HOMOLOGATION: &str = "homologation";
    /// A camera is removed only if its recordings outlive the regulatory retention.
    pub const RECORDINGS_KEPT: &str = "recordings-kept";
    /// The operator and the commit authors are named persons.
    pub const NOMINATIVE: &str = "nominative";
    /// A ticket justifies the change.
    pub const JUSTIFICATION: &str = "justification";
    /// Alert rules reviewed within the policy's maximum age.
    pub const ALERT_REVIEW: &str = "alert-review";
    /// The policy came from the revision under review, not from a trusted base.
    pub const UNTRUSTED_BASE: &str = "untrusted-base";
}

/// Which command the gate speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `plan`: verdicts are shown; the operator is not known yet.
    Plan,
    /// `apply` and `watch --apply`: a refusal stops the change.
    Apply,
    /// `restore`: a nominative operator and a ticket; no approval, no window.
    Restore,
}

/// Where the policy given to the gate was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicySource {
    /// The trusted base (`--base` or the last applied commit).
    TrustedBase,
    /// The revision under review itself, for lack of a base: it could approve itself.
    Revision,
}

/// What the gate needs to know about one desired camera.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredCamera {
    /// Camera id.
    pub id: String,
    /// Manufacturer.
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Firmware version.
    pub firmware: String,
    /// Effective retention in days (`None` if its profile does not exist).
    pub retention_days: Option<u32>,
}

impl DesiredCamera {
    /// The gate's view of `camera` in `site` (effective retention included).
    pub fn of(site: &Site, camera: &Camera) -> Self {
        Self {
            id: camera.id.clone(),
            vendor: camera.vendor.clone(),
            model: camera.model.clone(),
            firmware: camera.firmware.clone(),
            retention_days: effective_recording(site, camera).map(|r| r.retention_days),
        }
    }
}

/// Everything the gate decides from. Borrowed: the caller owns the facts.
#[derive(Debug, Clone)]
pub struct GateInput<'a> {
    /// Which command asks.
    pub mode: Mode,
    /// Where `policy`, `maintenance_windows` and `allowed_signers` come from.
    pub policy_source: PolicySource,
    /// The trusted policy.
    pub policy: &'a Policy,
    /// The trusted maintenance windows.
    pub maintenance_windows: &'a [MaintenanceWindow],
    /// The trusted allowed signers file (`None` if it does not exist at the base).
    pub allowed_signers: Option<&'a str>,
    /// The base commit id, when there is one.
    pub base: Option<&'a str>,
    /// The revision's commit id.
    pub rev: &'a str,
    /// Whether `rev` is `base` or descends from it (`None` without a base).
    pub descends_from_base: Option<bool>,
    /// The commits being applied: base..rev, or rev alone when that is empty.
    pub commits: &'a [CommitFacts],
    /// The `approve/*` tags found near `rev` (`git::approval_tags`).
    pub tags: &'a [TagFacts],
    /// The operator (`--operator` / `VMSOPS_OPERATOR`); `None` in plan.
    pub operator: Option<&'a str>,
    /// The ticket from `--ticket` / `VMSOPS_TICKET`, as given (blank is no ticket).
    pub ticket: Option<&'a str>,
    /// The moment the change would be let through.
    pub now: Timestamp,
    /// What the site's driver does.
    pub capabilities: &'a Capabilities,
    /// Recordings of the cameras being removed, as the VMS reports them.
    pub recordings: &'a [Recordings],
    /// The desired cameras.
    pub cameras: &'a [DesiredCamera],
    /// `alerts.reviewed_on` of the desired state, when alert rules are managed.
    pub alerts_reviewed_on: Option<Date>,
    /// The `--reason` of `--emergency`, when given.
    pub emergency: Option<&'a str>,
    /// `cameras` and `recordings` by id, built once on first use: every per-operation
    /// check finds its camera in constant time, so the gate stays linear in the plan.
    index: LazyIndex<'a>,
}

/// The index, built on first use; a clone starts without one, since its slices may be replaced.
#[derive(Debug, Default)]
struct LazyIndex<'a>(std::sync::OnceLock<Index<'a>>);

impl Clone for LazyIndex<'_> {
    fn clone(&self) -> Self {
        LazyIndex::default()
    }
}

#[cfg(test)]
thread_local! {
    /// How many times this thread built a gate index (a test counts them).
    pub(crate) static INDEX_BUILDS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Positions in [`GateInput::cameras`] and [`GateInput::recordings`], by id.
#[derive(Debug, Clone, Default)]
struct Index<'a> {
    cameras: std::collections::HashMap<&'a str, usize>,
    recordings: std::collections::HashMap<&'a str, usize>,
}

impl<'a> GateInput<'a> {
    fn index(&self) -> &Index<'a> {
        self.index.0.get_or_init(|| {
            #[cfg(test)]
            INDEX_BUILDS.with(|n| n.set(n.get() + 1));
            Index {
                cameras: self
                    .cameras
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.id.as_str(), i))
                    .collect(),
                recordings: self
                    .recordings
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.camera_id.as_str(), i))
                    .collect(),
            }
        })
    }

    /// The desired camera `id`, if the desired state has it.
    pub fn camera(&self, id: &str) -> Option<&'a DesiredCamera> {
        let cameras: &'a [DesiredCamera] = self.cameras;
        self.index().cameras.get(id).map(|&i| &cameras[i])
    }

    /// The recordings the VMS keeps for camera `id`, if any.
    pub fn recordings_of(&self, id: &str) -> Option<&'a Recordings> {
        let recordings: &'a [Recordings] = self.recordings;
        self.index().recordings.get(id).map(|&i| &recordings[i])
    }

    /// An input with no commits, tags, operator, ticket, cameras, base or emergency.
    pub fn new(
        mode: Mode,
        policy: &'a Policy,
        maintenance_windows: &'a [MaintenanceWindow],
        rev: &'a str,
        now: Timestamp,
        capabilities: &'a Capabilities,
    ) -> Self {
        Self {
            mode,
            policy_source: PolicySource::TrustedBase,
            policy,
            maintenance_windows,
            allowed_signers: None,
            base: None,
            rev,
            descends_from_base: None,
            commits: &[],
            tags: &[],
            operator: None,
            ticket: None,
            now,
            capabilities,
            recordings: &[],
            cameras: &[],
            alerts_reviewed_on: None,
            emergency: None,
            index: LazyIndex::default(),
        }
    }

    /// The emergency reason, if `--emergency` came with a non-blank one.
    fn emergency_reason(&self) -> Option<&'a str> {
        self.emergency.map(str::trim).filter(|r| !r.is_empty())
    }
}

pub use crate::model::Approval;

/// What the gate concluded about the change as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GateOutcome {
    /// The verdicts about the whole change (also copied on every operation);
    /// they decide alone when there are no operations, as in a restore.
    pub verdicts: Vec<Verdict>,
    /// The accepted approval, if an operation needed one and it was found.
    pub approval: Option<Approval>,
    /// The ticket that justifies the change, if any.
    pub ticket: Option<String>,
    /// The emergency reason, if the emergency let a refusal through.
    pub emergency_used: Option<String>,
}

impl GateOutcome {
    /// True if the change may not be applied: a refusal on the change or on any operation.
    pub fn is_refused(&self, operations: &[Operation]) -> bool {
        self.verdicts
            .iter()
            .any(|v| v.status == VerdictStatus::Refused)
            || operations.iter().any(Operation::is_refused)
    }
}

/// One reason the gate refuses, and the operations it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The check id.
    pub check: String,
    /// What is wrong and what to do.
    pub message: String,
    /// The operations' targets (empty when it concerns the change without operations).
    pub targets: Vec<String>,
}

/// The refusals of a gated change, each reason once with the targets it concerns, in plan order.
pub fn refusals(outcome: &GateOutcome, operations: &[Operation]) -> Vec<Refusal> {
    let mut out: Vec<Refusal> = Vec::new();
    let refused = operations.iter().flat_map(|op| {
        op.verdicts
            .iter()
            .filter(|v| v.status == VerdictStatus::Refused)
            .map(move |v| (v, Some(op.target.as_str())))
    });
    let change_wide = outcome
        .verdicts
        .iter()
        .filter(|v| v.status == VerdictStatus::Refused)
        .map(|v| (v, None));
    for (v, target) in refused.chain(change_wide) {
        let i = match out
            .iter()
            .position(|r| *r.check == *v.check && *r.message == *v.message)
        {
            Some(i) => i,
            None => {
                out.push(Refusal {
                    check: v.check.to_string(),
                    message: v.message.to_string(),
                    targets: Vec::new(),
                });
                out.len() - 1
            }
        };
        if let Some(t) = target {
            if !out[i].targets.iter().any(|x| x == t) {
                out[i].targets.push(t.to_string());
            }
        }
    }
    out
}

/// Builds a verdict.
fn verdict(check: &str, status: VerdictStatus, message: impl Into<String>) -> Verdict {
    Verdict {
        check: check.into(),
        status,
        message: message.into().into(),
    }
}

/// A refusal that `--emergency --reason` may let through: a warning naming the reason when it does.
fn bypassable(check: &str, message: String, emergency: Option<&str>) -> (Verdict, bool) {
    match emergency {
        Some(reason) => (
            verdict(
                check,
                VerdictStatus::Warning,
                format!("emergency: {reason} — {message}"),
            ),
            true,
        ),
        None => (verdict(check, VerdictStatus::Refused, message), false),
    }
}

/// Runs every check on `operations` (replacing their verdicts) and on the change as a whole.
pub fn evaluate(input: &GateInput<'_>, operations: &mut [Operation]) -> GateOutcome {
    let emergency = input.emergency_reason();
    let mut outcome = GateOutcome::default();
    let mut used_emergency = false;

    if input.policy_source == PolicySource::Revision && input.mode != Mode::Restore {
        outcome.verdicts.push(untrusted_base(input.mode));
    }
    if let Some(v) = ancestry::check(input) {
        outcome.verdicts.push(v);
    }
    let (v, used) = nominative::check(input, emergency);
    used_emergency |= used;
    outcome.verdicts.push(v);
    let (v, ticket) = justification::check(input);
    outcome.ticket = ticket;
    outcome.verdicts.push(v);

    let needs_approval =
        input.mode != Mode::Restore && operations.iter().any(|op| approval::applies(op.class));
    let approval = needs_approval.then(|| approval::check(input));
    if let Some((_, Some(a))) = &approval {
        outcome.approval = Some(a.clone());
    }
    let window = (input.mode != Mode::Restore
        && operations.iter().any(|op| window::applies(op.class)))
    .then(|| {
        let (v, used) = window::check(input, emergency);
        used_emergency |= used;
        v
    });

    for op in operations.iter_mut() {
        op.verdicts = outcome.verdicts.clone();
        if input.mode == Mode::Restore {
            continue;
        }
        if let Some((v, _)) = &approval {
            if approval::applies(op.class) {
                op.verdicts.push(v.clone());
            }
        }
        if let Some(v) = &window {
            if window::applies(op.class) {
                op.verdicts.push(v.clone());
            }
        }
        op.verdicts.extend(retention::check(input, op));
        op.verdicts.extend(homologation::check(input, op));
        op.verdicts.extend(recordings::check(input, op));
        if op.class == Class::Alerts {
            op.verdicts.extend(alert_review::check(input));
        }
    }
    if used_emergency {
        outcome.emergency_used = emergency.map(str::to_string);
    }
    outcome
}

fn untrusted_base(mode: Mode) -> Verdict {
    let what = "there is no trusted base, so the policy was read from the revision under review, which could approve itself";
    match mode {
        Mode::Apply => verdict(
            check::UNTRUSTED_BASE,
            VerdictStatus::Refused,
            format!("{what}: give --base (the last reviewed commit) for a first apply"),
        ),
        _ => verdict(
            check::UNTRUSTED_BASE,
            VerdictStatus::Warning,
            format!("{what}; give --base to check against a trusted policy"),
        ),
    }
}

/// True if `op` concerns a camera (its target is a camera id).
fn is_camera_op(op: &Operation) -> bool {
    matches!(
        op.op,
        OpKind::CameraCreate | OpKind::CameraUpdate | OpKind::CameraDelete
    )
}
