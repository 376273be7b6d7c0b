//! Snapshots as rows of `vmsops.snapshots` in the shared PostgreSQL store.
//!
//! The database refuses to delete a row younger than its retention, whoever asks.

use std::path::PathBuf;
use std::sync::Arc;

use super::shelf::{Shelf, Stored};
use super::{SnapshotError, SnapshotInfo, SnapshotMeta};
use crate::state::pg::{PgError, PgStore, SnapshotBody, SnapshotRow};
use crate::state::StateError;

/// How many ids are tried before giving up.
const MAX_ID_ATTEMPTS: usize = 4096;

/// The snapshots of a PostgreSQL store.
#[derive(Debug)]
pub(super) struct DbShelf {
    pg: Arc<PgStore>,
}

impl DbShelf {
    /// The shelf of `pg`.
    pub fn new(pg: Arc<PgStore>) -> DbShelf {
        DbShelf { pg }
    }

    fn db(&self, source: PgError) -> SnapshotError {
        StateError::Store {
            store: self.pg.display(),
            source,
        }
        .into()
    }

    fn not_found(&self, id: &str) -> SnapshotError {
        SnapshotError::NotFound {
            id: id.to_string(),
            dir: self.root(),
        }
    }

    fn stored(&self, row: SnapshotRow) -> Stored {
        Stored {
            path: self.root().join(&row.id),
            id: row.id,
            site: row.site,
            body: row.body,
        }
    }
}

impl Shelf for DbShelf {
    fn root(&self) -> PathBuf {
        PathBuf::from("vmsops.snapshots")
    }

    fn insert(
        &self,
        meta: &SnapshotMeta,
        body: SnapshotBody,
        sha256: &str,
        next_id: &mut dyn FnMut() -> String,
    ) -> Result<(String, PathBuf), SnapshotError> {
        for _ in 0..MAX_ID_ATTEMPTS {
            let id = next_id();
            let row = SnapshotRow {
                id: id.clone(),
                site: meta.site.clone(),
                body: body.clone(),
            };
            let stored = self
                .pg
                .insert_snapshot(row, meta.taken_at, meta.keep_until(), sha256.to_string())
                .map_err(|e| self.db(e))?;
            if stored {
                let path = self.root().join(&id);
                return Ok((id, path));
            }
        }
        Err(super::store::no_free_id(meta))
    }

    fn all(&self, site: Option<&str>) -> Result<Vec<Stored>, SnapshotError> {
        let rows = self.pg.snapshots(site).map_err(|e| self.db(e))?;
        Ok(rows.into_iter().map(|r| self.stored(r)).collect())
    }

    fn get(&self, id: &str) -> Result<Stored, SnapshotError> {
        let row = self
            .pg
            .snapshot(id)
            .map_err(|e| self.db(e))?
            .ok_or_else(|| self.not_found(id))?;
        Ok(self.stored(row))
    }

    fn body(&self, info: &SnapshotInfo) -> Result<SnapshotBody, SnapshotError> {
        Ok(self.get(&info.id)?.body)
    }

    fn remove(&self, info: &SnapshotInfo) -> Result<(), SnapshotError> {
        self.pg.delete_snapshot(&info.id).map_err(|e| self.db(e))
    }
}
