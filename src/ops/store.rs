//! The state store as `vmsops state` shows it: its schema made or migrated, and what it holds per site.

use super::blocking::blocking;
use crate::audit::{AuditError, Journal};
use crate::state::{Holder, StateError, StateStore};

/// Why the store could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// Its journal failed.
    #[error(transparent)]
    Journal(#[from] AuditError),
}

/// The schema of a PostgreSQL store, made or migrated.
#[derive(Debug)]
pub struct Initialised {
    /// The version before (`None`: there was no schema).
    pub before: Option<i32>,
    /// The version now.
    pub after: i32,
    /// The grants of the least-privilege and auditor roles.
    pub grants: String,
}

/// Creates or migrates the store's schema (idempotent; refuses a newer schema).
pub fn init(store: &StateStore) -> Result<Initialised, StateError> {
    blocking(|| {
        let (before, after) = store.init()?;
        Ok(Initialised {
            before,
            after,
            grants: store.grants().unwrap_or_default(),
        })
    })
}

/// A journal entry's position and hash.
#[derive(Debug, Clone)]
pub struct Head {
    /// Its `seq`.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
}

/// What the store holds for one site.
#[derive(Debug)]
pub struct SiteRecords {
    /// The site.
    pub site: String,
    /// The last commit applied.
    pub applied_commit: Option<String>,
    /// The baseline's VMS journal cursor and why it was recorded.
    pub baseline: Option<(Option<String>, String)>,
    /// The site's last journal entry.
    pub journal_head: Option<Head>,
    /// Who holds its lock now.
    pub lock_holder: Option<Holder>,
}

/// What the store holds.
#[derive(Debug)]
pub struct StoreStatus {
    /// The schema version (a directory has none).
    pub schema_version: Option<i32>,
    /// The journal's last entry.
    pub journal_head: Option<Head>,
    /// Per site.
    pub sites: Vec<SiteRecords>,
}

/// The store's schema, journal head and per-site records.
pub fn status(store: &StateStore) -> Result<StoreStatus, StoreError> {
    blocking(|| {
        let entries = Journal::open(store).read()?;
        let head = |site: Option<&str>| {
            entries
                .iter()
                .rev()
                .find(|e| site.is_none() || e.site.as_deref() == site)
                .map(|e| Head {
                    seq: e.seq,
                    hash: e.hash.clone(),
                })
        };
        let mut holders = store.lock_holders()?;
        let mut sites = Vec::new();
        for site in store.sites()? {
            let lock_holder = holders
                .iter()
                .position(|(s, _)| s == &site)
                .map(|i| holders.swap_remove(i).1);
            sites.push(SiteRecords {
                applied_commit: store.applied(&site)?.map(|a| a.commit),
                baseline: store.baseline(&site)?.map(|b| (b.journal_cursor, b.reason)),
                journal_head: head(Some(&site)),
                lock_holder,
                site,
            });
        }
        Ok(StoreStatus {
            schema_version: store.schema_version()?,
            journal_head: head(None),
            sites,
        })
    })
}
