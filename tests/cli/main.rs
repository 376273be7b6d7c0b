//! Integration tests: the real `vmsops` binary and the library against a real
//! `vmsops sim` on a free loopback port. One test binary keeps link times down.

mod driver;
mod sim;
mod support;
