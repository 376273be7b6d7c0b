//! Integration tests: the real `vmsops` binary against real repositories (and, where
//! a VMS is needed, a real `vmsops sim` on a loopback port the OS picks).

mod bad_input;
mod ci_examples;
mod fixture;
mod schema;
mod validate;
