//! `vmsops plan`: what would change, per site, with the reasons git gives.

use std::path::PathBuf;
use std::sync::Arc;

use clap::ValueEnum;
use vmsops::desired::history::commits_between;
use vmsops::desired::{self, SiteDoc, Tree};
use vmsops::exit::Exit;
use vmsops::fleet::{self, SiteRequest};
use vmsops::plan::build::{site_plan, Base, SiteInput};
use vmsops::plan::document::{CommitInfo, GitChanges, PlanDocument};
use vmsops::plan::style::Style;
use vmsops::plan::{markdown, text};

use super::desired::{load_valid, Shard};
use super::{output, CmdResult, RepoArgs};

/// Arguments of `vmsops plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    repo: RepoArgs,
    /// Compare with this revision too: list the commits base..rev and any policy change.
    #[arg(long)]
    base: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Save the plan (with the desired commit and the live fingerprint) for `apply PLAN.json`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Exit 2 when there are changes (0: none, 1: error).
    #[arg(long)]
    detailed_exitcode: bool,
    /// Only the sites of shard I of N (stable hash of the site name), e.g. `0/3`.
    #[arg(long)]
    shard: Option<Shard>,
    /// Sites read at the same time.
    #[arg(long, default_value_t = fleet::DEFAULT_CONCURRENCY)]
    concurrency: usize,
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

/// Renders a plan document in `format`.
pub fn render(
    doc: &PlanDocument,
    format: Format,
    title: &str,
) -> Result<String, serde_json::Error> {
    Ok(match format {
        Format::Text => text::render(
            doc,
            Style {
                color: super::color_enabled(&std::io::stdout()),
            },
        ),
        Format::Json => serde_json::to_string_pretty(doc)? + "\n",
        Format::Markdown => markdown::render(doc, title),
    })
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
    let today = super::today()?;
    let (tree, repo) = load_valid(&args.repo, &args.repo.rev, today)?;
    let base = match &args.base {
        Some(b) => {
            let base_tree = Tree::open(&args.repo.repo, b)?;
            let base_repo = desired::load(&base_tree, b, None)?;
            Some((base_tree, base_repo))
        }
        None => None,
    };
    let sites = sharded(&repo.sites, args.shard);
    let requests = sites
        .iter()
        .filter_map(|s| {
            s.site.as_ref().map(|site| SiteRequest {
                site: site.name.clone(),
                vms: site.vms.clone(),
                journal_after: None,
            })
        })
        .collect();
    let rt = tokio::runtime::Runtime::new()?;
    let results = rt.block_on(fleet::read_all(requests, args.concurrency, env()));
    let git = match (&base, tree.git()) {
        (Some((base_tree, _)), Some((git_repo, rev))) => match base_tree.git() {
            Some((_, base_oid)) => Some(GitChanges {
                base: base_oid.to_string(),
                commits: commits_between(git_repo, base_oid, rev)?
                    .into_iter()
                    .map(|c| CommitInfo {
                        id: c.id,
                        summary: c.summary,
                        author: c.author_name,
                        email: c.author_email,
                        tickets: c.tickets,
                    })
                    .collect(),
            }),
            None => None,
        },
        _ => None,
    };
    let mut plans = Vec::new();
    for (doc, (_, result)) in sites.iter().zip(results) {
        let Some(site) = &doc.site else { continue };
        let base_doc = base
            .as_ref()
            .and_then(|(_, r)| r.sites.iter().find(|s| s.name() == site.name));
        plans.push(match result {
            Ok(live) => site_plan(&SiteInput {
                site,
                cameras: doc.cameras.iter().map(|c| &c.camera).collect(),
                signers: doc.allowed_signers.as_deref(),
                desired_commit: repo.commit.clone(),
                live: &live.live,
                caps: &live.caps,
                today,
                base: base_doc.and_then(|b| {
                    b.site.as_ref().map(|bs| Base {
                        site: bs,
                        signers: b.allowed_signers.as_deref(),
                        git: git.clone().unwrap_or(GitChanges {
                            base: args.base.clone().unwrap_or_default(),
                            commits: Vec::new(),
                        }),
                    })
                }),
            }),
            Err(e) => vmsops::drift::error_plan(doc, repo.commit.clone(), &e),
        });
    }
    let doc = PlanDocument::new(plans);
    if let Some(path) = &args.out {
        let mut json = serde_json::to_vec_pretty(&doc)?;
        json.push(b'\n');
        vmsops::atomic::write_atomic(path, &json)?;
    }
    output::print(&render(&doc, args.format, "plan")?)?;
    Ok(if doc.summary.errors > 0 {
        Exit::Error
    } else if args.detailed_exitcode && doc.has_operations() {
        Exit::Differences
    } else {
        Exit::Success
    })
}
