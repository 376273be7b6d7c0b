//! `vmsops drift`: differences, findings and out-of-band changes, without the gate.

use std::collections::HashSet;
use std::path::PathBuf;

use vmsops::exit::Exit;
use vmsops::fleet::{self, SiteRequest};
use vmsops::plan::build::{site_plan, SiteInput};
use vmsops::plan::document::PlanDocument;
use vmsops::plan::Finding;
use vmsops::state::StateDir;

use super::desired::{load_valid, Shard};
use super::plan::{env, error_plan, render, sharded, Format};
use super::{output, CmdResult, RepoArgs};

/// Arguments of `vmsops drift`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    repo: RepoArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Only the sites of shard I of N (stable hash of the site name), e.g. `0/3`.
    #[arg(long)]
    shard: Option<Shard>,
    /// Sites read at the same time.
    #[arg(long, default_value_t = fleet::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// State directory (default: $VMSOPS_STATE_DIR, $XDG_STATE_HOME/vmsops, ~/.local/state/vmsops).
    #[arg(long, env = "VMSOPS_STATE_DIR")]
    state_dir: Option<PathBuf>,
}

/// Computes drift for every selected site and prints it.
pub fn run(args: Args) -> CmdResult {
    let today = super::today()?;
    let (_tree, repo) = load_valid(&args.repo, &args.repo.rev, today)?;
    let state = StateDir::resolve(args.state_dir.as_deref(), &|k| std::env::var(k).ok())?;
    let known: HashSet<String> = state.known_request_ids()?;
    let sites = sharded(&repo.sites, args.shard);
    let mut baselines = Vec::new();
    let mut requests = Vec::new();
    for s in &sites {
        let Some(site) = &s.site else { continue };
        let baseline = state.baseline(&site.name)?;
        requests.push(SiteRequest {
            site: site.name.clone(),
            vms: site.vms.clone(),
            journal_after: baseline.as_ref().map(|b| b.journal_cursor.clone()),
        });
        baselines.push(baseline);
    }
    let rt = tokio::runtime::Runtime::new()?;
    let results = rt.block_on(fleet::read_all(requests, args.concurrency, env()));
    let mut plans = Vec::new();
    for ((doc, baseline), (_, result)) in sites.iter().zip(&baselines).zip(results) {
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
        } else if baseline.is_none() {
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
    let doc = PlanDocument::new(plans);
    output::print(&render(&doc, args.format, "drift")?)?;
    Ok(if doc.summary.errors > 0 {
        Exit::Error
    } else if doc.has_operations() || doc.summary.findings > 0 {
        Exit::Differences
    } else {
        Exit::Success
    })
}
