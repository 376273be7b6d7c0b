//! The state store: where the journal, snapshots, site locks, applied commits and baselines live.
//!
//! A directory on storage distinct from the VMS (PROC-VMS-001 §03), or the
//! PostgreSQL database a team shares; the kind is chosen once, when the store
//! opens. Every record is written atomically and every change to a site is
//! serialised by its lock. Nothing here talks to a VMS or reads git.

pub mod atomic;
pub mod lock;
pub mod pg;
pub mod store;

pub use atomic::write_atomic;
pub use lock::{Holder, LockError, SiteLock};
pub use store::{
    is_postgres, Applied, Baseline, KnownRequestIds, Notified, StateError, StateStore,
};
