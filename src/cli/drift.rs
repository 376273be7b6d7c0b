//! `vmsops drift`: differences, findings and out-of-band changes, without the gate.
//!
//! Reads and compares; it never changes a VMS (applying is `vmsops apply`'s job).

use std::path::PathBuf;

use clap::Subcommand;
use vmsops::exit::Exit;
use vmsops::ops::ack::{AckRequest, Acked};
use vmsops::ops::connection::site_at_applied;
use vmsops::ops::drift::{drift_sites, has_drift, DriftInput};
use vmsops::plan::document::PlanDocument;

use schemars::JsonSchema;
use serde::Serialize;

use super::args::{FleetArgs, ResultFormat};
use super::desired::load_valid;
use super::plan::{env, sharded, write, Format};
use super::{output, CmdResult, RepoArgs};

/// Arguments of `vmsops drift`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<DriftCommand>,
    #[command(flatten)]
    repo: RepoArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    fleet: FleetArgs,
}

#[derive(Debug, Subcommand)]
enum DriftCommand {
    /// Accept the VMS as it is now for the out-of-band changes in its journal (nominative, journaled).
    Ack(AckArgs),
}

/// Arguments of `vmsops drift ack`.
#[derive(Debug, clap::Args)]
struct AckArgs {
    /// The site.
    #[arg(long)]
    site: String,
    /// Who answers for the changes (a named person).
    #[arg(long, env = "VMSOPS_OPERATOR", hide_env_values = true)]
    operator: Option<String>,
    /// Why the changes are accepted as they are.
    #[arg(long)]
    reason: String,
    /// The work order or request id.
    #[arg(long, env = "VMSOPS_TICKET", hide_env_values = true)]
    ticket: Option<String>,
    /// The repository whose last applied commit names the site's VMS.
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
    format: ResultFormat,
}

/// The document `drift ack --format json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AckDocument {
    /// Always 1.
    pub format_version: u32,
    /// The site.
    pub site: String,
    /// Whether the changes were acknowledged (false: refused, nothing acknowledged).
    pub acknowledged: bool,
    /// Who answers for them.
    pub operator: String,
    /// Why the acknowledgement was refused (the `nominative` check).
    pub refusal: Option<String>,
    /// The VMS journal entries acknowledged; the baseline moved past them.
    pub entries: Vec<vmsops::model::vms_journal::VmsJournalEntry>,
}

/// `drift ack`: exit 3 for a generic operator (nothing acknowledged), else 0.
fn ack(a: AckArgs, state: &vmsops::ops::StateStore) -> CmdResult {
    let operator = super::snapshot::operator(a.operator).ok_or(
        "an acknowledgement names who answers for it: pass --operator ID or set VMSOPS_OPERATOR",
    )?;
    if a.reason.trim().is_empty() {
        return Err("--reason must say why the changes are accepted".into());
    }
    let at = site_at_applied(&a.repo, state, &a.site)?;
    let env = |k: &str| std::env::var(k).ok();
    let done = super::runtime()?.block_on(vmsops::ops::ack::ack(&AckRequest {
        site: &at,
        repo: &a.repo,
        state,
        operator: &operator,
        reason: a.reason.trim(),
        ticket: a.ticket.as_deref().filter(|t| !t.trim().is_empty()),
        clock: super::clock()?,
        env: &env,
    }))?;
    if a.format == ResultFormat::Json {
        let (refusal, entries) = match done {
            Acked::Refused(why) => (Some(why), Vec::new()),
            Acked::Done(entries) => (None, entries),
        };
        let exit = if refusal.is_some() {
            Exit::Refused
        } else {
            Exit::Success
        };
        output::json(&AckDocument {
            format_version: output::FORMAT_VERSION,
            site: a.site,
            acknowledged: refusal.is_none(),
            operator,
            refusal,
            entries,
        })?;
        return Ok(exit);
    }
    match done {
        Acked::Refused(why) => {
            output::print(&format!(
                "{}: acknowledgement refused; nothing was acknowledged.\n  ✗ nominative: {why}\n",
                a.site
            ))?;
            Ok(Exit::Refused)
        }
        Acked::Done(entries) => {
            let mut out = format!(
                "{}: {} out-of-band change(s) acknowledged by {operator}; the baseline moved past them\n",
                a.site,
                entries.len()
            );
            for e in &entries {
                out.push_str(&format!(
                    "  VMS #{} {} {} by {} at {}\n",
                    e.seq, e.action, e.target, e.user, e.at
                ));
            }
            output::print(&out)?;
            Ok(Exit::Success)
        }
    }
}

/// Computes drift for every selected site and prints it.
pub fn run(args: Args) -> CmdResult {
    if let Some(DriftCommand::Ack(a)) = args.command {
        return ack(a, &args.fleet.state()?);
    }
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
            known: None,
            health: false,
        },
        &sites,
        env(),
    ))?;
    let doc = PlanDocument::new(plans);
    let color = super::color_enabled(&std::io::stdout());
    output::stream(|w| write(&doc, args.format, "drift", color, w))?;
    Ok(if doc.summary.errors > 0 {
        Exit::Error
    } else if doc.sites.iter().any(has_drift) {
        Exit::Differences
    } else {
        Exit::Success
    })
}
