//! `vmsops watch`: drift for every site, every interval, until SIGTERM or SIGINT.
//!
//! Checks the options and hands them to the service (`vmsops::watch`); it
//! holds no checking or applying logic of its own.

use std::net::SocketAddr;
use std::path::PathBuf;

use vmsops::duration::parse_duration;
use vmsops::exit::Exit;
use vmsops::watch::{self, WatchConfig};

use super::args::FleetArgs;
use super::plan::env;
use super::{output, signal, CmdResult};

/// Arguments of `vmsops watch`.
#[derive(Debug, clap::Args)]
// watch checks sites rather than reading them once: the shared option keeps its name and default, with its own words.
#[command(mut_arg("concurrency", |a| a.help("Sites checked at the same time")))]
pub struct Args {
    /// Time between checks, e.g. 5m (±10% jitter).
    #[arg(long, value_parser = parse_duration)]
    interval: std::time::Duration,
    /// The git repository holding the sites.
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// The revision to follow, e.g. `origin/main` with `--fetch origin`.
    #[arg(long, default_value = "HEAD")]
    rev: String,
    /// `git fetch` this remote before each check.
    #[arg(long)]
    fetch: Option<String>,
    /// Post a JSON message here when a site's drift appears, changes or clears (Slack/Teams compatible).
    #[arg(long, env = "VMSOPS_WEBHOOK_URL", hide_env_values = true)]
    webhook: Option<String>,
    /// Serve Prometheus `/metrics` and `/healthz` here, e.g. 127.0.0.1:9480.
    #[arg(long)]
    metrics_addr: Option<SocketAddr>,
    #[command(flatten)]
    fleet: FleetArgs,
    /// Reconcile: apply each drifting site whose change the gate allows (approved, in a window where needed).
    #[arg(long)]
    apply: bool,
    /// With --apply: operations sent at a time.
    #[arg(long, default_value_t = 4, requires = "apply")]
    parallelism: usize,
}

/// Runs the service.
pub fn run(args: Args) -> CmdResult {
    if args.interval.is_zero() {
        return Err("--interval must be more than zero".into());
    }
    if let Some(url) = &args.webhook {
        match url::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => return Err("--webhook is not an http(s) URL".into()),
        }
    }
    let state = args.fleet.state()?;
    let cfg = WatchConfig {
        repo: args.repo.clone(),
        rev: args.rev.clone(),
        interval: args.interval,
        fetch: args.fetch.clone(),
        webhook: args.webhook.clone(),
        metrics_addr: args.metrics_addr,
        shard: args.fleet.shard.map(|s| (s.index, s.count)),
        concurrency: args.fleet.concurrency,
        state,
        apply: args.apply.then_some(watch::ApplyOptions {
            parallelism: args.parallelism,
            lock_timeout: std::time::Duration::ZERO,
        }),
        pinned_now: std::env::var("VMSOPS_NOW")
            .ok()
            .filter(|v| !v.is_empty())
            .map(|_| super::now())
            .transpose()?,
    };
    let rt = super::runtime()?;
    rt.block_on(watch::run(cfg, env(), signal::shutdown(), |addr| {
        let _ = output::print(&format!("metrics on http://{addr}/metrics\n"));
    }))?;
    Ok(Exit::Success)
}
