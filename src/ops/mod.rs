//! The orchestration layer: the only code that sequences I/O (git, the VMS, the state store).
//!
//! `cli/` and `watch/` call these functions and render what they return;
//! the pure parts they sequence (`plan`, `gate`, `import`) never call back up.
//! Each operation reads one clock, given by its caller, so that a pinned
//! clock pins every time it writes.

pub mod ack;
pub mod apply;
pub mod blocking;
pub mod clock;
pub mod connection;
pub mod context;
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
pub mod verify;
