//! vmsops: keeps video-management systems in the state a git repository declares.
//!
//! Code map (data flows one way: desired + live → plan → gate → apply → journal):
//! - [`desired`]: the YAML model, loading a revision from git, validation with positions.
//! - [`driver`]: the `Vms` trait that reads and changes a live VMS; the `reference` and `zoneminder` drivers.
//! - [`sim`]: `vmsops sim`, the reference VMS server that the `reference` driver talks to.
//! - [`plan`]: desired × live → operations (pure), and their renderings.
//! - [`gate`]: the PROC-VMS-001 checks over a plan (pure), and the git facts they need.
//! - [`apply`]: one site's apply (lock, gate, snapshot, executor, journal) and restore.
//! - [`drift`], [`fleet`]: reading many VMSs concurrently; drift = plan without gate + out-of-band changes.
//! - [`import`]: site files from a live configuration (pure).
//! - [`state`], [`atomic`]: the state directory, written atomically.
//! - [`snapshot`]: configuration snapshots (export + metadata, sha256, retention).
//! - [`audit`]: the hash-chained journal of every operation, `verify`, the monthly review.
//! - [`connection`]: a site's VMS connection at its last applied commit (snapshot, restore, review).
//! - [`canonical`]: the canonical JSON that journal hashes and snapshot sha256s are computed over.
//! - [`watch`]: the long-running drift service (metrics, webhooks) and reconcile loop.
//! - [`duration`]: `30s`, `15m`, `6h`, `200d` on the command line.
//! - [`exit`]: the exit-code table shared by every command.
//!
//! The library never prints: it returns values and diagnostics; the `vmsops`
//! binary (`src/cli/`) renders them.

#![forbid(unsafe_code)]
#![deny(clippy::dbg_macro, clippy::print_stdout, clippy::print_stderr)]

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
