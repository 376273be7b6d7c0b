//! Drift: the plan without the gate, plus findings and out-of-band changes.
//!
//! Shared by `vmsops drift` (once) and `vmsops watch` (every interval). Reads
//! the VMSs (through `fleet`) and the state directory; never prints.

use std::collections::HashSet;

use jiff::civil::Date;

use crate::desired::{DesiredRepo, SiteDoc};
use crate::ops::fleet::{self, Env, SiteRequest};
use crate::plan::build::{site_plan, SiteInput};
use crate::plan::document::SitePlan;
use crate::plan::Finding;
use crate::state::{StateError, StateStore};

/// The drift of each site in `sites` (a subset of `repo.sites`), in the same order.
pub async fn drift_sites(
    repo: &DesiredRepo,
    sites: &[&SiteDoc],
    state: &StateStore,
    today: Date,
    concurrency: usize,
    env: Env,
) -> Result<Vec<SitePlan>, StateError> {
    let known: HashSet<String> = state.known_request_ids()?;
    let mut baselines = Vec::new();
    let mut requests = Vec::new();
    let mut docs = Vec::new();
    for s in sites {
        let Some(site) = &s.site else { continue };
        let baseline = state.baseline(&site.name)?;
        requests.push(SiteRequest {
            site: site.name.clone(),
            vms: site.vms.clone(),
            journal_after: baseline.as_ref().map(|b| b.journal_cursor.clone()),
            desired_ids: None,
            ca_cert_pem: s.ca_cert.clone(),
        });
        baselines.push(baseline.is_some());
        docs.push(*s);
    }
    let results = fleet::read_all(requests, concurrency, env).await;
    let mut plans = Vec::new();
    for ((doc, has_baseline), (_, result)) in docs.iter().zip(baselines).zip(results) {
        let Some(site) = &doc.site else { continue };
        let live = match result {
            Ok(l) => l,
            Err(e) => {
                plans.push(error_plan(doc, repo.commit.clone(), &e));
                continue;
            }
        };
        let mut plan = site_plan(&SiteInput {
            site,
            cameras: doc.cameras.iter().map(|c| &c.camera).collect(),
            signers: doc.allowed_signers.as_deref(),
            desired_commit: repo.commit.clone(),
            live: &live.live,
            caps: &live.caps,
            today,
            base: None,
        });
        if !live.caps.has_admin_journal {
            plan.notes.push(format!(
                "the {} product keeps no administration journal: out-of-band changes show only as differences in state",
                site.vms.driver
            ));
        } else if !has_baseline {
            plan.notes.push(
                "no baseline for the VMS journal yet (set by `vmsops import` or the first apply): out-of-band changes are not checked".into(),
            );
        }
        for e in live
            .journal
            .iter()
            .filter(|e| e.request_id.as_ref().is_none_or(|id| !known.contains(id)))
        {
            plan.findings.push(Finding {
                kind: "out-of-band".into(),
                target: e.target.clone(),
                message: format!(
                    "{} by `{}` at {} ({}; VMS journal #{}) was not made by vmsops",
                    e.action, e.user, e.at, e.result, e.seq
                ),
            });
        }
        plans.push(plan);
    }
    Ok(plans)
}

/// True if a site's drift is worth reporting: an operation or a finding.
pub fn has_drift(plan: &SitePlan) -> bool {
    !plan.operations.is_empty() || !plan.findings.is_empty()
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
    }
}
