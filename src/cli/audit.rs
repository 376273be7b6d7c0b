//! `vmsops audit verify|log|review`: the journal's integrity, its content, and the monthly review.
//!
//! Reads the journal and never writes, truncates or repairs it; the review
//! only reads the VMS journals. The verdicts are the library's
//! (`vmsops::audit`): this file gathers, prints and picks the exit code.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use jiff::Timestamp;
use vmsops::audit::review::{review, Month, ReviewInput};
use vmsops::audit::{anchors_from_state, render, Entry, Journal};
use vmsops::desired::{self, Tree};
use vmsops::exit::Exit;
use vmsops::ops::review::gather_facts;
use vmsops::state::StateStore;

use schemars::JsonSchema;
use serde::Serialize;

use super::args::{ResultFormat, StateArgs};
use super::{output, CmdResult};

/// Arguments of `vmsops audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
    #[command(flatten)]
    state: StateArgs,
}

/// The `audit` subcommands.
#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Re-walk the journal's hash chain and check it against its anchors: exit 0, or 1 naming the break.
    Verify {
        /// Also check the anchors in this repository's `refs/notes/vmsops` (one per apply).
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
        format: ResultFormat,
    },
    /// Print journal entries.
    Log(LogArgs),
    /// List what the monthly review must look into (PROC-VMS-001 §04); exit 2 if anything.
    Review(ReviewArgs),
}

/// Output formats of `audit log`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    /// One line per entry.
    Text,
    /// An array of the entries, as journaled.
    Json,
}

/// Arguments of `vmsops audit log`.
#[derive(Debug, clap::Args)]
struct LogArgs {
    /// Only this site's entries.
    #[arg(long)]
    site: Option<String>,
    /// Only entries at or after this date (YYYY-MM-DD, UTC) or time (RFC 3339).
    #[arg(long, value_parser = parse_since)]
    since: Option<Timestamp>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    format: LogFormat,
}

/// Output formats of `audit review`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReviewFormat {
    /// For a terminal.
    Text,
    /// The review as JSON.
    Json,
    /// For a ticket, a wiki page or a PR comment.
    Markdown,
}

/// Arguments of `vmsops audit review`.
#[derive(Debug, clap::Args)]
struct ReviewArgs {
    /// The month to review, YYYY-MM (UTC).
    #[arg(long)]
    month: Month,
    /// The repository holding the sites (generic identities and VMS connections).
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// Only this site.
    #[arg(long)]
    site: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
    format: ReviewFormat,
}

/// `--since`: a date (midnight UTC) or an RFC 3339 time.
fn parse_since(s: &str) -> Result<Timestamp, String> {
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string());
    }
    s.parse::<Timestamp>().map_err(|_| {
        format!(
            "`{s}` is not a date: write YYYY-MM-DD or an RFC 3339 time like 2026-11-27T12:00:00Z"
        )
    })
}

/// Runs an `audit` subcommand.
pub fn run(args: Args) -> CmdResult {
    let state = args.state.open()?;
    match args.command {
        AuditCommand::Verify { repo, format } => verify(&state, repo.as_deref(), format),
        AuditCommand::Log(a) => log(a, &state),
        AuditCommand::Review(a) => review_cmd(a, &state),
    }
}

/// The document `audit verify --format json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifyDocument {
    /// Always 1.
    pub format_version: u32,
    /// The journal checked (a file, or the PostgreSQL store without its password).
    pub journal: String,
    /// Whether the whole chain holds, up to every anchor.
    pub intact: bool,
    /// Intact entries before the first break (all of them when intact).
    pub entries: u64,
    /// The hash of the last intact entry.
    pub last_hash: Option<String>,
    /// The first break, when there is one.
    pub broken: Option<BreakJson>,
}

/// Where and how the chain breaks.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BreakJson {
    /// 1-based line of the journal.
    pub line: usize,
    /// The `seq` that line claims, when it could be read.
    pub seq: Option<u64>,
    /// What is wrong (`kind`, and the fields that go with it).
    #[serde(flatten)]
    pub kind: vmsops::audit::verify::BreakKind,
    /// The same, in words.
    pub message: String,
}

/// `audit verify`: the chain against the anchors; exit 1 at the first break.
fn verify(state: &StateStore, repo: Option<&std::path::Path>, format: ResultFormat) -> CmdResult {
    let journal = Journal::open(state);
    let mut anchors = anchors_from_state(state)?;
    if let Some(dir) = repo {
        let notes = vmsops::git::notes::journal_anchors(dir).map_err(|e| {
            format!(
                "cannot read the notes refs/notes/vmsops of {}: {e}",
                dir.display()
            )
        })?;
        anchors.extend(
            notes
                .into_iter()
                .map(|(commit, seq, hash)| vmsops::audit::Anchor {
                    seq,
                    hash: Some(hash),
                    what: format!("the git note on {}", vmsops::model::short_id(&commit)),
                }),
        );
    }
    let report = journal.verify_against(&anchors)?;
    let path = journal.location();
    if format == ResultFormat::Json {
        output::json(&VerifyDocument {
            format_version: output::FORMAT_VERSION,
            journal: path.to_string(),
            intact: report.broken.is_none(),
            entries: report.entries,
            last_hash: report.last_hash.clone(),
            broken: report.broken.as_ref().map(|b| BreakJson {
                line: b.line,
                seq: b.seq,
                kind: b.kind.clone(),
                message: b.to_string(),
            }),
        })?;
        return Ok(if report.broken.is_none() {
            Exit::Success
        } else {
            Exit::Error
        });
    }
    match &report.broken {
        None if report.entries == 0 => {
            output::print(&format!("{path}: no entries yet\n"))?;
            Ok(Exit::Success)
        }
        None => {
            output::print(&format!(
                "{path}: {} entr{}, hash chain intact (last hash {})\n",
                report.entries,
                if report.entries == 1 { "y" } else { "ies" },
                report.last_hash.as_deref().unwrap_or("-")
            ))?;
            Ok(Exit::Success)
        }
        Some(b) => {
            output::print(&format!(
                "{path}: BROKEN: {b}\n  the {} entr{} before it {} intact; keep a copy of the file and investigate (vmsops never rewrites the journal)\n",
                report.entries,
                if report.entries == 1 { "y" } else { "ies" },
                if report.entries == 1 { "is" } else { "are" }
            ))?;
            Ok(Exit::Error)
        }
    }
}

/// The entries that can be read, and the error that stopped the reading, if any.
fn read_entries(
    journal: &Journal,
) -> Result<(Vec<Entry>, Option<String>), vmsops::audit::AuditError> {
    let mut entries = Vec::new();
    for e in journal.entries()? {
        match e {
            Ok(e) => entries.push(e),
            Err(err) => return Ok((entries, Some(vmsops::error_chain(&err)))),
        }
    }
    Ok((entries, None))
}

/// `audit log`: the entries that can be read, filtered; exit 1 if a line stopped the reading.
fn log(args: LogArgs, state: &StateStore) -> CmdResult {
    let (entries, stopped) = read_entries(&Journal::open(state))?;
    let shown: Vec<Entry> = entries
        .into_iter()
        .filter(|e| args.site.is_none() || e.site == args.site)
        .filter(|e| args.since.is_none_or(|s| e.at >= s))
        .collect();
    let text = match args.format {
        LogFormat::Text => render::log_text(&shown),
        LogFormat::Json => serde_json::to_string_pretty(&shown)? + "\n",
    };
    output::print(&text)?;
    match stopped {
        Some(why) => {
            let _ = writeln!(std::io::stderr(), "error: {why}");
            Ok(Exit::Error)
        }
        None => Ok(Exit::Success),
    }
}

/// `audit review`: exit 1 when the review is incomplete, 2 when there is anything to look into.
fn review_cmd(args: ReviewArgs, state: &StateStore) -> CmdResult {
    let journal = Journal::open(state);
    let report = journal.verify_against(&anchors_from_state(state)?)?;
    let (entries, _) = read_entries(&journal)?;
    let known = state.known_request_ids()?;
    let sites = sites_to_review(&args, &entries)?;
    let shown: Vec<Entry> = entries
        .into_iter()
        .filter(|e| args.site.is_none() || e.site == args.site)
        .collect();
    let env = |k: &str| std::env::var(k).ok();
    let facts = super::runtime()?.block_on(gather_facts(&args.repo, state, &sites, &env))?;
    let result = review(&ReviewInput {
        month: args.month,
        entries: &shown,
        journal_break: report.broken.as_ref().map(|b| b.to_string()),
        known_request_ids: &known,
        sites: &facts,
    });
    let text = match args.format {
        ReviewFormat::Text => render::review_text(&result),
        ReviewFormat::Json => serde_json::to_string_pretty(&result)? + "\n",
        ReviewFormat::Markdown => render::review_markdown(&result),
    };
    output::print(&text)?;
    Ok(if !result.errors.is_empty() {
        Exit::Error
    } else if result.anomalies() > 0 {
        Exit::Differences
    } else {
        Exit::Success
    })
}

/// `--site`, else every site of the repository at HEAD plus those the journal
/// shows were acted on this month; sorted, each once.
fn sites_to_review(
    args: &ReviewArgs,
    entries: &[Entry],
) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    let mut sites: Vec<String> = match &args.site {
        Some(s) => vec![s.clone()],
        None => {
            let tree = Tree::open(&args.repo, "HEAD")?;
            let mut names: Vec<String> = desired::load(&tree, "HEAD", None)?
                .all_sites
                .into_iter()
                .map(|(name, _)| name)
                .collect();
            // Sites that were acted on this month but are no longer in the repository.
            names.extend(
                entries
                    .iter()
                    .filter(|e| args.month.contains(e.at))
                    .filter_map(|e| e.site.clone()),
            );
            names
        }
    };
    sites.sort();
    sites.dedup();
    Ok(sites)
}
