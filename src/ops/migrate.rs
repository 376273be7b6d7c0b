//! `state migrate`: a local state directory copied into the shared store, unchanged.
//!
//! The journal keeps its bytes and hashes, snapshots their ids and sha256;
//! the store's journal must be a prefix of the source's (nothing is ever
//! rewritten), and the chain is verified after the copy. Rerunning copies
//! nothing new.

use crate::audit::journal::split_lines;
use crate::audit::{verify, AuditError, Journal};
use crate::snapshot::{SnapshotError, SnapshotStore};
use crate::state::pg::SnapshotRow;
use crate::state::{StateError, StateStore};

/// What a migration copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Migrated {
    /// Journal entries copied (those already in the store are not).
    pub entries: usize,
    /// Journal entries the store now holds.
    pub total_entries: u64,
    /// Snapshots copied.
    pub snapshots: usize,
    /// Applied records and baselines copied.
    pub records: usize,
}

/// Why a migration refused or failed; the store is unchanged when it refuses.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The destination is not a PostgreSQL store.
    #[error("migrate copies into a postgres:// store; --state names a directory")]
    NotShared,
    /// The source journal's chain is broken: it is not copied.
    #[error("the source journal is broken at line {line} ({why}): nothing was copied; run `vmsops audit verify --state-dir DIR`")]
    SourceBroken {
        /// The first broken line.
        line: usize,
        /// Why.
        why: String,
    },
    /// The store's journal is not a prefix of the source's.
    #[error("the store's journal differs from the source's at entry #{seq}: it is not a prefix, so nothing was copied")]
    NotAPrefix {
        /// The first entry that differs.
        seq: usize,
    },
    /// The chain in the store does not verify after the copy.
    #[error("after the copy the store's journal breaks at line {line}")]
    BrokenAfter {
        /// The first broken line.
        line: usize,
    },
    /// The journal could not be read or written.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// A snapshot could not be read or stored.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// A record could not be read or written.
    #[error(transparent)]
    State(#[from] StateError),
}

/// Copies the state directory `from` into the shared store `to`.
pub fn migrate(from: &StateStore, to: &StateStore) -> Result<Migrated, MigrateError> {
    let pg = to.pg().ok_or(MigrateError::NotShared)?;
    let source = Journal::open(from).read_bytes()?;
    let report = verify::verify_bytes(&source, &[]);
    if let Some(b) = &report.broken {
        return Err(MigrateError::SourceBroken {
            line: b.line,
            why: format!("{:?}", b.kind),
        });
    }
    let src: Vec<&[u8]> = split_lines(&source).into_iter().map(|(l, _)| l).collect();
    let dst_bytes = Journal::open(to).read_bytes()?;
    let dst: Vec<&[u8]> = split_lines(&dst_bytes)
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    if let Some(i) = (0..dst.len()).find(|&i| src.get(i) != Some(&dst[i])) {
        return Err(MigrateError::NotAPrefix { seq: i + 1 });
    }
    let mut rows = Vec::new();
    for line in &src[dst.len()..] {
        let text = String::from_utf8_lossy(line).into_owned();
        let e =
            crate::audit::Entry::from_line(&text).map_err(|reason| MigrateError::SourceBroken {
                line: rows.len() + dst.len() + 1,
                why: reason,
            })?;
        rows.push((e.seq, e.hash, text));
    }
    let mut done = Migrated {
        entries: rows.len(),
        ..Migrated::default()
    };
    if !rows.is_empty() {
        pg.journal_copy(rows).map_err(|e| to.db_error(e))?;
    }
    done.snapshots = copy_snapshots(from, to)?;
    for site in from.sites()? {
        if to.applied(&site)?.is_none() {
            if let Some(a) = from.applied(&site)? {
                to.set_applied(&site, &a)?;
                done.records += 1;
            }
        }
        if to.baseline(&site)?.is_none() {
            if let Some(b) = from.baseline(&site)? {
                to.set_baseline(&site, &b)?;
                done.records += 1;
            }
        }
    }
    let after = Journal::open(to).verify()?;
    if let Some(b) = after.broken {
        return Err(MigrateError::BrokenAfter { line: b.line });
    }
    done.total_entries = after.entries;
    Ok(done)
}

/// Copies every verified snapshot the store does not hold yet, with its id and bytes.
fn copy_snapshots(from: &StateStore, to: &StateStore) -> Result<usize, MigrateError> {
    let Some(pg) = to.pg() else { return Ok(0) };
    let source = SnapshotStore::new(from);
    let mut copied = 0;
    for info in source.list(None)? {
        if pg.snapshot(&info.id).map_err(|e| to.db_error(e))?.is_some() {
            continue;
        }
        // Loading verifies the sha256: a damaged snapshot is not carried over.
        source.load(&info.id)?;
        let body = source.stored_body(&info)?;
        let row = SnapshotRow {
            id: info.id.clone(),
            site: info.site.clone(),
            body,
        };
        if pg
            .insert_snapshot(
                row,
                info.taken_at,
                info.meta.keep_until(),
                info.sha256.clone(),
            )
            .map_err(|e| to.db_error(e))?
        {
            copied += 1;
        }
    }
    Ok(copied)
}
