//! The command layer: clap types, one file per command, and output.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use vmsops::exit::Exit;

mod apply;
mod apply_json;
mod apply_rollback;
mod args;
mod audit;
mod completion;
mod demo;
mod desired;
mod drift;
mod import;
mod man;
mod output;
mod plan;
mod progress;
mod restore;
mod schema;
mod signal;
mod sim;
mod snapshot;
mod snapshot_json;
mod state;
mod status;
mod stdio;
mod validate;
mod watch;

/// `vmsops --version`: the package version and the commit it was built from (see `build.rs`).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("VMSOPS_COMMIT"), ")");

/// GitOps for video-management systems: desired state in git, plan, gate, snapshot, apply, journal, drift.
#[derive(Debug, Parser)]
#[command(name = "vmsops", version = VERSION, about, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Log line format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where the desired state is read from.
#[derive(Debug, Clone, clap::Args)]
pub struct RepoArgs {
    /// The git repository holding the sites.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// The revision to read; `WORKTREE` reads uncommitted files.
    #[arg(long, default_value = "HEAD")]
    pub rev: String,
    /// Only this site (default: every site).
    #[arg(long)]
    pub site: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The whole job on the built-in example: a reference VMS, plan, gate, apply, drift, journal.
    Demo(demo::Args),
    /// Check the desired state: syntax, types, references, policy bounds.
    Validate(validate::Args),
    /// Print the JSON Schema of a file kind.
    Schema(schema::Args),
    /// Run the reference VMS (for trying vmsops and for tests).
    Sim(sim::Args),
    /// Onboard an existing VMS: write its site files and record its journal baseline.
    Import(import::Args),
    /// Show the operations that would take each VMS to the desired state.
    Plan(plan::Args),
    /// Apply the desired state, as the procedure allows: gate, snapshot, operations, journal.
    Apply(apply::Args),
    /// Bring a site's VMS back to a snapshot (the procedure's first reflex).
    Restore(restore::Args),
    /// Detect differences, findings and out-of-band changes (plan without the gate).
    Drift(drift::Args),
    /// Every live camera's health now: healthy, progressing, degraded, disabled or unknown.
    Status(status::Args),
    /// Check drift of every site every interval; serve metrics; post webhooks on change.
    Watch(watch::Args),
    /// Configuration snapshots: create, list, show, prune.
    Snapshot(snapshot::Args),
    /// The audit journal: verify its hash chain, print it, run the monthly review.
    Audit(audit::Args),
    /// The state store: create its schema, show it, migrate a directory into it.
    State(state::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell).
    Completion(completion::Args),
    /// Write man pages: one for vmsops, one per subcommand.
    Man(man::Args),
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    init_tracing(cli.verbose, cli.log_format);
    let result = match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Schema(a) => schema::run(a),
        Command::Sim(a) => sim::run(a),
        Command::Import(a) => import::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Apply(a) => apply::run(a, cli.log_format),
        Command::Restore(a) => restore::run(a),
        Command::Drift(a) => drift::run(a),
        Command::Status(a) => status::run(a),
        Command::Watch(a) => watch::run(a),
        Command::Snapshot(a) => snapshot::run(a),
        Command::Audit(a) => audit::run(a),
        Command::State(a) => state::run(a),
        Command::Completion(a) => completion::run(a),
        Command::Man(a) => man::run(a),
    };
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(e) => {
            if is_broken_pipe(e.as_ref()) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                vmsops::error_chain(e.as_ref())
            );
            ExitCode::from(Exit::Error.code())
        }
    }
}

/// Prints clap's message; `--help` and `--version` exit 0, a usage error exits 1.
///
/// Not clap's 2: to every script that reads it, 2 means "differences" (docs/exit-codes.md),
/// so a mistyped flag in CI would pass for a plan with changes.
fn usage(e: &clap::Error) -> ExitCode {
    let _ = e.print();
    ExitCode::from(if e.use_stderr() {
        Exit::Error.code()
    } else {
        Exit::Success.code()
    })
}

/// A command's outcome: an exit status, or an error that exits 1.
pub type CmdResult = Result<Exit, Box<dyn std::error::Error + Send + Sync>>;

fn is_broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

fn init_tracing(verbose: u8, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        // watch says, in words, when it starts, when a site's status changes and when a check fails.
        0 => "warn,vmsops::watch=info",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color_enabled(&std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The async runtime a command runs its I/O on, built here and nowhere else.
///
/// Multi-threaded: sites and operations run concurrently, and the journal's
/// fsyncs, snapshot writes and git2 calls go to its blocking pool.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Colour only on a terminal, never with `NO_COLOR`.
pub fn color_enabled(stream: &impl IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Today's date in the local time zone, from [`now`].
pub fn today() -> Result<jiff::civil::Date, Box<dyn std::error::Error + Send + Sync>> {
    Ok(now()?.to_zoned(jiff::tz::TimeZone::system()).date())
}

/// The run's clock: the system's, or the instant `VMSOPS_NOW` pins.
pub fn clock() -> Result<vmsops::ops::clock::Clock, Box<dyn std::error::Error + Send + Sync>> {
    Ok(match std::env::var("VMSOPS_NOW") {
        Ok(v) if !v.is_empty() => vmsops::ops::clock::Clock::pinned(now()?),
        _ => vmsops::ops::clock::Clock::system(),
    })
}

/// Now where vmsops runs; `VMSOPS_NOW` (RFC 3339) pins the clock for tests and replays.
pub fn now() -> Result<jiff::Timestamp, Box<dyn std::error::Error + Send + Sync>> {
    match std::env::var("VMSOPS_NOW") {
        Ok(v) if !v.is_empty() => v
            .parse::<jiff::Timestamp>()
            .map_err(|e| format!("VMSOPS_NOW=`{v}` is not an RFC 3339 time: {e}").into()),
        _ => Ok(jiff::Timestamp::now()),
    }
}
