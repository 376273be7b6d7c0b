//! Integration tests: the real `vmsops` binary (and the library) against real
//! repositories built by the tests and a real `vmsops sim` on a loopback port
//! the OS picks. One test binary keeps link times down.
//!
//! Its harness is [`harness`] (libtest-mimic, `harness = false` in Cargo.toml): each
//! module lists its tests with `crate::trials!`; the same names, filters and flags as
//! libtest, and a test whose server or tool is missing shows as ignored, with why.

mod apply;
mod architecture;
mod audit;
mod bad_input;
mod ci_examples;
mod demo;
mod docs;
mod drift_status;
mod driver;
mod fixture;
mod harness;
mod reconcile;
mod schema;
mod sim;
mod snapshot;
mod state;
mod status;
mod support;
mod usage;
mod validate;
mod walkthrough;
mod watch;
mod zoneminder;

fn main() -> std::process::ExitCode {
    harness::main(
        [
            apply::trials(),
            architecture::trials(),
            audit::trials(),
            bad_input::trials(),
            ci_examples::trials(),
            demo::trials(),
            docs::trials(),
            drift_status::trials(),
            driver::trials(),
            reconcile::trials(),
            schema::trials(),
            sim::trials(),
            snapshot::trials(),
            state::trials(),
            status::trials(),
            usage::trials(),
            validate::trials(),
            walkthrough::trials(),
            watch::trials(),
            zoneminder::trials(),
        ]
        .into_iter()
        .flatten()
        .collect(),
    )
}
