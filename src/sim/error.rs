//! Why the reference VMS cannot start or keep its state.
//!
//! Must never carry a token: a malformed `USER:TOKEN` entry is named by its
//! origin and position only.

use std::path::PathBuf;

/// A failure of the simulator itself (not an API answer).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// No `--token` and no `VMSOPS_SIM_TOKENS`: every request would be refused.
    #[error(
        "no API token: give --token USER:TOKEN or set VMSOPS_SIM_TOKENS=USER:TOKEN[,USER:TOKEN…]"
    )]
    NoTokens,
    /// A `USER:TOKEN` entry is malformed (the entry itself is not shown: it holds a secret).
    #[error("{origin} entry {index}: {reason}")]
    Token {
        /// `--token` or `VMSOPS_SIM_TOKENS`.
        origin: &'static str,
        /// 1-based position among the entries of that origin.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A flag value is out of range or malformed.
    #[error("{flag}: {reason}")]
    Flag {
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The state file could not be read or written.
    #[error("state file {}", path.display())]
    StateIo {
        /// The state file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The state file is not one this simulator wrote.
    #[error("state file {} is corrupt at line {line}: {reason}", path.display())]
    StateCorrupt {
        /// The state file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The `--seed-recordings` file cannot be used.
    #[error("--seed-recordings {}: {reason}", path.display())]
    Seed {
        /// The seed file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// `--seed` was given for a state that already holds cameras.
    #[error("--seed: the state already holds {cameras} camera(s); seeding only fills a fresh state (drop --seed to keep this one, or give a new --state file)")]
    SeedNotEmpty {
        /// How many cameras the state holds.
        cameras: usize,
    },
    /// A `--seed` camera is not one the VMS would accept.
    #[error("--seed: camera {id}: {reason}")]
    SeedCamera {
        /// The camera id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// The server stopped on an I/O error.
    #[error("serving HTTP")]
    Serve(#[source] std::io::Error),
}
