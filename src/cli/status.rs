//! `vmsops status`: every live camera's health now, per site.

use clap::ValueEnum;
use schemars::JsonSchema;
use serde::Serialize;
use vmsops::exit::Exit;
use vmsops::model::Health;
use vmsops::ops::fleet;
use vmsops::ops::status::{fleet_health, SiteHealth};

use super::desired::load_valid;
use super::plan::{env, sharded};
use super::{output, CmdResult, RepoArgs};

/// Arguments of `vmsops status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    repo: RepoArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    format: StatusFormat,
    /// Sites read at the same time.
    #[arg(long, default_value_t = fleet::DEFAULT_CONCURRENCY)]
    concurrency: usize,
}

/// Output formats of `status`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum StatusFormat {
    /// One line per camera.
    Text,
    /// `{"format_version":1,"sites":[…]}`.
    Json,
}

/// The document `status --format json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StatusDocument<'a> {
    /// Always 1.
    pub format_version: u32,
    /// Each site's cameras, or why they could not be read.
    pub sites: &'a [SiteHealth],
}

/// Reads every selected site's cameras' health and prints it.
pub fn run(args: Args) -> CmdResult {
    let today = super::today()?;
    let (_tree, repo) = load_valid(&args.repo, &args.repo.rev, today)?;
    let sites = sharded(&repo.sites, None);
    let report = super::runtime()?.block_on(fleet_health(&sites, args.concurrency, env()));
    let text = match args.format {
        StatusFormat::Json => {
            serde_json::to_string_pretty(&StatusDocument {
                format_version: output::FORMAT_VERSION,
                sites: &report,
            })? + "\n"
        }
        StatusFormat::Text => render(&report),
    };
    output::print(&text)?;
    Ok(if report.iter().any(|s| s.error.is_some()) {
        Exit::Error
    } else if report
        .iter()
        .flat_map(|s| &s.cameras)
        .any(|c| c.health.needs_attention())
    {
        Exit::Differences
    } else {
        Exit::Success
    })
}

/// One block per site: each camera's health, then the counts.
fn render(report: &[SiteHealth]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for s in report {
        let site = vmsops::safe_text::terminal(&s.site);
        if let Some(e) = &s.error {
            let _ = writeln!(out, "{site}: error: {}\n", vmsops::safe_text::terminal(e));
            continue;
        }
        let _ = writeln!(out, "{site}: {} camera(s)", s.cameras.len());
        for c in &s.cameras {
            let fps = c.fps.map_or(String::new(), |f| format!(" {f:.0} fps"));
            let rec = match c.recording {
                Some(true) => ", recording",
                _ => "",
            };
            let why = c.reason.as_deref().map_or(String::new(), |r| {
                format!(" — {}", vmsops::safe_text::terminal(r))
            });
            let _ = writeln!(
                out,
                "  {:<11} {}{fps}{rec}{why}",
                c.health.as_str(),
                vmsops::safe_text::terminal(&c.id)
            );
        }
        let counts: Vec<String> = [
            Health::Healthy,
            Health::Progressing,
            Health::Degraded,
            Health::Disabled,
            Health::Unknown,
        ]
        .iter()
        .map(|h| (h, s.cameras.iter().filter(|c| c.health == *h).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(h, n)| format!("{n} {}", h.as_str()))
        .collect();
        let _ = writeln!(out, "  ({})\n", counts.join(", "));
    }
    out
}
