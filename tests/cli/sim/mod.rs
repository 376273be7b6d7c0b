//! `vmsops sim` through raw HTTP: the reference VMS API of docs/reference-vms-api.md.

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

crate::trials! {
    mod auth,
    mod bodies,
    mod cameras,
    mod config,
    mod faults,
    mod journal,
    mod logs,
    mod pagination,
    mod persistence,
    mod recordings,
    mod seed,
    mod status,
}
