//! `vmsops sim` through raw HTTP: the reference VMS API of SPEC section 4.

mod auth;
mod bodies;
mod cameras;
mod config;
mod faults;
mod journal;
mod logs;
mod pagination;
mod persistence;
mod recordings;
mod seed;
mod status;
