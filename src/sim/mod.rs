//! `vmsops sim`: the reference VMS, a real HTTP server implementing the API
//! of docs/reference-vms-api.md, for trying vmsops with nothing else installed, for
//! tests, and as the model for new drivers.
//!
//! [`Sim::open`] loads (or creates) the state; [`Sim::serve`] answers on a
//! listener until a shutdown signal. The server never prints: the command
//! layer prints the bound address, and logs go through `tracing`.
//!
//! Design: one in-memory [`store::VmsData`] changed only by journaled records
//! ([`engine`]), appended and fsynced to the state file before a 2xx
//! ([`persist`]); versions come from one increasing revision, so an id that
//! is deleted and created again never reuses a version.
//!
//! Where the API leaves a choice, the server does this:
//! - `If-Match` missing on `PUT`/`DELETE` of an existing object: 428
//!   Precondition Required (RFC 6585), so a forgotten header is told apart
//!   from a lost race (412). `PUT /alert-rules/{kind}` without `If-Match` is a
//!   create, so an existing rule is 412, as the API says. `If-Match: *` and
//!   lists of entity tags are accepted.
//! - Validation runs before preconditions; 404 before 428/412; read-only
//!   vendor/model/firmware are checked last (422).
//! - `limit` is 1..=1000 (default 100) for cameras, 0..=1000 (default 1000)
//!   for the journal; out of range is 400. The journal answer also carries
//!   `last_seq`, so `?limit=0` tells its current end.
//! - `GET /api/v1/config` has `ETag: "REVISION"`; `PUT` accepts it as
//!   `If-Match` (optional) and answers 200 with the new export.
//! - Journal actions: `camera.create|update|delete`, `alert.create|update|delete`,
//!   `settings.update`, `config.import`; the target is the camera id, the alert
//!   kind, `settings` or `config` (empty if a create body named no id).
//! - Bodies: 256 KiB, and for `/api/v1/config` the import limit (413 past it):
//!   by default 64 MiB, sized for the largest supported configuration (100,000
//!   cameras), `--max-import-bytes` to change it; the import is parsed as it
//!   streams in, never buffered whole. `GET /api/v1/health` states
//!   it: `{"status":"ok","max_import_bytes":N}`. Malformed JSON is 400, a
//!   wrong shape or value 422; unknown fields are ignored.
//! - No tokens are ever written to the state file.
//! - `--seed DIR` creates a site folder's cameras in a state that holds none,
//!   journaled as `camera.create` by the user `seed` ([`seed`]).
//! - `GET /api/v1/cameras/{id}/status` emulates the camera's stream ([`streams`]):
//!   `--connect-ms`, `--unreachable-host`; restarts are kept in memory only.

pub mod api_error;
pub mod auth;
pub mod engine;
pub mod error;
pub mod faults;
pub mod journal;
pub mod model;
pub mod persist;
pub mod recordings;
pub mod routes;
pub mod seed;
pub mod store;
pub mod streams;
pub mod validate;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

pub use auth::Tokens;
pub use error::SimError;
pub use faults::{FailAfter, FaultConfig};

use engine::Engine;
use faults::Faults;
use persist::Store;
use recordings::{Seeds, Span};
use store::VmsData;

/// Validated settings of a simulator.
#[derive(Debug, Clone, Default)]
pub struct SimConfig {
    /// Accepted bearer tokens; at least one.
    pub tokens: Tokens,
    /// Where the state is kept; None keeps it in memory only.
    pub state_file: Option<PathBuf>,
    /// Recording spans to preset at start.
    pub seed_recordings: Option<PathBuf>,
    /// Cameras to create in a fresh state at start (`--seed DIR`); refused if the state holds cameras.
    pub seed_cameras: Vec<crate::model::Camera>,
    /// Faults to inject.
    pub faults: FaultConfig,
    /// Largest full import accepted (`PUT /api/v1/config`); `None`: [`DEFAULT_MAX_IMPORT_BYTES`].
    pub max_import_bytes: Option<usize>,
    /// How camera streams behave (`--connect-ms`, `--unreachable-host`).
    pub streams: streams::StreamConfig,
}

/// The import limit by default: the export of 100,000 cameras fits with room to spare.
pub const DEFAULT_MAX_IMPORT_BYTES: usize = 64 << 20;

/// A loaded reference VMS, ready to serve.
pub struct Sim {
    app: routes::App,
}

/// Counts shown when the simulator starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Cameras in the state.
    pub cameras: usize,
    /// Alert rules in the state.
    pub alert_rules: usize,
    /// Journal entries.
    pub journal: usize,
}

impl Sim {
    /// Loads the state file (or starts fresh) and applies seeds.
    pub fn open(config: SimConfig) -> Result<Sim, SimError> {
        if config.tokens.is_empty() {
            return Err(SimError::NoTokens);
        }
        config.faults.validate()?;
        let (mut data, mut store) = match &config.state_file {
            Some(path) => {
                let (data, store) = Store::open(path)?;
                (data, Some(store))
            }
            None => (VmsData::default(), None),
        };
        let now = jiff::Timestamp::now();
        if !config.seed_cameras.is_empty() {
            seed::seed(&mut data, config.seed_cameras.clone(), now)?;
            if let Some(store) = store.as_mut() {
                store.compact(&data)?;
            }
        }
        if let Some(path) = &config.seed_recordings {
            let seeds = read_seeds(path)?;
            for (id, seed) in &seeds {
                let span = Span::seeded(seed, data.cameras.get(id), now);
                data.recordings.insert(id.clone(), span);
            }
            if let Some(store) = store.as_mut() {
                store.compact(&data)?;
            }
        }
        let engine = Engine::new(
            data,
            store,
            Faults::new(config.faults.clone()),
            streams::Streams::start(config.streams.clone()),
        );
        Ok(Sim {
            app: routes::App {
                engine: Arc::new(engine),
                tokens: Arc::new(config.tokens),
                latency: config.faults.latency,
                max_import_bytes: config.max_import_bytes.unwrap_or(DEFAULT_MAX_IMPORT_BYTES),
            },
        })
    }

    /// What the loaded state holds.
    pub fn summary(&self) -> Summary {
        self.app
            .engine
            .read(|s| Summary {
                cameras: s.cameras.len(),
                alert_rules: s.alert_rules.len(),
                journal: s.journal.len(),
            })
            .unwrap_or(Summary {
                cameras: 0,
                alert_rules: 0,
                journal: 0,
            })
    }

    /// The HTTP service, for embedding.
    pub fn router(&self) -> axum::Router {
        routes::router(self.app.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then finishes the requests in flight.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), SimError> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(SimError::Serve)
    }
}

fn read_seeds(path: &std::path::Path) -> Result<Seeds, SimError> {
    let err = |reason: String| SimError::Seed {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let seeds: Seeds = serde_json::from_slice(&bytes).map_err(|e| {
        err(format!(
            "{e}; expected {{\"CAMERA_ID\": {{\"oldest\": RFC3339, \"newest\": RFC3339, \"bytes\": N}}}}"
        ))
    })?;
    for (id, seed) in &seeds {
        if let (Some(o), Some(n)) = (seed.oldest, seed.newest) {
            if n < o {
                return Err(err(format!("{id}: newest is before oldest")));
            }
        }
    }
    Ok(seeds)
}
