//! Integration tests: the real `vmsops` binary (and the library) against real
//! repositories built by the tests and a real `vmsops sim` on a loopback port
//! the OS picks. One test binary keeps link times down.

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
