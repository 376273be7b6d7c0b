//! `vmsops drift`: differences, findings and out-of-band changes, without the gate.
//!
//! Reads and compares; it never changes a VMS (applying is `vmsops apply`'s job).

use vmsops::exit::Exit;
use vmsops::ops::drift::{drift_sites, has_drift, DriftInput};
use vmsops::plan::document::PlanDocument;

use super::args::FleetArgs;
use super::desired::load_valid;
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
    #[command(flatten)]
    fleet: FleetArgs,
}

/// Computes drift for every selected site and prints it.
pub fn run(args: Args) -> CmdResult {
    let today = super::today()?;
    let (_tree, repo) = load_valid(&args.repo, &args.repo.rev, today)?;
    let state = args.fleet.state()?;
    let sites = sharded(&repo.sites, args.fleet.shard);
    let rt = super::runtime()?;
    let plans = rt.block_on(drift_sites(
        &DriftInput {
            repo_dir: &args.repo.repo,
            repo: &repo,
            state: &state,
            today,
            concurrency: args.fleet.concurrency,
        },
        &sites,
        env(),
    ))?;
    let doc = PlanDocument::new(plans);
    output::print(&render(&doc, args.format, "drift")?)?;
    Ok(if doc.summary.errors > 0 {
        Exit::Error
    } else if doc.sites.iter().any(has_drift) {
        Exit::Differences
    } else {
        Exit::Success
    })
}
