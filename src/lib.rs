//! vmsops: keeps video-management systems in the state a git repository declares.
//!
//! Code map (data flows one way: desired + live → plan → gate → apply → journal):
//! - [`model`]: the domain vocabulary (schedules, cameras, alert rules, the procedure's numbers); imports nothing.
//! - [`desired`]: the YAML files as types, loading a revision, validation with positions.
//! - [`git`]: every git2 call (trees at a revision, history, approval tags, notes).
//! - [`plan`]: desired × live → operations (pure), and their renderings.
//! - [`gate`]: the PROC-VMS-001 checks over a plan (pure).
//! - [`driver`]: the `Vms` trait and the `reference` and `zoneminder` drivers.
//! - [`sim`]: `vmsops sim`, the reference VMS server.
//! - [`ops`]: the orchestration layer (gated plan, apply, restore, snapshots, drift, import, review).
//! - [`state`]: the state store (directory, atomic writes, site locks).
//! - [`audit`], [`canonical`]: the hash-chained journal, `verify`, the monthly review.
//! - [`snapshot`]: configuration snapshots (export + metadata, sha256, retention).
//! - [`import`]: site files from a live configuration (pure).
//! - [`safe_text`]: external text made safe for a terminal and for markdown.
//! - [`watch`]: the long-running drift service and reconcile loop.
//! - [`duration`], [`exit`]: durations on the command line; the exit-code table.
//!
//! The library never prints: it returns values and diagnostics; the `vmsops`
//! binary (`src/cli/`) renders them.

#![forbid(unsafe_code)]
#![deny(clippy::dbg_macro, clippy::print_stdout, clippy::print_stderr)]
// A function over 80 lines (clippy.toml) is split into named steps; `-D warnings` makes it an error.
#![warn(clippy::too_many_lines)]

pub mod audit;
pub mod canonical;
pub mod desired;
pub mod driver;
pub mod duration;
pub mod exit;
pub mod gate;
pub mod git;
pub mod import;
pub mod model;
pub mod ops;
pub mod plan;
pub mod retry;
pub mod safe_text;
pub mod sim;
pub mod snapshot;
pub mod state;
pub mod watch;

/// An error and its causes on one line: `outer: inner: root`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}
