//! The gated plan of one site: trusted base → git facts → plan → gate input → verdicts.
//!
//! One sequence for `plan` (verdicts shown) and `apply` (verdicts enforced), so
//! that what a pull request shows is exactly what apply will decide.

use std::path::Path;

use jiff::civil::Date;
use jiff::Timestamp;

use super::context::{desired_cameras, gate_input, git_facts, trust, Bases, ContextError};
use super::context::{GitFacts, Trust};
use crate::desired::model::Site;
use crate::desired::{SiteDoc, Tree};
use crate::gate::{self, GateOutcome, Mode};
use crate::model::{Capabilities, LiveConfig, Recordings};
use crate::plan::build::{site_plan, Base, SiteInput};
use crate::plan::document::{GitChanges, SitePlan};

/// What the gated plan of one site is computed from.
pub struct GatedPlanInput<'a> {
    /// Plan (verdicts shown) or apply (verdicts enforced).
    pub mode: Mode,
    /// The repository folder (bases are read from it).
    pub repo_dir: &'a Path,
    /// The revision's tree.
    pub tree: &'a Tree,
    /// The site's documents at the revision.
    pub doc: &'a SiteDoc,
    /// The site.
    pub site: &'a Site,
    /// The revision's commit id (None for the work tree).
    pub desired_commit: Option<String>,
    /// The revision as the gate names it (the commit id, or `WORKTREE`).
    pub rev: &'a str,
    /// The trusted base: `--base`, else the last applied commit.
    pub base: Option<&'a str>,
    /// The live configuration.
    pub live: &'a LiveConfig,
    /// What the driver can do.
    pub caps: &'a Capabilities,
    /// The recordings of the cameras the plan would delete.
    pub recordings: &'a [Recordings],
    /// The run's clock reading.
    pub now: Timestamp,
    /// Today, for the alert review.
    pub today: Date,
    /// The accountable person, when known.
    pub operator: Option<&'a str>,
    /// The ticket, when given.
    pub ticket: Option<&'a str>,
    /// The emergency reason, when given.
    pub emergency: Option<&'a str>,
}

/// A site's plan with the gate's verdicts, and the facts they were decided from.
pub struct GatedPlan {
    /// The plan, every operation carrying its verdicts.
    pub plan: SitePlan,
    /// What the gate concluded about the whole change.
    pub gate: GateOutcome,
    /// Where the trusted policy came from.
    pub trusted: Trust,
    /// The commits, ancestry and tags the gate saw.
    pub facts: GitFacts,
}

/// Plans one site and runs the gate over the plan.
pub fn gated_plan(i: &GatedPlanInput<'_>, bases: &mut Bases) -> Result<GatedPlan, ContextError> {
    let trusted = trust(i.doc, i.site, i.base, i.repo_dir, bases)?;
    let facts = git_facts(i.tree, trusted.base.as_deref())?;
    let git = trusted.base.as_ref().map(|b| GitChanges {
        base: b.clone(),
        commits: facts
            .commits
            .iter()
            .filter(|c| &c.id != b)
            .cloned()
            .collect(),
    });
    let mut plan = site_plan(&SiteInput {
        site: i.site,
        cameras: i.doc.cameras.iter().map(|c| &c.camera).collect(),
        signers: i.doc.allowed_signers.as_deref(),
        desired_commit: i.desired_commit.clone(),
        live: i.live,
        caps: i.caps,
        today: i.today,
        base: git.map(|git| Base {
            site: &trusted.site,
            signers: trusted.signers.as_deref(),
            git,
        }),
    });
    let cameras = desired_cameras(i.site, i.doc);
    let mut input = gate_input(
        i.mode, i.site, &trusted, &facts, &cameras, i.rev, i.now, i.caps,
    );
    input.operator = i.operator;
    input.ticket = i.ticket;
    input.recordings = i.recordings;
    input.emergency = i.emergency;
    let gate = gate::evaluate(&input, &mut plan.operations);
    if let Some(note) = &trusted.note {
        plan.notes.push(note.clone());
    }
    Ok(GatedPlan {
        plan,
        gate,
        trusted,
        facts,
    })
}
