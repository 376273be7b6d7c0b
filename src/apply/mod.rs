//! Apply: lock, snapshot, execute the plan's operations, journal each one.

pub mod context;
pub mod executor;
pub mod lock;
pub mod restore;
pub mod site;
