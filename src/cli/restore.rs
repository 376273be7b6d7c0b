//! `vmsops restore`: bring a site's VMS back to a snapshot.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use vmsops::duration::parse_duration;
use vmsops::exit::Exit;
use vmsops::model::Operator;
use vmsops::ops::connection::site_at_applied;
use vmsops::ops::restore::{restore, RestoreMethod, RestoreReport, RestoreRequest};
use vmsops::ops::Snapshot;

use schemars::JsonSchema;
use serde::Serialize;

use super::apply_json::RefusalJson;
use super::args::{ResultFormat, StateArgs};
use super::{output, CmdResult};

/// Arguments of `vmsops restore`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The snapshot id (from `vmsops snapshot list`).
    id: String,
    /// The person accountable for this restore.
    #[arg(long)]
    operator: Option<String>,
    /// The work order or request id that justifies it.
    #[arg(long, env = "VMSOPS_TICKET", hide_env_values = true)]
    ticket: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long)]
    yes: bool,
    /// The repository: the site's connection and policy are read at its last applied commit.
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// How long to wait for an apply or restore of the same site, e.g. 30s.
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    lock_timeout: std::time::Duration,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
    format: ResultFormat,
    #[command(flatten)]
    state: StateArgs,
}

/// The document `restore --format json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RestoreDocument {
    /// Always 1.
    pub format_version: u32,
    /// The site.
    pub site: String,
    /// The snapshot restored (or refused).
    pub snapshot: String,
    /// `restored`, `refused` or `interrupted` (nothing was changed but the snapshot of the state before).
    pub outcome: RestoreOutcome,
    /// The snapshot of the state before the restore.
    pub before: Option<String>,
    /// The gate's refusals (outcome `refused`).
    pub refusals: Vec<RefusalJson>,
    /// How the configuration was put back: `import`, or `per-object` when the export is over the product's import limit.
    pub method: Option<&'static str>,
    /// Operations sent, with the `per-object` method.
    pub operations: Option<usize>,
}

/// How a restore ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RestoreOutcome {
    /// The VMS holds the snapshot's configuration.
    Restored,
    /// The gate refused; nothing was changed.
    Refused,
    /// A signal stopped it before the import; nothing was changed.
    Interrupted,
}

/// Restores the snapshot.
pub fn run(args: Args) -> CmdResult {
    let env = |k: &str| std::env::var(k).ok();
    let state = args.state.open()?;
    let snapshot = vmsops::ops::snapshot::load(&state, &args.id)?;
    let site = site_at_applied(&args.repo, &state, &snapshot.meta.site)?;
    if site.fell_back {
        let _ = writeln!(
            std::io::stderr(),
            "note: nothing applied to `{}` yet: its connection and policy are read at HEAD",
            snapshot.meta.site
        );
    }
    let operator = Operator::from_flag_or_env(args.operator.as_deref(), &env)?;
    if !args.yes {
        confirm(&snapshot)?;
    }
    let rt = super::runtime()?;
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    rt.spawn(super::signal::interrupt_twice(std::sync::Arc::clone(
        &interrupted,
    )));
    let report = rt.block_on(restore(&RestoreRequest {
        interrupted: &interrupted,
        snapshot: &snapshot,
        site: &site,
        repo: &args.repo,
        state: &state,
        operator: &operator,
        ticket: args.ticket.as_deref(),
        lock_timeout: args.lock_timeout,
        clock: super::clock()?,
        env: &env,
    }))?;
    let outcome = outcome(&report);
    if args.format == ResultFormat::Json {
        output::json(&document(&snapshot, &report, outcome))?;
    } else {
        output::print(&render(&snapshot, &report, outcome))?;
    }
    Ok(match outcome {
        RestoreOutcome::Refused => Exit::Refused,
        RestoreOutcome::Interrupted => Exit::Error,
        RestoreOutcome::Restored => Exit::Success,
    })
}

/// Asks on the terminal for the site's name; anything else changes nothing.
fn confirm(snapshot: &Snapshot) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err("restore replaces the VMS configuration: pass --yes to confirm (there is no terminal to ask)".into());
    }
    let _ = write!(
        std::io::stderr(),
        "Restore site `{}` ({}) to snapshot {} taken {} by {}? Type the site name to confirm: ",
        snapshot.meta.site,
        snapshot.meta.url,
        snapshot.id,
        snapshot.meta.taken_at,
        vmsops::safe_text::terminal(&snapshot.meta.operator)
    );
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    if answer.trim() != snapshot.meta.site {
        return Err("not confirmed: nothing was changed".into());
    }
    Ok(())
}

/// How the restore ended: a refusal first, then an interruption.
fn outcome(report: &RestoreReport) -> RestoreOutcome {
    if !report.refusals.is_empty() {
        RestoreOutcome::Refused
    } else if report.interrupted {
        RestoreOutcome::Interrupted
    } else {
        RestoreOutcome::Restored
    }
}

/// The document of `--format json`.
fn document(
    snapshot: &Snapshot,
    report: &RestoreReport,
    outcome: RestoreOutcome,
) -> RestoreDocument {
    RestoreDocument {
        format_version: output::FORMAT_VERSION,
        site: snapshot.meta.site.clone(),
        snapshot: snapshot.id.clone(),
        outcome,
        before: report.before.clone(),
        refusals: report.refusals.iter().map(RefusalJson::from).collect(),
        method: report.method.as_ref().map(|m| match m {
            RestoreMethod::Import => "import",
            RestoreMethod::PerObject { .. } => "per-object",
        }),
        operations: match report.method {
            Some(RestoreMethod::PerObject { operations, .. }) => Some(operations),
            _ => None,
        },
    }
}

/// The text report.
fn render(snapshot: &Snapshot, report: &RestoreReport, outcome: RestoreOutcome) -> String {
    let site = &snapshot.meta.site;
    match outcome {
        RestoreOutcome::Refused => {
            let mut out = format!("{site}: restore refused by the gate; nothing was changed.\n");
            for r in &report.refusals {
                out.push_str(&format!("  ✗ {}: {}\n", r.check, r.message));
            }
            out
        }
        RestoreOutcome::Interrupted => format!(
            "{site}: interrupted before the import; nothing was changed (the current state was kept as snapshot {})\n",
            report.before.as_deref().unwrap_or("?")
        ),
        RestoreOutcome::Restored => {
            let how = match report.method {
                Some(m @ RestoreMethod::PerObject { .. }) => {
                    format!("{site}: restored through {m}\n")
                }
                _ => String::new(),
            };
            format!(
                "{site}: the state before the restore was kept as snapshot {}\n{site}: restored snapshot {} ({} by {})\n{how}",
                report.before.as_deref().unwrap_or("?"),
                snapshot.id,
                snapshot.meta.taken_at,
                vmsops::safe_text::terminal(&snapshot.meta.operator)
            )
        }
    }
}
