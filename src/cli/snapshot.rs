//! `vmsops snapshot create|list|show|prune`: configuration snapshots (PROC-VMS-001 §03).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use serde_json::Value;
use vmsops::exit::Exit;
use vmsops::ops::connection::site_at_applied;
use vmsops::ops::snapshot::{CreateRequest, Created};
use vmsops::ops::StateStore;
use vmsops::safe_text::terminal;

use super::args::{ResultFormat, StateArgs};
use super::snapshot_json::{PruneDocument, SnapshotDocument};
use super::{output, CmdResult};

/// Arguments of `vmsops snapshot`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SnapshotCommand,
    #[command(flatten)]
    state: StateArgs,
}

#[derive(Debug, Subcommand)]
enum SnapshotCommand {
    /// Export a site's live configuration into a new snapshot, and journal it.
    Create(CreateArgs),
    /// List snapshots, oldest first.
    List(ListArgs),
    /// Show a snapshot's metadata and what its export holds (verifies its sha256).
    Show(ShowArgs),
    /// Remove snapshots older than a duration; never one inside its retention.
    Prune(PruneArgs),
}

/// Arguments of `vmsops snapshot create`.
#[derive(Debug, clap::Args)]
struct CreateArgs {
    /// The site whose VMS is exported.
    #[arg(long)]
    site: String,
    /// Who takes the snapshot (a named person); default: $VMSOPS_OPERATOR.
    #[arg(long)]
    operator: Option<String>,
    /// Why, recorded in the snapshot and the journal.
    #[arg(long)]
    reason: Option<String>,
    /// The repository holding the site; its connection is read at the last applied commit.
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
    format: ResultFormat,
}

/// Output formats of `snapshot list`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    /// A table.
    Text,
    /// An array of {"id","site","taken_at","operator","reason","commit","sha256"}.
    Json,
}

/// Arguments of `vmsops snapshot list`.
#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Only this site's snapshots.
    #[arg(long)]
    site: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
}

/// Arguments of `vmsops snapshot show`.
#[derive(Debug, clap::Args)]
struct ShowArgs {
    /// The snapshot id, as `snapshot list` shows it.
    id: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
    format: ResultFormat,
}

/// Arguments of `vmsops snapshot prune`.
#[derive(Debug, clap::Args)]
struct PruneArgs {
    /// Remove snapshots taken longer ago than this (e.g. 200d); retention still applies.
    #[arg(long, value_parser = vmsops::duration::parse_duration)]
    older_than: Duration,
    /// Only this site's snapshots.
    #[arg(long)]
    site: Option<String>,
    /// Who prunes, for the journal; default: $VMSOPS_OPERATOR.
    #[arg(long)]
    operator: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
    format: ResultFormat,
}

/// Runs a `snapshot` subcommand.
pub fn run(args: Args) -> CmdResult {
    let _env = |k: &str| std::env::var(k).ok();
    let state = args.state.open()?;
    match args.command {
        SnapshotCommand::Create(a) => create(a, &state),
        SnapshotCommand::List(a) => list(a, &state),
        SnapshotCommand::Show(a) => show(a, &state),
        SnapshotCommand::Prune(a) => prune(a, &state),
    }
}

/// `--operator`, else `$VMSOPS_OPERATOR`, non-empty.
pub fn operator(flag: Option<String>) -> Option<String> {
    flag.or_else(|| std::env::var("VMSOPS_OPERATOR").ok())
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
}

fn create(args: CreateArgs, state: &StateStore) -> CmdResult {
    let operator = operator(args.operator).ok_or(
        "a snapshot names who took it: pass --operator ID or set VMSOPS_OPERATOR (PROC-VMS-001 §03)",
    )?;
    let now = super::now()?.round(jiff::Unit::Millisecond)?;
    // A journal that cannot take the entry stops everything before the VMS is even read.
    vmsops::ops::snapshot::journal_ready(state)?;
    let at = site_at_applied(&args.repo, state, &args.site)?;
    if at.fell_back {
        let _ = writeln!(
            std::io::stderr(),
            "note: no apply recorded for site {} in {}: using its configuration at HEAD ({})",
            args.site,
            state.display(),
            at.commit.as_deref().unwrap_or("?")
        );
    }
    let env = |k: &str| std::env::var(k).ok();
    let Created { info, meta, export } =
        super::runtime()?.block_on(vmsops::ops::snapshot::create(&CreateRequest {
            at: &at,
            state,
            operator: &operator,
            reason: args.reason,
            now,
            env: &env,
        }))?;
    if args.format == ResultFormat::Json {
        output::json(&SnapshotDocument::new(
            &info.id,
            &info.path,
            &info.sha256,
            &meta,
            &export,
        ))?;
        return Ok(Exit::Success);
    }
    let mut out = format!("snapshot {} of {} taken\n", info.id, info.site);
    let _ = writeln!(out, "  file:     {}", info.path.display());
    let _ = writeln!(out, "  sha256:   {}", info.sha256);
    let _ = writeln!(
        out,
        "  kept at least until {} ({} days)",
        meta.keep_until(),
        meta.retention_days()
    );
    out.push_str(&export_summary(&export));
    output::print(&out)?;
    Ok(Exit::Success)
}

fn list(args: ListArgs, state: &StateStore) -> CmdResult {
    let snapshots = vmsops::ops::snapshot::list(state, args.site.as_deref())?;
    let text = match args.format {
        ListFormat::Json => serde_json::to_string_pretty(&snapshots)? + "\n",
        ListFormat::Text if snapshots.is_empty() => "No snapshots.\n".to_string(),
        ListFormat::Text => {
            let rows: Vec<[String; 6]> = snapshots
                .iter()
                .map(|s| {
                    // Operator and reason were typed by people: never raw to a terminal.
                    [
                        s.id.clone(),
                        s.site.clone(),
                        format!("{:.3}", s.taken_at),
                        terminal(&s.operator).into_owned(),
                        human_bytes(s.stored_bytes),
                        terminal(s.reason.as_deref().unwrap_or_default()).into_owned(),
                    ]
                })
                .collect();
            table(
                &["ID", "SITE", "TAKEN AT", "OPERATOR", "STORED", "REASON"],
                &rows,
            )
        }
    };
    output::print(&text)?;
    Ok(Exit::Success)
}

/// A size as people read it: bytes, KiB, MiB or GiB, one decimal.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    #[allow(clippy::cast_precision_loss, reason = "one decimal is shown")]
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Left-aligned columns, two spaces apart, no trailing spaces.
fn table<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == N {
                s.push_str(c);
            } else {
                let _ = write!(s, "{c:<w$}  ");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(head.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

fn show(args: ShowArgs, state: &StateStore) -> CmdResult {
    let s = vmsops::ops::snapshot::load(state, &args.id)?;
    if args.format == ResultFormat::Json {
        output::json(&SnapshotDocument::new(
            &s.id, &s.path, &s.sha256, &s.meta, &s.export,
        ))?;
        return Ok(Exit::Success);
    }
    let m = &s.meta;
    let mut out = format!("snapshot {}\n", s.id);
    let mut field = |k: &str, v: &str| {
        let _ = writeln!(out, "  {:<12} {v}", format!("{k}:"));
    };
    field("site", &m.site);
    field("taken at", &m.taken_at.to_string());
    field("operator", &terminal(&m.operator));
    field("reason", &terminal(m.reason.as_deref().unwrap_or("-")));
    field(
        "commit",
        m.commit.as_deref().unwrap_or("- (nothing applied yet)"),
    );
    field("driver", &format!("{} at {}", m.driver, m.url));
    let creds: Vec<String> = [
        ("token_env", &m.token_env),
        ("username_env", &m.username_env),
        ("password_env", &m.password_env),
    ]
    .iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
    .collect();
    field(
        "credentials",
        &if creds.is_empty() {
            "-".to_string()
        } else {
            creds.join(", ")
        },
    );
    field(
        "retention",
        &format!("{} days, until {}", m.retention_days(), m.keep_until()),
    );
    field("sha256", &format!("{} (verified)", s.sha256));
    field("file", &s.path.display().to_string());
    out.push_str(&export_summary(&s.export));
    output::print(&out)?;
    Ok(Exit::Success)
}

/// What an export holds, whatever the driver: counts and ids of lists, scalar fields of objects.
fn export_summary(export: &Value) -> String {
    const SHOWN: usize = 10;
    let mut out = String::new();
    let Value::Object(map) = export else {
        return "export: not a JSON object\n".into();
    };
    let _ = writeln!(
        out,
        "export ({}):",
        map.get("format").and_then(Value::as_str).unwrap_or("?")
    );
    for (k, v) in map.iter().filter(|(k, _)| k.as_str() != "format") {
        match v {
            Value::Array(items) => {
                let names: Vec<&str> = items
                    .iter()
                    .filter_map(|i| i.get("id").or_else(|| i.get("kind"))?.as_str())
                    .collect();
                let _ = write!(out, "  {k}: {}", items.len());
                if !names.is_empty() {
                    let more = names.len().saturating_sub(SHOWN);
                    let mut shown = names[..names.len().min(SHOWN)].join(", ");
                    if more > 0 {
                        let _ = write!(shown, ", … and {more} more");
                    }
                    let _ = write!(out, " ({shown})");
                }
                out.push('\n');
            }
            Value::Object(fields) => {
                let scalars: Vec<String> = fields
                    .iter()
                    .filter(|(f, v)| f.as_str() != "version" && !v.is_object() && !v.is_array())
                    .map(|(f, v)| format!("{f}={v}"))
                    .collect();
                let _ = writeln!(out, "  {k}: {}", scalars.join(", "));
            }
            Value::String(s) => {
                let _ = writeln!(out, "  {k}: {s}");
            }
            other => {
                let _ = writeln!(out, "  {k}: {other}");
            }
        }
    }
    out
}

fn prune(args: PruneArgs, state: &StateStore) -> CmdResult {
    let operator = operator(args.operator);
    let plan = vmsops::ops::snapshot::prune_older(
        state,
        args.site.as_deref(),
        args.older_than,
        operator.as_deref(),
        &super::clock()?,
    )?;
    if args.format == ResultFormat::Json {
        output::json(&PruneDocument::new(&plan))?;
        return Ok(Exit::Success);
    }
    let mut out = String::new();
    for s in &plan.remove {
        let _ = writeln!(out, "removed {} ({}, taken {})", s.id, s.site, s.taken_at);
    }
    for r in &plan.retained {
        let _ = writeln!(
            out,
            "kept    {} ({}, taken {}): inside its retention of {} days, until {}",
            r.snapshot.id, r.snapshot.site, r.snapshot.taken_at, r.retention_days, r.until
        );
    }
    if plan.remove.is_empty() && plan.retained.is_empty() {
        out.push_str("Nothing to prune.\n");
    } else {
        let _ = writeln!(
            out,
            "{} removed, {} kept for their retention (snapshots are kept at least {} days: PROC-VMS-001 §03).",
            plan.remove.len(),
            plan.retained.len(),
            vmsops::ops::MIN_RETENTION_DAYS
        );
    }
    output::print(&out)?;
    Ok(Exit::Success)
}
