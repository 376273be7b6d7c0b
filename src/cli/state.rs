//! `vmsops state init|status|migrate`: the state store itself.
//!
//! `init` is the only command that changes a database's schema; `migrate`
//! only appends to the shared store; `status` only reads.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Subcommand;
use schemars::JsonSchema;
use serde::Serialize;
use vmsops::exit::Exit;
use vmsops::ops::migrate::migrate;
use vmsops::ops::{is_postgres, StateStore};

use super::args::{ResultFormat, StateArgs};
use super::{output, CmdResult};

/// Arguments of `vmsops state`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: StateCommand,
    #[command(flatten)]
    state: StateArgs,
}

#[derive(Debug, Subcommand)]
enum StateCommand {
    /// Create or migrate the vmsops schema of a PostgreSQL store (idempotent); print the grants.
    Init {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
        format: ResultFormat,
    },
    /// The store, its schema version, and per site the last apply, baseline, journal head and lock holder.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
        format: ResultFormat,
    },
    /// Copy a local state directory into the PostgreSQL store named by --state.
    Migrate {
        /// The state directory to copy.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
        format: ResultFormat,
    },
}

/// The document `state init --format json` prints.
#[derive(Serialize, JsonSchema)]
pub struct InitDocument {
    /// Always 1.
    format_version: u32,
    /// The store, named without its password.
    store: String,
    /// `created`, `migrated` or `unchanged`.
    action: &'static str,
    /// The schema version before (null when the schema did not exist).
    schema_version_before: Option<i32>,
    /// The schema version now.
    schema_version: i32,
    /// The SQL that creates the least-privilege roles (run as the owner; set the passwords).
    grants: String,
}

/// The document `state migrate --format json` prints.
#[derive(Serialize, JsonSchema)]
pub struct MigrateDocument {
    /// Always 1.
    format_version: u32,
    /// The state directory copied.
    from: String,
    /// The store it was copied into, named without its password.
    to: String,
    /// Journal entries copied (those already in the store are not).
    entries: usize,
    /// Journal entries the store now holds.
    total_entries: u64,
    /// Snapshots copied.
    snapshots: usize,
    /// Applied records and baselines copied.
    records: usize,
}

/// Runs `vmsops state …`.
pub fn run(args: Args) -> CmdResult {
    let env = |k: &str| std::env::var(k).ok();
    match args.command {
        StateCommand::Init { format } => init(&args.state, &env, format),
        StateCommand::Status { format } => status(&args.state.open()?, format),
        StateCommand::Migrate { from, format } => {
            let to = args.state.open()?;
            let source = StateStore::resolve(Some(&from), &env)?;
            let m = migrate(&source, &to).map_err(|e| vmsops::error_chain(&e))?;
            if format == ResultFormat::Json {
                output::json(&MigrateDocument {
                    format_version: output::FORMAT_VERSION,
                    from: from.display().to_string(),
                    to: to.display().to_string(),
                    entries: m.entries,
                    total_entries: m.total_entries,
                    snapshots: m.snapshots,
                    records: m.records,
                })?;
                return Ok(Exit::Success);
            }
            output::print(&format!(
                "migrated {} into {}: {} journal entries copied ({} in the store, chain intact), {} snapshots, {} records\n",
                from.display(),
                to.display(),
                m.entries,
                m.total_entries,
                m.snapshots,
                m.records
            ))?;
            Ok(Exit::Success)
        }
    }
}

fn init(args: &StateArgs, env: &dyn Fn(&str) -> Option<String>, format: ResultFormat) -> CmdResult {
    let location = args
        .state
        .clone()
        .filter(|l| is_postgres(l))
        .ok_or("state init prepares a PostgreSQL store: pass --state postgres://USER@HOST:PORT/DB (a directory needs no init)")?;
    let store = StateStore::postgres(&location, env)?;
    let vmsops::ops::store::Initialised {
        before,
        after,
        grants,
    } = vmsops::ops::store::init(&store)?;
    if format == ResultFormat::Json {
        output::json(&InitDocument {
            format_version: output::FORMAT_VERSION,
            store: store.display(),
            action: match before {
                Some(v) if v == after => "unchanged",
                Some(_) => "migrated",
                None => "created",
            },
            schema_version_before: before,
            schema_version: after,
            grants,
        })?;
        return Ok(Exit::Success);
    }
    let mut out = match before {
        Some(v) if v == after => format!(
            "{}: schema vmsops is at version {after}; nothing to do\n",
            store.display()
        ),
        Some(v) => format!(
            "{}: schema vmsops migrated from version {v} to {after}\n",
            store.display()
        ),
        None => format!(
            "{}: schema vmsops created at version {after}\n",
            store.display()
        ),
    };
    let _ = write!(
        out,
        "\nThe journal is append-only for every role; a snapshot inside its retention cannot be deleted.\nLeast-privilege roles (run as the owner; set the passwords):\n\n{}",
        grants
    );
    output::print(&out)?;
    Ok(Exit::Success)
}

/// The document `state status --format json` prints.
#[derive(Serialize, JsonSchema)]
pub struct Status {
    /// Always 1.
    format_version: u32,
    /// The store, named without its password.
    store: String,
    /// `directory` or `postgres`.
    kind: &'static str,
    /// The PostgreSQL schema version (null for a directory).
    schema_version: Option<i32>,
    /// The journal's last entry.
    journal_head: Option<Head>,
    /// What the store holds for each site.
    sites: Vec<SiteStatus>,
}

/// A journal entry's position and hash.
#[derive(Serialize, Clone, JsonSchema)]
struct Head {
    /// Its `seq`.
    seq: u64,
    /// Its hash.
    hash: String,
}

/// What the store holds for one site.
#[derive(Serialize, JsonSchema)]
struct SiteStatus {
    /// The site.
    site: String,
    /// The last commit applied.
    applied_commit: Option<String>,
    /// Where its VMS journal baseline stands.
    baseline: Option<String>,
    /// The site's last journal entry.
    journal_head: Option<Head>,
    /// Who holds its lock now.
    lock_holder: Option<String>,
}

fn status(store: &StateStore, format: ResultFormat) -> CmdResult {
    let st = vmsops::ops::store::status(store)?;
    let head = |h: Option<vmsops::ops::store::Head>| {
        h.map(|h| Head {
            seq: h.seq,
            hash: h.hash,
        })
    };
    let sites = st
        .sites
        .into_iter()
        .map(|r| SiteStatus {
            site: r.site,
            applied_commit: r.applied_commit,
            baseline: r.baseline.map(|(cursor, reason)| {
                format!(
                    "{} ({reason})",
                    cursor.as_deref().unwrap_or("no VMS journal")
                )
            }),
            journal_head: head(r.journal_head),
            lock_holder: r.lock_holder.map(|h| h.to_string()),
        })
        .collect();
    let s = Status {
        format_version: output::FORMAT_VERSION,
        store: store.display(),
        kind: store.kind(),
        schema_version: st.schema_version,
        journal_head: head(st.journal_head),
        sites,
    };
    match format {
        ResultFormat::Json => output::json(&s)?,
        ResultFormat::Text => output::print(&render(&s))?,
    }
    Ok(Exit::Success)
}

fn render(s: &Status) -> String {
    let mut out = format!("store: {} ({})\n", s.store, s.kind);
    if let Some(v) = s.schema_version {
        let _ = writeln!(out, "schema: version {v}");
    }
    match &s.journal_head {
        Some(h) => {
            let _ = writeln!(out, "journal: {} entries, head {}", h.seq, h.hash);
        }
        None => out.push_str("journal: no entries yet\n"),
    }
    if s.sites.is_empty() {
        out.push_str("No sites recorded yet.\n");
    }
    for site in &s.sites {
        let _ = writeln!(out, "\n{}", site.site);
        let _ = writeln!(
            out,
            "  applied:  {}",
            site.applied_commit.as_deref().unwrap_or("never")
        );
        let _ = writeln!(
            out,
            "  baseline: {}",
            site.baseline.as_deref().unwrap_or("none")
        );
        if let Some(h) = &site.journal_head {
            let _ = writeln!(out, "  journal:  last entry #{}", h.seq);
        }
        let _ = writeln!(
            out,
            "  lock:     {}",
            site.lock_holder.as_deref().unwrap_or("free")
        );
    }
    out
}
