//! The execution engine: the one way apply, rollback and restore change a VMS.
//!
//! What to change is decided before it is called; the engine binds each
//! operation to its payload and `If-Match` version ([`bind`]), sends the
//! operations creates → updates → deletes, `parallelism` at a time, stopping at
//! the first failure or on a signal ([`executor`]), and journals each one's start
//! and end through the journal's group commit ([`journaling`]). A snapshot is
//! put back by [`import`]: one full import, or, over the product's import limit,
//! per-object operations sent by that same executor ([`objects`]). An apply's
//! rollback puts back only the objects the apply wrote, each with `If-Match` on
//! the version its write produced ([`rollback`]).
//!
//! It must never: send a request whose start is not journaled (fsynced); start a
//! new operation after a failure or an interruption (those in flight finish and
//! are journaled); judge, lock or snapshot (its callers do, first); print; or
//! depend on its callers (`ops::apply`, `ops::restore`), so that both can use it.

pub mod bind;
pub mod executor;
pub mod import;
pub(crate) mod journaling;
pub(crate) mod objects;
pub mod rollback;

pub use bind::{bind, BindError, BoundOp, Payload};
pub use executor::{execute, Execution, Outcome, Progress, StepFailure, StepResult};
pub use import::{RestoreFailure, RestoreMethod};
pub use objects::ObjectsFailed;
pub use rollback::{NotRolledBack, RollbackMethod, RollbackSummary, RolledBack, SkipReason};
