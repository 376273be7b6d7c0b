//! Clap options shared by several commands, declared once so that their names, defaults and help agree.
//!
//! Only declarations and the one-line conversions that go with them: no
//! command logic, no I/O beyond reading the environment for defaults.

use std::path::PathBuf;

use vmsops::ops::fleet;
use vmsops::state::{StateDir, StateError};

use super::desired::Shard;

/// Which sites a fleet command reads, how many at a time, and where its state lives.
///
/// Flattened (`#[command(flatten)]`) by `drift` and `watch`; its options come
/// in this order in their `--help`.
#[derive(Debug, Clone, clap::Args)]
pub struct FleetArgs {
    /// Only the sites of shard I of N (stable hash of the site name), e.g. `0/3`.
    #[arg(long)]
    pub shard: Option<Shard>,
    /// Sites read at the same time.
    #[arg(long, default_value_t = fleet::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// State directory (default: $VMSOPS_STATE_DIR, $XDG_STATE_HOME/vmsops, ~/.local/state/vmsops).
    #[arg(long, env = "VMSOPS_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
}

impl FleetArgs {
    /// The state directory: `--state-dir`, else the environment's default.
    pub fn state(&self) -> Result<StateDir, StateError> {
        resolve_state_dir(self.state_dir.as_deref())
    }
}

/// The state directory named on the command line, else the one the environment gives.
pub fn resolve_state_dir(dir: Option<&std::path::Path>) -> Result<StateDir, StateError> {
    StateDir::resolve(dir, &|k| std::env::var(k).ok())
}
