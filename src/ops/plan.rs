//! `plan` for a fleet: every site's VMS read concurrently, then each site's gated plan.
//!
//! A site whose VMS cannot be read gets an error plan; the others are planned.

use std::path::Path;

use jiff::civil::Date;
use jiff::Timestamp;

use super::blocking::blocking;
use super::context::{Bases, ContextError};
use super::fleet::{self, Env, SiteRequest};
use super::gated_plan::{gated_plan, GatedPlanInput};
use crate::desired::{DesiredRepo, SiteDoc, Tree};
use crate::gate::Mode;
use crate::plan::document::SitePlan;
use crate::state::{StateError, StateStore};

/// What planning a fleet needs.
pub struct PlanSites<'a> {
    /// The repository folder.
    pub repo_dir: &'a Path,
    /// The revision's tree.
    pub tree: &'a Tree,
    /// The desired state at the revision.
    pub repo: &'a DesiredRepo,
    /// The sites to plan.
    pub sites: &'a [&'a SiteDoc],
    /// `--base`, if given (else each site's last applied commit).
    pub base: Option<&'a str>,
    /// The state store (applied commits).
    pub state: &'a StateStore,
    /// The ticket, for the gate's `justification` verdict.
    pub ticket: Option<&'a str>,
    /// Sites read at the same time.
    pub concurrency: usize,
    /// The run's clock reading.
    pub now: Timestamp,
    /// Today, for the alert review.
    pub today: Date,
}

/// Why a fleet could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The state store could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// git facts could not be gathered.
    #[error(transparent)]
    Context(#[from] ContextError),
}

/// Reads every site's VMS and plans each against its trusted base, in the order of `sites`.
pub async fn plan_sites(p: &PlanSites<'_>, env: Env) -> Result<Vec<SitePlan>, PlanError> {
    let requests = p
        .sites
        .iter()
        .filter_map(|s| {
            SiteRequest::of(s).map(|r| SiteRequest {
                desired_ids: Some(s.cameras.iter().map(|c| c.camera.id.clone()).collect()),
                ..r
            })
        })
        .collect();
    let results = fleet::read_all(requests, p.concurrency, env).await;
    let rev = p.repo.commit.clone().unwrap_or_else(|| "WORKTREE".into());
    let mut bases = Bases::default();
    let mut plans = Vec::new();
    for (doc, (_, result)) in p.sites.iter().zip(results) {
        let Some(site) = &doc.site else { continue };
        let live = match result {
            Ok(l) => l,
            Err(e) => {
                plans.push(super::drift::error_plan(doc, p.repo.commit.clone(), &e));
                continue;
            }
        };
        let applied = p.state.applied(&site.name)?.map(|a| a.commit);
        let input = GatedPlanInput {
            mode: Mode::Plan,
            repo_dir: p.repo_dir,
            tree: p.tree,
            doc,
            site,
            desired_commit: p.repo.commit.clone(),
            rev: &rev,
            base: p.base.or(applied.as_deref()),
            live: &live.live,
            caps: &live.caps,
            recordings: &live.recordings,
            now: p.now,
            today: p.today,
            operator: None,
            ticket: p.ticket,
            emergency: None,
        };
        plans.push(blocking(|| gated_plan(&input, &mut bases))?.plan);
    }
    Ok(plans)
}
