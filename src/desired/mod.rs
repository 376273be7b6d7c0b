//! The desired state: the YAML model, loading it from git, and validating it.
//!
//! Never prints and never talks to a VMS. `load` reads what a revision holds,
//! `validate` checks it; both report problems as [`Diagnostic`]s with positions.

pub mod diagnostic;
pub mod effective;
pub mod load;
pub mod model;
pub mod render;
pub mod schema;
pub mod signers;
pub mod validate;
pub mod yaml;

pub use crate::git::{Tree, WORKTREE};
pub use diagnostic::{Diagnostic, Severity};
pub use load::{load, CameraDoc, DesiredRepo, LoadError, SiteDoc};
