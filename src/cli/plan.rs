//! `vmsops plan`: what would change, per site, with the gate's verdict on each operation.

use std::path::PathBuf;
use std::sync::Arc;

use clap::ValueEnum;
use vmsops::desired::SiteDoc;
use vmsops::exit::Exit;
use vmsops::ops::fleet::{self};
use vmsops::ops::plan::{plan_sites, PlanSites};
use vmsops::plan::document::PlanDocument;
use vmsops::plan::style::Style;
use vmsops::plan::{markdown, text};

use super::args::StateArgs;
use super::desired::{load_valid, Shard};
use super::{output, stdio, CmdResult, RepoArgs};

/// Arguments of `vmsops plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    repo: RepoArgs,
    /// The trusted base: its policy judges the change, and its commits..rev are listed (default: the last commit applied to each site).
    #[arg(long)]
    base: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Save the plan (with the desired commit and the live fingerprint) for `apply PLAN.json`; `-`: to stdout, the rendering then goes to stderr.
    #[arg(long, value_name = "PLAN.json")]
    out: Option<PathBuf>,
    /// The work order or request id that justifies the change (else a `Ticket:` trailer).
    #[arg(long, env = "VMSOPS_TICKET", hide_env_values = true)]
    ticket: Option<String>,
    /// Exit 2 when there are changes (0: none, 1: error).
    #[arg(long)]
    detailed_exitcode: bool,
    /// Only the sites of shard I of N (stable hash of the site name), e.g. `0/3`.
    #[arg(long)]
    shard: Option<Shard>,
    /// Sites read at the same time.
    #[arg(long, default_value_t = fleet::DEFAULT_CONCURRENCY)]
    concurrency: usize,
    #[command(flatten)]
    state: StateArgs,
}

/// Output formats of plan and drift.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// Terraform-like text.
    Text,
    /// The stable JSON document.
    Json,
    /// For a pull-request comment.
    Markdown,
}

/// Writes a plan document in `format` to `w`, streamed: never the whole rendering in memory.
///
/// `color` only matters for text: whether the stream it goes to is a terminal.
pub fn write(
    doc: &PlanDocument,
    format: Format,
    title: &str,
    color: bool,
    w: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Text => text::render_to(doc, Style { color }, w),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, doc)?;
            w.write_all(b"\n")
        }
        Format::Markdown => w.write_all(markdown::render(doc, title).as_bytes()),
    }
}

/// The sites of `repo` in `shard`.
pub fn sharded(sites: &[SiteDoc], shard: Option<Shard>) -> Vec<&SiteDoc> {
    sites
        .iter()
        .filter(|s| shard.is_none_or(|sh| fleet::in_shard(s.name(), sh.index, sh.count)))
        .collect()
}

/// The process environment, shared with the site tasks.
pub fn env() -> fleet::Env {
    Arc::new(|k: &str| std::env::var(k).ok())
}

/// Computes and prints the plan.
pub fn run(args: Args) -> CmdResult {
    let now = super::now()?;
    let today = super::today()?;
    let (tree, repo) = load_valid(&args.repo, &args.repo.rev, today)?;
    let state = args.state.open()?;
    let sites = sharded(&repo.sites, args.shard);
    let plans = super::runtime()?.block_on(plan_sites(
        &PlanSites {
            repo_dir: &args.repo.repo,
            tree: &tree,
            repo: &repo,
            sites: &sites,
            base: args.base.as_deref(),
            state: &state,
            ticket: args.ticket.as_deref(),
            concurrency: args.concurrency,
            now,
            today,
        },
        env(),
    ))?;
    let doc = PlanDocument::new(plans);
    match args.out.as_deref() {
        // stdout holds only the saved plan, so that `plan --out - | apply -` works.
        Some(out) if stdio::is_dash(out) => {
            let color = super::color_enabled(&std::io::stderr());
            write(
                &doc,
                args.format,
                "plan",
                color,
                &mut std::io::stderr().lock(),
            )?;
            output::stream(|w| write(&doc, Format::Json, "plan", false, w))?;
        }
        out => {
            if let Some(path) = out {
                vmsops::ops::write_atomic_with(path, |w| {
                    write(&doc, Format::Json, "plan", false, w)
                })?;
            }
            let color = super::color_enabled(&std::io::stdout());
            output::stream(|w| write(&doc, args.format, "plan", color, w))?;
        }
    }
    Ok(if doc.summary.errors > 0 {
        Exit::Error
    } else if args.detailed_exitcode && doc.has_operations() {
        Exit::Differences
    } else {
        Exit::Success
    })
}
