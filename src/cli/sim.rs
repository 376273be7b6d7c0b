//! `vmsops sim`: run the reference VMS until SIGTERM or SIGINT.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use vmsops::exit::Exit;
use vmsops::sim::streams::StreamConfig;
use vmsops::sim::{FailAfter, FaultConfig, Sim, SimConfig, SimError, Tokens};

use super::{output, CmdResult};

/// Environment variable with comma-separated `USER:TOKEN` entries.
const TOKENS_ENV: &str = "VMSOPS_SIM_TOKENS";

/// Arguments of `vmsops sim`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port (printed on the first line of stdout).
    #[arg(long, default_value = "127.0.0.1:8480")]
    addr: SocketAddr,
    /// File holding the state across restarts (default: in memory only).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// An accepted API token and the user it stands for, USER:TOKEN (repeatable). Prefer VMSOPS_SIM_TOKENS: arguments are visible to other local users.
    #[arg(long = "token", value_name = "USER:TOKEN")]
    tokens: Vec<String>,
    /// A site folder (site.yaml and cameras/) whose cameras a fresh state starts with, as an existing VMS would hold them; refused when the state already holds cameras.
    #[arg(long, value_name = "DIR")]
    seed: Option<PathBuf>,
    /// JSON file presetting recording spans: {"CAMERA_ID": {"oldest": RFC3339, "newest": RFC3339, "bytes": N}}.
    #[arg(long, value_name = "FILE")]
    seed_recordings: Option<PathBuf>,
    /// Delay every request by this many milliseconds.
    #[arg(long, value_name = "N", default_value_t = 0)]
    latency_ms: u64,
    /// Fraction (0 to 1) of mutating requests answered 503.
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    fail_rate: f64,
    /// After N successful mutations, answer 500 to every mutation (N), or to the next M only (N:M).
    #[arg(long, value_name = "N[:M]", value_parser = parse_fail_after)]
    fail_after: Option<FailAfter>,
    /// Largest full import (`PUT /api/v1/config`) accepted, in bytes; 413 past it [default: 67108864, 64 MiB].
    #[arg(long, value_name = "BYTES")]
    max_import_bytes: Option<usize>,
    /// How long a restarted camera stream stays `connecting` before it connects.
    #[arg(long, value_name = "N", default_value_t = 300)]
    connect_ms: u64,
    /// A stream_url host that never answers: its cameras end `disconnected` (repeatable).
    #[arg(long = "unreachable-host", value_name = "HOST")]
    unreachable_hosts: Vec<String>,
}

fn parse_fail_after(s: &str) -> Result<FailAfter, String> {
    s.parse().map_err(|e: SimError| e.to_string())
}

/// Loads the state, binds, prints the address, serves until a signal.
pub fn run(args: Args) -> CmdResult {
    let mut tokens = Tokens::default();
    tokens.add_specs(args.tokens.iter().map(String::as_str), "--token")?;
    if let Ok(env) = std::env::var(TOKENS_ENV) {
        tokens.add_specs(
            env.split(',').map(str::trim).filter(|s| !s.is_empty()),
            TOKENS_ENV,
        )?;
    }
    let seed_cameras = match &args.seed {
        Some(dir) => vmsops::ops::seed::site_cameras(dir)?,
        None => Vec::new(),
    };
    let config = SimConfig {
        tokens,
        state_file: args.state,
        seed_recordings: args.seed_recordings,
        seed_cameras,
        faults: FaultConfig {
            latency: Duration::from_millis(args.latency_ms),
            fail_rate: args.fail_rate,
            fail_after: args.fail_after,
        },
        max_import_bytes: args.max_import_bytes,
        streams: StreamConfig {
            connect: Duration::from_millis(args.connect_ms),
            unreachable_hosts: args.unreachable_hosts.into_iter().collect(),
        },
    };
    let sim = Sim::open(config)?;
    let summary = sim.summary();
    tracing::info!(
        cameras = summary.cameras,
        alert_rules = summary.alert_rules,
        journal = summary.journal,
        "state loaded"
    );
    let runtime = super::runtime()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
        let bound = listener.local_addr()?;
        output::print(&format!("listening on http://{bound}\n"))?;
        sim.serve(listener, super::signal::shutdown()).await?;
        tracing::info!("stopped");
        Ok(Exit::Success)
    })
}
