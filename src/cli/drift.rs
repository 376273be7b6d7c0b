//! `vmsops drift`: differences, findings and out-of-band changes, without the gate.

use std::path::PathBuf;

use vmsops::exit::Exit;
use vmsops::ops::drift::drift_sites;
use vmsops::ops::fleet;
use vmsops::plan::document::PlanDocument;
use vmsops::state::StateDir;

use super::desired::{load_valid, Shard};
use super::plan::{env, render, sharded, Format};
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
    let sites = sharded(&repo.sites, args.shard);
    let rt = tokio::runtime::Runtime::new()?;
    let plans = rt.block_on(drift_sites(
        &repo,
        &sites,
        &state,
        today,
        args.concurrency,
        env(),
    ))?;
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
