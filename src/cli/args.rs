//! Clap options shared by several commands, declared once so that their names, defaults and help agree.
//!
//! Only declarations and the one-line conversions that go with them: no
//! command logic, no I/O beyond reading the environment for defaults.

use std::path::PathBuf;

use vmsops::ops::fleet;
use vmsops::ops::{StateError, StateStore};

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
    #[command(flatten)]
    pub state: StateArgs,
}

impl FleetArgs {
    /// The state store these options name.
    pub fn state(&self) -> Result<StateStore, StateError> {
        self.state.open()
    }
}

/// Where the state lives: a directory, or the shared PostgreSQL store.
#[derive(Debug, Clone, clap::Args)]
pub struct StateArgs {
    /// State: a directory or a postgres:// URL (default: $VMSOPS_STATE_DIR, $XDG_STATE_HOME/vmsops, ~/.local/state/vmsops).
    // A PostgreSQL URL may carry a password: `--help` names the variable, never its value.
    #[arg(
        long,
        env = "VMSOPS_STATE",
        hide_env_values = true,
        value_name = "LOCATION",
        global = true
    )]
    pub state: Option<String>,
    /// A state directory (the same as --state DIR).
    #[arg(
        long,
        env = "VMSOPS_STATE_DIR",
        value_name = "DIR",
        global = true,
        hide_env_values = true
    )]
    pub state_dir: Option<PathBuf>,
}

impl StateArgs {
    /// The store: `--state` (or `VMSOPS_STATE`), else `--state-dir` (or `VMSOPS_STATE_DIR`), else the default directory.
    pub fn open(&self) -> Result<StateStore, StateError> {
        StateStore::open(self.state.as_deref(), self.state_dir.as_deref(), &|k| {
            std::env::var(k).ok()
        })
    }
}

/// `--format` of the commands that report a result as text or as one JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ResultFormat {
    /// For people.
    Text,
    /// One JSON document on stdout, with `format_version` (its schema: `vmsops schema --kind`).
    Json,
}
