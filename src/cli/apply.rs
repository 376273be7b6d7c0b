//! `vmsops apply`: the change, as the procedure allows it — gate, snapshot, operations, journal.

use std::path::PathBuf;

use vmsops::desired::{SiteDoc, Tree};
use vmsops::duration::parse_duration;
use vmsops::exit::Exit;
use vmsops::model::NoOperator;
use vmsops::ops::apply::{
    apply_site, Agent, ApplyOutcome, ApplyReport, ApplySettings, ApplySite, Outcome,
};
use vmsops::ops::StateStore;
use vmsops::plan::document::{PlanDocument, SitePlan};
use vmsops::plan::style::Style;
use vmsops::safe_text::terminal;

use super::apply_json::ApplyDocument;
use super::args::{ResultFormat, StateArgs};
use super::desired::{load_valid, Shard};
use super::plan::sharded;
use super::progress::{step_line, Lines, Reporter};
use super::{output, stdio, CmdResult, LogFormat, RepoArgs};

/// Arguments of `vmsops apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A plan saved by `vmsops plan --out` (`-`: standard input): apply exactly it, or refuse if it is stale.
    #[arg(value_name = "PLAN.json")]
    plan: Option<PathBuf>,
    #[command(flatten)]
    repo: RepoArgs,
    /// The trusted base (default: the last commit applied to the site; required for a first apply).
    #[arg(long)]
    base: Option<String>,
    /// The person accountable for this apply (a named person, not a generic account).
    #[arg(long, env = "VMSOPS_OPERATOR", hide_env_values = true)]
    operator: Option<String>,
    /// The work order or request id that justifies the change.
    #[arg(long, env = "VMSOPS_TICKET", hide_env_values = true)]
    ticket: Option<String>,
    /// Operations sent at a time.
    #[arg(long, default_value_t = ApplySettings::DEFAULT_PARALLELISM)]
    parallelism: usize,
    /// After a failed operation (or, with --verify, a degraded camera), put back what this apply changed as the snapshot has it, leaving alone what others changed since.
    #[arg(long)]
    auto_rollback: bool,
    /// After the operations, watch every created or changed camera until its stream is healthy.
    #[arg(long)]
    verify: bool,
    /// How long --verify waits for the cameras, from the end of the operations, e.g. 2m.
    #[arg(long, value_parser = parse_duration, default_value = "120s", requires = "verify")]
    verify_timeout: std::time::Duration,
    /// Let a generic identity or an out-of-window change through; journaled as an emergency.
    #[arg(long, requires = "reason")]
    emergency: bool,
    /// Why the emergency (required with --emergency).
    #[arg(long, requires = "emergency")]
    reason: Option<String>,
    /// How long to wait for another apply of the same site, e.g. 30s.
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    lock_timeout: std::time::Duration,
    /// Only the sites of shard I of N (stable hash of the site name), e.g. `0/3`.
    #[arg(long)]
    shard: Option<Shard>,
    /// Output format; with json, stdout holds only the document and each operation's line goes to stderr.
    #[arg(long, value_enum, default_value_t = ResultFormat::Text)]
    format: ResultFormat,
    #[command(flatten)]
    state: StateArgs,
}

/// The plan saved by `vmsops plan --out` at `p` (`-`: standard input).
fn saved_plan(p: &std::path::Path) -> Result<PlanDocument, String> {
    let text = stdio::read(p, "the saved plan")?;
    let plan: PlanDocument = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "{} is not a plan saved by `vmsops plan --out`: {e}",
            stdio::name(p)
        )
    })?;
    // A plan another version wrote may mean what this one cannot read: refused, not guessed.
    if plan.format_version != vmsops::plan::document::FORMAT_VERSION {
        return Err(format!(
            "{} is a plan of format_version {}, and this vmsops applies format_version {}: make the plan again with this vmsops",
            stdio::name(p),
            plan.format_version,
            vmsops::plan::document::FORMAT_VERSION
        ));
    }
    Ok(plan)
}

/// Applies every selected site, one after the other.
pub fn run(args: Args, log_format: LogFormat) -> CmdResult {
    let clock = super::clock()?;
    let today = super::today()?;
    let saved = args.plan.as_deref().map(saved_plan).transpose()?;
    // A saved plan is applied at --rev like any apply: if that is no longer the
    // commit it was made for (a new commit landed), the plan is stale.
    let rev = args.repo.rev.as_str();
    if rev == vmsops::desired::WORKTREE {
        return Err("apply reads committed state only: commit the change (and have it approved), then apply".into());
    }
    let (tree, repo) = load_valid(&args.repo, rev, today)?;
    let state = args.state.open()?;
    let settings = settings(&args, clock, today)?;
    let run = Run {
        args: &args,
        settings: &settings,
        tree: &tree,
        commit: repo.commit.clone().unwrap_or_default(),
        state: &state,
        saved: saved.as_ref(),
        view: View::new(args.format, log_format),
    };
    run.apply_all(&sharded(&repo.sites, args.shard))
}

/// The run's settings from its flags (the operator and ticket else from the environment).
fn settings(
    args: &Args,
    clock: vmsops::ops::clock::Clock,
    today: jiff::civil::Date,
) -> Result<ApplySettings, NoOperator> {
    ApplySettings::builder(Agent::Cli, clock, today)
        .operator(args.operator.as_deref())
        .ticket(args.ticket.as_deref())
        .emergency(args.emergency, args.reason.as_deref())
        .parallelism(args.parallelism)
        .auto_rollback(args.auto_rollback)
        .verify(args.verify.then_some(args.verify_timeout))
        .lock_timeout(args.lock_timeout)
        // clap reads the same variables so that `--help` names them; the rule is the builder's.
        .env_defaults(&|k| std::env::var(k).ok())
        .build()
}

/// Where the run's output goes and how it looks.
struct View {
    /// `--format json`: stdout holds only the document.
    json: bool,
    /// The report's style on stdout.
    style: Style,
    /// Each operation's line as it ends.
    lines: Lines,
}

impl View {
    fn new(format: ResultFormat, log_format: LogFormat) -> Self {
        let style = Style {
            color: super::color_enabled(&std::io::stdout()),
        };
        let json = format == ResultFormat::Json;
        let lines = Lines {
            to_stderr: json,
            timestamps: matches!(log_format, LogFormat::Json),
            style: if json {
                Style {
                    color: super::color_enabled(&std::io::stderr()),
                }
            } else {
                style
            },
        };
        Self { json, style, lines }
    }
}

/// One `vmsops apply`: its settings and what every site shares.
struct Run<'a> {
    args: &'a Args,
    settings: &'a ApplySettings,
    tree: &'a Tree,
    commit: String,
    state: &'a StateStore,
    saved: Option<&'a PlanDocument>,
    view: View,
}

impl Run<'_> {
    /// Applies the sites in order; the exit is the worst of theirs.
    fn apply_all(&self, docs: &[&SiteDoc]) -> CmdResult {
        let rt = super::runtime()?;
        let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        rt.spawn(super::signal::interrupt_twice(std::sync::Arc::clone(
            &interrupted,
        )));
        let env = |k: &str| std::env::var(k).ok();
        let mut reports = Vec::new();
        let mut exit = Exit::Success;
        for doc in docs {
            let Some(site) = &doc.site else { continue };
            if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
                // Interrupted: no site starts after the one that was running.
                exit = worst(exit, Exit::Error);
                break;
            }
            let Some(saved) = self.saved_site(&site.name) else {
                continue;
            };
            let bar = Reporter::new(&site.name, self.view.lines);
            let applied = rt.block_on(apply_site(&ApplySite {
                settings: self.settings,
                repo_dir: &self.args.repo.repo,
                tree: self.tree,
                commit: &self.commit,
                doc,
                site,
                base: self.args.base.as_deref(),
                saved,
                state: self.state,
                env: &env,
                progress: &bar,
                interrupted: &interrupted,
            }));
            let report = match applied {
                Ok(report) => report,
                Err(e) => {
                    // Sites before this one may have changed: a script reading stdout still
                    // learns what they did (the error itself goes to stderr, exit 1).
                    if self.view.json && !reports.is_empty() {
                        output::json(&ApplyDocument::new(&reports))?;
                    }
                    return Err(e.into());
                }
            };
            bar.finish();
            if !self.view.json {
                output::print(&render(&report, self.view.style, bar.streamed()))?;
            }
            exit = worst(exit, site_exit(&report));
            reports.push(report);
        }
        if self.view.json {
            output::json(&ApplyDocument::new(&reports))?;
        }
        Ok(exit)
    }

    /// The saved plan's part for `site` (`Some(None)` without a saved plan); `None`: the saved plan skips the site.
    fn saved_site(&self, site: &str) -> Option<Option<&SitePlan>> {
        match self.saved {
            Some(d) => d.sites.iter().find(|s| s.site == site).map(Some),
            None => Some(None),
        }
    }
}

/// A site's exit code, from how its apply ended.
fn site_exit(report: &ApplyReport) -> Exit {
    match report.outcome {
        // Applied, but a camera did not come back: the operator must look.
        ApplyOutcome::Applied if !report.degraded().is_empty() => Exit::Error,
        ApplyOutcome::UpToDate | ApplyOutcome::Applied => Exit::Success,
        ApplyOutcome::Refused => Exit::Refused,
        ApplyOutcome::Failed => Exit::Error,
    }
}

fn worst(a: Exit, b: Exit) -> Exit {
    let rank = |e: Exit| match e {
        Exit::Success => 0,
        Exit::Differences => 1,
        Exit::Refused => 2,
        Exit::Error => 3,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// The report; `streamed`: each operation's line was printed as it ended, so not again.
fn render(r: &ApplyReport, style: Style, streamed: bool) -> String {
    let mut out = String::new();
    if let Some(h) = &r.unfinished {
        out.push_str(&style.yellow(&format!(
            "{}: the previous apply by {h} did not finish (the process died); this apply starts from the live state and converges\n",
            r.site
        )));
    }
    match r.outcome {
        ApplyOutcome::Refused => render_refusals(r, style, &mut out),
        ApplyOutcome::UpToDate => out.push_str(&format!(
            "{}: no changes; the VMS matches the desired state.\n",
            r.site
        )),
        ApplyOutcome::Applied | ApplyOutcome::Failed => {
            if let Some(s) = &r.snapshot {
                out.push_str(&format!(
                    "{}: snapshot {s} taken before the first change\n",
                    r.site
                ));
            }
            if let Some(e) = &r.gate.emergency_used {
                out.push_str(&style.yellow(&format!(
                    "{}: EMERGENCY: {e} (journaled as an emergency)\n",
                    r.site
                )));
            }
            if !streamed {
                render_steps(r, style, &mut out);
            }
            render_summary(r, style, &mut out);
            super::apply_rollback::render(r, style, &mut out);
        }
    }
    out
}

fn render_refusals(r: &ApplyReport, style: Style, out: &mut String) {
    out.push_str(&style.red(&format!(
        "{}: refused by the gate; nothing was changed.\n",
        r.site
    )));
    for f in &r.refusals {
        let targets = if f.targets.is_empty() {
            String::new()
        } else {
            format!(" [{}]", f.targets.join(", "))
        };
        out.push_str(&format!("  ✗ {}{targets}: {}\n", f.check, f.message));
    }
}

fn render_steps(r: &ApplyReport, style: Style, out: &mut String) {
    for s in &r.steps {
        out.push_str(&step_line(s, style));
        out.push('\n');
    }
}

/// Each watched camera's verdict (`--verify`).
fn render_verified(r: &ApplyReport, style: Style, out: &mut String) {
    for v in &r.verified {
        let why = v
            .reason
            .as_deref()
            .map_or(String::new(), |w| format!(": {}", terminal(w)));
        let line = format!("verify: {} {}{why}", terminal(&v.camera), v.health.as_str());
        out.push_str(&if v.health == vmsops::model::Health::Degraded {
            style.red(&line)
        } else {
            style.green(&line)
        });
        out.push('\n');
    }
}

/// The last line: how many succeeded, and after a failure what happened to the snapshot.
fn render_summary(r: &ApplyReport, style: Style, out: &mut String) {
    render_verified(r, style, out);
    let degraded = r.degraded();
    let ok = r
        .steps
        .iter()
        .filter(|s| s.outcome == Outcome::Succeeded)
        .count();
    let failed = r
        .steps
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Failed(_)))
        .count();
    let skipped = r.steps.len() - ok - failed;
    if r.outcome == ApplyOutcome::Applied && !degraded.is_empty() {
        out.push_str(&style.red(&format!(
            "{}: applied: {ok} succeeded, but {} degraded; the change stays (recorded as applied). Check the cameras, or `vmsops restore {}`.\n",
            r.site,
            degraded.join(", "),
            r.snapshot.as_deref().unwrap_or("?")
        )));
        return;
    }
    if r.outcome == ApplyOutcome::Applied {
        out.push_str(&style.green(&format!("{}: applied: {ok} succeeded.\n", r.site)));
        return;
    }
    if !degraded.is_empty() && failed == 0 && !r.interrupted {
        out.push_str(&style.red(&format!(
            "{}: {} degraded after the change.",
            r.site,
            degraded.join(", ")
        )));
        if r.rolled_back {
            out.push_str(&format!(
                " Rolled back to snapshot {} (rolled back: {} degraded).",
                r.snapshot.as_deref().unwrap_or("?"),
                degraded.join(", ")
            ));
        } else if let (Some(s), Some(e)) = (&r.snapshot, &r.rollback_error) {
            out.push_str(&format!(" The rollback to snapshot {s} failed: {e}."));
        }
        out.push('\n');
        return;
    }
    let what = if r.interrupted {
        "interrupted"
    } else {
        "failed"
    };
    out.push_str(&style.red(&format!(
        "{}: {what}: {ok} succeeded, {failed} failed, {skipped} not attempted.",
        r.site
    )));
    if r.rolled_back {
        out.push_str(&format!(
            " Rolled back to snapshot {}.",
            r.snapshot.as_deref().unwrap_or("?")
        ));
    } else if let (Some(s), Some(e)) = (&r.snapshot, &r.rollback_error) {
        out.push_str(&format!(
            " The rollback to snapshot {s} failed: {e}. Run `vmsops restore {s}` once the VMS answers, or re-run apply to converge."
        ));
    } else if let Some(s) = &r.snapshot {
        out.push_str(&format!(
            " Re-run apply to converge, or `vmsops restore {s}`."
        ));
    }
    out.push('\n');
    if let Some(e) = &r.journal_error {
        out.push_str(&style.red(&format!(
            "{}: the apply's closing entry could not be journaled: {e}\n",
            r.site
        )));
    }
}
