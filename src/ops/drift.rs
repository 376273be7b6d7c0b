//! Drift: the plan without the gate, plus findings, out-of-band changes, and a status per site.
//!
//! Shared by `vmsops drift` (once) and `vmsops watch` (every interval). Reads
//! the VMSs (through `fleet`), the state store and, for a site applied at an
//! earlier commit, the desired state at that commit (docs/drift.md); never prints.
//!
//! - `pending`: the VMS matches the last applied commit, the revision waits;
//! - `drifted`: the VMS differs from the last applied commit, or its journal
//!   holds unacknowledged changes vmsops did not make (failed ones changed
//!   nothing and are not drift);
//! - `unknown`: no baseline, or the VMS could not be read;
//! - a site never applied is compared with the revision itself.

use std::collections::HashSet;
use std::path::Path;

use jiff::civil::Date;

use super::context::Bases;
use crate::desired::{DesiredRepo, SiteDoc};
use crate::model::VmsJournalEntry;
use crate::ops::fleet::{self, Env, SiteLive, SiteRequest};
use crate::ops::status::SiteHealth;
use crate::plan::build::{site_plan, SiteInput};
use crate::plan::document::{DriftStatus, SitePlan};
use crate::plan::Finding;
use crate::state::{StateError, StateStore};

/// What drift needs besides the sites.
pub struct DriftInput<'a> {
    /// The repository folder (the last applied commit's desired state is read from it).
    pub repo_dir: &'a Path,
    /// The desired state at the revision.
    pub repo: &'a DesiredRepo,
    /// The state store.
    pub state: &'a StateStore,
    /// Today, for the alert review.
    pub today: Date,
    /// VMSs read at the same time.
    pub concurrency: usize,
    /// The request ids vmsops sent, kept current by the caller (`watch`); read from the
    /// journal when None.
    pub known: Option<&'a crate::state::KnownRequestIds>,
    /// Also read every live camera's health, in the same read of each VMS (`watch`).
    pub health: bool,
}

/// The drift of each site in `sites` (a subset of `repo.sites`), in the same order.
pub async fn drift_sites(
    input: &DriftInput<'_>,
    sites: &[&SiteDoc],
    env: Env,
) -> Result<Vec<SitePlan>, StateError> {
    Ok(drift_and_health(input, sites, env).await?.0)
}

/// The drift of each site in `sites`, in the same order, and — when `input.health` —
/// its cameras' health from the same read (empty otherwise).
pub async fn drift_and_health(
    input: &DriftInput<'_>,
    sites: &[&SiteDoc],
    env: Env,
) -> Result<(Vec<SitePlan>, Vec<SiteHealth>), StateError> {
    let state = input.state;
    let read;
    let known: &HashSet<String> = match input.known {
        Some(k) => &k.ids,
        None => {
            read = state.known_request_ids()?;
            &read
        }
    };
    let mut baselines = Vec::new();
    let mut requests = Vec::new();
    let mut docs = Vec::new();
    for s in sites {
        let Some(request) = SiteRequest::of(s) else {
            continue;
        };
        let baseline = state.baseline(&request.site)?;
        requests.push(SiteRequest {
            journal_after: baseline.as_ref().map(|b| b.journal_cursor.clone()),
            health: input.health,
            ..request
        });
        baselines.push(baseline.is_some());
        docs.push(*s);
    }
    let results = fleet::read_all(requests, input.concurrency, env).await;
    let mut bases = Bases::default();
    let mut plans = Vec::new();
    let mut health = Vec::new();
    for ((doc, has_baseline), (site, result)) in docs.iter().zip(baselines).zip(results) {
        let (plan, cameras) = match result {
            Ok(live) => {
                let plan = site_drift(input, doc, &live, has_baseline, known, &mut bases)?;
                (plan, Ok(live.health))
            }
            Err(e) => (
                SitePlan {
                    status: Some(DriftStatus::Unknown),
                    ..error_plan(doc, input.repo.commit.clone(), &e)
                },
                Err(e),
            ),
        };
        plans.push(plan);
        if input.health {
            health.push(SiteHealth::of(site, cameras));
        }
    }
    Ok((plans, health))
}

/// One site's drift from what its VMS answered.
fn site_drift(
    input: &DriftInput<'_>,
    doc: &SiteDoc,
    live: &SiteLive,
    has_baseline: bool,
    known: &HashSet<String>,
    bases: &mut Bases,
) -> Result<SitePlan, StateError> {
    let Some(site) = &doc.site else {
        return Ok(error_plan(doc, input.repo.commit.clone(), &NoSite));
    };
    let plan_against = |site: &crate::desired::model::Site, doc: &SiteDoc| {
        site_plan(&SiteInput {
            site,
            cameras: doc.cameras.iter().map(|c| &c.camera).collect(),
            signers: doc.allowed_signers.as_deref(),
            desired_commit: input.repo.commit.clone(),
            live: &live.live,
            caps: &live.caps,
            today: input.today,
            base: None,
        })
    };
    let mut plan = plan_against(site, doc);
    let applied = input.state.applied(&site.name)?;
    // What the VMS changed since the last apply: the live VMS against that commit's desired state.
    match applied.as_ref().map(|a| a.commit.as_str()) {
        Some(c) if Some(c) != input.repo.commit.as_deref() => {
            match bases.get(input.repo_dir, c) {
                Ok((_, repo)) => match repo.sites.iter().find(|s| s.name() == site.name) {
                    Some(d @ SiteDoc { site: Some(s), .. }) => plan.drift = plan_against(s, d).operations,
                    _ => plan.notes.push(format!(
                        "site `{}` does not exist at its last applied commit {}: compared with the revision",
                        site.name,
                        crate::model::short_id(c)
                    )),
                },
                Err(e) => plan.notes.push(format!(
                    "the last applied commit {} cannot be read ({}): compared with the revision",
                    crate::model::short_id(c),
                    crate::error_chain(&e)
                )),
            }
        }
        Some(_) => plan.drift = plan.operations.clone(),
        None => {}
    }
    let out_of_band = out_of_band(&live.journal, known);
    for e in &out_of_band {
        plan.findings.push(Finding {
            kind: "out-of-band".into(),
            target: e.target.clone(),
            message: format!(
                "{} by `{}` at {} (VMS journal #{}) was not made by vmsops",
                e.action, e.user, e.at, e.seq
            ),
        });
    }
    if !live.caps.has_admin_journal {
        plan.notes.push(format!(
            "the {} product keeps no administration journal: out-of-band changes show only as differences in state",
            site.vms.driver
        ));
    }
    plan.status = Some(if !has_baseline {
        plan.findings.push(Finding {
            kind: "no-baseline".into(),
            target: site.name.clone(),
            message: "no baseline in the state: drift cannot tell vmsops's changes from others; run `vmsops import`, apply once, or use the shared state (--state postgres://…) where the baseline lives".into(),
        });
        DriftStatus::Unknown
    } else if !out_of_band.is_empty() || (applied.is_some() && !plan.drift.is_empty()) {
        DriftStatus::Drifted
    } else if !plan.operations.is_empty() {
        DriftStatus::Pending
    } else {
        DriftStatus::InSync
    });
    Ok(plan)
}

/// The VMS journal entries that changed something and that vmsops did not make
/// (`known`: the request ids vmsops journaled). Drift, apply and `drift ack` agree on this.
pub fn out_of_band<'a>(
    journal: &'a [VmsJournalEntry],
    known: &HashSet<String>,
) -> Vec<&'a VmsJournalEntry> {
    journal
        .iter()
        .filter(|e| e.result == "success")
        .filter(|e| e.request_id.as_ref().is_none_or(|id| !known.contains(id)))
        .collect()
}

/// A site document without a site (already reported by validation).
#[derive(Debug, thiserror::Error)]
#[error("the site has no valid site.yaml")]
struct NoSite;

/// True if a site's drift is worth reporting: not in sync, or a finding.
pub fn has_drift(plan: &SitePlan) -> bool {
    match plan.status {
        Some(DriftStatus::Pending) | Some(DriftStatus::InSync) => !plan.findings.is_empty(),
        Some(_) => true,
        None => !plan.operations.is_empty() || !plan.findings.is_empty(),
    }
}

/// The plan of a site whose VMS could not be read.
pub fn error_plan(doc: &SiteDoc, commit: Option<String>, e: &dyn std::error::Error) -> SitePlan {
    let (driver, url) = doc
        .site
        .as_ref()
        .map(|s| (s.vms.driver.clone(), s.vms.url.clone()))
        .unwrap_or_default();
    SitePlan {
        site: doc.name().to_string(),
        desired_commit: commit,
        live_fingerprint: None,
        driver,
        url,
        operations: Vec::new(),
        findings: Vec::new(),
        unmanaged: Vec::new(),
        git: None,
        notes: Vec::new(),
        error: Some(crate::error_chain(e)),
        status: None,
        drift: Vec::new(),
    }
}
