//! The facts of the monthly review that live outside the journal: each site's
//! generic identities and its VMS's own journal since the baseline.
//!
//! VMS journals are read concurrently, at most [`JOURNAL_READS`] at a time; a
//! site whose VMS cannot be read is reported as such, never dropped.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::blocking::blocking;
use super::connection::site_at_applied;
use super::fleet;
use super::vms_journal as gather;
use crate::audit::review::{SiteFacts, VmsJournal};
use crate::driver::Vms;
use crate::state::{Baseline, StateError, StateStore};

/// Why the review's facts could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum GatherError {
    /// The state store could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// A journal read panicked or was cancelled.
    #[error("reading a VMS journal failed")]
    Task(#[source] tokio::task::JoinError),
}

/// VMS journals read at the same time by `audit review` (it has no option for it).
pub const JOURNAL_READS: usize = fleet::DEFAULT_CONCURRENCY;

/// A site's VMS journal, still to be read.
struct JournalRead {
    driver: Box<dyn Vms>,
    driver_name: String,
    baseline: Option<Baseline>,
}

/// One [`SiteFacts`] per site, in `sites` order: what could be learnt without
/// the network at once, then the VMS journals, [`JOURNAL_READS`] at a time.
pub async fn gather_facts(
    repo: &Path,
    state: &StateStore,
    sites: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<SiteFacts>, GatherError> {
    let mut facts = Vec::with_capacity(sites.len());
    let mut reads = Vec::new();
    for site in sites {
        let (site_facts, read) = blocking(|| site_facts(repo, state, site, env))?;
        if let Some(read) = read {
            reads.push((facts.len(), read));
        }
        facts.push(site_facts);
    }
    for r in read_journals(reads, JOURNAL_READS).await {
        let (index, vms) = r.map_err(GatherError::Task)?;
        facts[index].vms = vms;
    }
    Ok(facts)
}

/// A site's facts as far as its configuration and connection go, and the
/// journal read still to do when there is one.
fn site_facts(
    repo: &Path,
    state: &StateStore,
    site: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(SiteFacts, Option<JournalRead>), StateError> {
    let at = match site_at_applied(repo, state, site) {
        Ok(at) => at,
        Err(e) => {
            let facts = SiteFacts {
                site: site.to_string(),
                generic_identities: crate::model::procedure::default_generic_identities(),
                vms: VmsJournal::NotChecked {
                    reason: format!(
                        "its configuration cannot be read ({}); the default generic identities were used",
                        crate::error_chain(&e)
                    ),
                },
            };
            return Ok((facts, None));
        }
    };
    let mut facts = SiteFacts {
        site: site.to_string(),
        generic_identities: at.site.policy.generic_identities.clone(),
        vms: VmsJournal::NotChecked {
            reason: "not read yet".into(),
        },
    };
    let baseline = state.baseline(site)?;
    match at.connect(env) {
        Ok(driver) => {
            let read = JournalRead {
                driver,
                driver_name: at.site.vms.driver.clone(),
                baseline,
            };
            Ok((facts, Some(read)))
        }
        Err(e) => {
            facts.vms = VmsJournal::Unavailable {
                reason: crate::error_chain(&e),
            };
            Ok((facts, None))
        }
    }
}

/// Reads the journals, at most `limit` at a time, each in its own task so that
/// one that panics is reported rather than taking the review down; returns each
/// with the index it came with, in no particular order.
async fn read_journals(
    reads: Vec<(usize, JournalRead)>,
    limit: usize,
) -> Vec<Result<(usize, VmsJournal), tokio::task::JoinError>> {
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, read) in reads {
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let vms = gather::vms_journal(
                read.driver.as_ref(),
                &read.driver_name,
                read.baseline.as_ref(),
            )
            .await;
            (index, vms)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        out.push(r);
    }
    out
}

/// Why a monthly review could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The journal or its anchors could not be read.
    #[error(transparent)]
    Chain(#[from] super::anchors::AnchorError),
    /// The journal could not be read.
    #[error(transparent)]
    Journal(#[from] crate::audit::AuditError),
    /// The state store could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// The repository's sites could not be listed.
    #[error(transparent)]
    Desired(#[from] crate::desired::LoadError),
    /// The VMS journals could not be gathered.
    #[error(transparent)]
    Gather(#[from] GatherError),
}

/// What a monthly review covers.
pub struct ReviewRequest<'a> {
    /// The month.
    pub month: crate::audit::Month,
    /// The repository holding the sites (generic identities, VMS connections).
    pub repo: &'a Path,
    /// Only this site.
    pub site: Option<&'a str>,
    /// Environment lookup (credentials).
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// The monthly review (PROC-VMS-001 §04): the chain checked, the journal read, each site's
/// VMS journal gathered, then the pure review over them.
pub async fn monthly_review(
    state: &StateStore,
    req: &ReviewRequest<'_>,
) -> Result<crate::audit::Review, ReviewError> {
    let chain = super::audit::verify_chain(state, None)?;
    let (entries, _) = super::audit::readable_entries(state)?;
    let known = blocking(|| state.known_request_ids())?;
    let sites = blocking(|| sites_to_review(req, &entries))?;
    let shown: Vec<crate::audit::Entry> = entries
        .into_iter()
        .filter(|e| req.site.is_none() || e.site.as_deref() == req.site)
        .collect();
    let facts = gather_facts(req.repo, state, &sites, req.env).await?;
    Ok(crate::audit::review(&crate::audit::ReviewInput {
        month: req.month,
        entries: &shown,
        journal_break: chain.report.broken.as_ref().map(|b| b.to_string()),
        known_request_ids: &known,
        sites: &facts,
    }))
}

/// `--site`, else every site of the repository at HEAD plus those the journal
/// shows were acted on this month; sorted, each once.
fn sites_to_review(
    req: &ReviewRequest<'_>,
    entries: &[crate::audit::Entry],
) -> Result<Vec<String>, crate::desired::LoadError> {
    let mut sites: Vec<String> = match req.site {
        Some(s) => vec![s.to_string()],
        None => {
            let tree = crate::desired::Tree::open(req.repo, "HEAD")?;
            let mut names: Vec<String> = crate::desired::load(&tree, "HEAD", None)?
                .all_sites
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            // Sites that were acted on this month but are no longer in the repository.
            names.extend(
                entries
                    .iter()
                    .filter(|e| req.month.contains(e.at))
                    .filter_map(|e| e.site.clone()),
            );
            names
        }
    };
    sites.sort();
    sites.dedup();
    Ok(sites)
}
