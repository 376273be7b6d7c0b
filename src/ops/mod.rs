//! The orchestration layer: the only code that sequences I/O (git, the VMS, the state store).
//!
//! `cli/` and `watch/` call these functions and render what they return;
//! the pure parts they sequence (`plan`, `gate`, `import`) never call back up.
//! Each operation reads one clock, given by its caller, so that a pinned
//! clock pins every time it writes.
//!
//! The types the command layer and `watch` render from the leaves (the state
//! store, snapshots, the live configuration) are re-exported here: above
//! `ops`, nothing names `state`, `snapshot`, `driver` or `git`.

pub mod ack;
pub mod anchors;
pub mod apply;
pub mod audit;
pub mod blocking;
pub mod clock;
pub mod connection;
pub mod context;
pub mod cycle;
pub mod drift;
pub mod execute;
pub mod fleet;
pub mod gated_plan;
pub mod import;
pub mod migrate;
pub mod plan;
pub mod restore;
pub mod review;
pub mod seed;
pub mod snapshot;
pub mod status;
pub mod store;
pub mod verify;
pub mod vms_journal;

pub use crate::driver::{Capabilities, LiveConfig};
pub use crate::snapshot::{PrunePlan, Snapshot, SnapshotInfo, SnapshotMeta, MIN_RETENTION_DAYS};
pub use crate::state::atomic::{write_atomic, write_atomic_with};
pub use crate::state::{is_postgres, Holder, KnownRequestIds, Notified, StateError, StateStore};
