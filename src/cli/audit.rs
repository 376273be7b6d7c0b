//! `vmsops audit verify|log|review`: the journal's integrity, its content, and the monthly review.
//!
//! Reads the journal and never writes, truncates or repairs it; the review
//! only reads the VMS journals. The verdicts are the library's
//! (`vmsops::audit`): this file gathers, prints and picks the exit code.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use jiff::Timestamp;
use vmsops::audit::review::Month;
use vmsops::audit::{render, Entry};
use vmsops::exit::Exit;
use vmsops::ops::review::{monthly_review, ReviewRequest};
use vmsops::ops::StateStore;

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
    /// The anchors checked (the journal head recorded beside it, each site's applied
    /// record and, with `--repo`, the git notes), each with whether the chain honours it.
    pub anchors: Vec<vmsops::audit::AnchorCheck>,
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
    let check = vmsops::ops::audit::verify_chain(state, repo)?;
    let report = &check.report;
    let path = check.journal.as_str();
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
            anchors: report.anchors.clone(),
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
                "{path}: {} entr{}, hash chain intact (last hash {})\n{}",
                report.entries,
                if report.entries == 1 { "y" } else { "ies" },
                report.last_hash.as_deref().unwrap_or("-"),
                anchors_text(&report.anchors)
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

/// `audit log`: the entries that can be read, filtered; exit 1 if a line stopped the reading.
fn log(args: LogArgs, state: &StateStore) -> CmdResult {
    let (entries, stopped) = vmsops::ops::audit::readable_entries(state)?;
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
    let env = |k: &str| std::env::var(k).ok();
    let result = super::runtime()?.block_on(monthly_review(
        state,
        &ReviewRequest {
            month: args.month,
            repo: &args.repo,
            site: args.site.as_deref(),
            env: &env,
        },
    ))?;
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

/// The anchors checked, one line each: where, which entry, whether it matched.
fn anchors_text(anchors: &[vmsops::audit::AnchorCheck]) -> String {
    use std::fmt::Write as _;
    if anchors.is_empty() {
        return "anchors: none recorded yet\n".to_string();
    }
    let matched = anchors.iter().filter(|a| a.matched).count();
    let mut out = format!("anchors: {matched} of {} matched\n", anchors.len());
    for a in anchors {
        let _ = writeln!(
            out,
            "  {} #{} {} ({})",
            if a.matched { "✓" } else { "✗" },
            a.anchor.seq,
            vmsops::safe_text::terminal(&a.anchor.what),
            match a.anchor.kind {
                vmsops::audit::AnchorKind::Head => "head",
                vmsops::audit::AnchorKind::Applied => "applied record",
                vmsops::audit::AnchorKind::Note => "git note",
            }
        );
    }
    out
}
