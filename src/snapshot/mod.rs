//! Configuration snapshots (PROC-VMS-001 §03; docs/state.md): the full export
//! of a VMS, labelled with date, time and operator, kept at least six months.
//!
//! One file per snapshot, `STATE/snapshots/SITE/ID.json.zst`, written atomically:
//! the zstd compression of
//! `{"format":"vmsops-snapshot/v1","meta":{…},"export":…,"sha256":"…"}`, where
//! `sha256` is the SHA-256 of the canonical JSON ([`crate::canonical`]) of
//! `{"export": EXPORT, "meta": META}` (uncompressed: the hash names the content,
//! not how it is stored; `ID.json` files from before compression still read).
//! Loading verifies it, and checks that
//! the snapshot sits in its own site's folder, so a restore never applies a
//! damaged file or another site's configuration.
//!
//! Pruning never removes a snapshot younger than the `snapshot_retention_days`
//! it recorded (at least [`MIN_RETENTION_DAYS`]), whatever it is asked. Nothing
//! here talks to a VMS, journals or prints: callers do.

mod db;
mod dir;
pub mod id;
mod shelf;
mod store;

use schemars::JsonSchema;
use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use store::{PrunePlan, Retained, SnapshotStore};

/// The `format` of a snapshot file.
pub const FORMAT: &str = "vmsops-snapshot/v1";

/// The procedure's floor: snapshots are kept at least six months.
pub const MIN_RETENTION_DAYS: u32 = 183;

/// What a snapshot records besides the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapshotMeta {
    /// The site.
    pub site: String,
    /// When the export was read (UTC).
    pub taken_at: Timestamp,
    /// Who took it.
    pub operator: String,
    /// Why, in the operator's words.
    pub reason: Option<String>,
    /// The commit last applied to the site when it was taken (null if none).
    pub commit: Option<String>,
    /// The driver that exported it (only that driver can import it).
    pub driver: String,
    /// The VMS it was read from.
    pub url: String,
    /// The name of the variable that held the API token.
    pub token_env: Option<String>,
    /// The name of the variable that held the user name.
    pub username_env: Option<String>,
    /// The name of the variable that held the password.
    pub password_env: Option<String>,
    /// How long it must be kept, in days (the site's policy then, at least 183).
    pub snapshot_retention_days: u32,
}

impl SnapshotMeta {
    /// The metadata of a snapshot of `site`, taken through `vms`, kept `retention_days` (the site's policy).
    pub fn for_site(
        site: &str,
        vms: &crate::model::VmsEndpoint,
        retention_days: u32,
        taken_at: Timestamp,
        operator: &str,
        reason: Option<String>,
        commit: Option<String>,
    ) -> SnapshotMeta {
        SnapshotMeta {
            site: site.to_string(),
            taken_at,
            operator: operator.to_string(),
            reason,
            commit,
            driver: vms.driver.clone(),
            url: vms.url.clone(),
            token_env: vms.token_env.clone(),
            username_env: vms.username_env.clone(),
            password_env: vms.password_env.clone(),
            snapshot_retention_days: retention_days,
        }
    }

    /// The retention in force for this snapshot: what it recorded, never below the floor.
    pub fn retention_days(&self) -> u32 {
        self.snapshot_retention_days.max(MIN_RETENTION_DAYS)
    }

    /// Until when it must be kept.
    pub fn keep_until(&self) -> Timestamp {
        self.taken_at
            .checked_add(jiff::SignedDuration::from_hours(
                24 * i64::from(self.retention_days()),
            ))
            .unwrap_or(Timestamp::MAX)
    }
}

/// A snapshot read back and verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Its id (the file stem).
    pub id: String,
    /// Its file.
    pub path: PathBuf,
    /// What it records.
    pub meta: SnapshotMeta,
    /// The driver's export, as `Vms::import` takes it.
    pub export: serde_json::Value,
    /// The verified SHA-256.
    pub sha256: String,
}

/// One snapshot as `list` shows it (the JSON of `snapshot list --format json`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SnapshotInfo {
    /// Its id, for `snapshot show` and `restore`.
    pub id: String,
    /// The site.
    pub site: String,
    /// When it was taken.
    pub taken_at: Timestamp,
    /// Who took it.
    pub operator: String,
    /// Why.
    pub reason: Option<String>,
    /// The commit last applied then.
    pub commit: Option<String>,
    /// The SHA-256 it records (verified by `load`, not by `list`).
    pub sha256: String,
    /// Its file.
    #[serde(skip)]
    pub path: PathBuf,
    /// The bytes it takes in the store (compressed).
    #[serde(skip)]
    pub stored_bytes: u64,
    /// Everything it records.
    #[serde(skip)]
    pub meta: SnapshotMeta,
}

impl SnapshotInfo {
    /// The listing of snapshot `id` stored at `path` with `meta` and `sha256`.
    pub fn of(id: String, meta: SnapshotMeta, sha256: String, path: PathBuf) -> SnapshotInfo {
        SnapshotInfo {
            id,
            site: meta.site.clone(),
            taken_at: meta.taken_at,
            operator: meta.operator.clone(),
            reason: meta.reason.clone(),
            commit: meta.commit.clone(),
            sha256,
            path,
            stored_bytes: 0,
            meta,
        }
    }
}

/// Failures of the snapshot store.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// An id given by a user is not of the shape vmsops makes.
    #[error("`{id}` is not a snapshot id (ids look like 20261127T213012Z-claire.martin-7f3a; see `vmsops snapshot list`)")]
    InvalidId {
        /// The id given.
        id: String,
    },
    /// A site name that cannot be a folder name.
    #[error("`{site}` is not a site name ([a-z0-9-], 1 to 63 characters)")]
    InvalidSite {
        /// The name given.
        site: String,
    },
    /// No snapshot has this id.
    #[error("no snapshot `{id}` under {dir} (see `vmsops snapshot list`)")]
    NotFound {
        /// The id.
        id: String,
        /// The snapshots folder.
        dir: PathBuf,
    },
    /// Several sites hold a snapshot with this id.
    #[error("snapshot `{id}` exists for several sites ({sites}): move the wrong one away")]
    Ambiguous {
        /// The id.
        id: String,
        /// The sites.
        sites: String,
    },
    /// A file or folder could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file in the store is not a snapshot vmsops wrote.
    #[error("{path} is not a vmsops snapshot: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The content does not match the recorded SHA-256.
    #[error("{path}: sha256 mismatch: the file records {recorded} but its content hashes to {actual}; it was altered or damaged and must not be restored")]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// The SHA-256 written in the file.
        recorded: String,
        /// The SHA-256 of its content now.
        actual: String,
    },
    /// The snapshot is in another site's folder.
    #[error("{path} is a snapshot of site `{site}` but sits in the folder of `{folder}`; it was moved and must not be restored there")]
    WrongSite {
        /// The file.
        path: PathBuf,
        /// The folder's site.
        folder: String,
        /// The site it records.
        site: String,
    },
    /// The metadata cannot be stored.
    #[error("invalid snapshot metadata: {0}")]
    InvalidMeta(String),
    /// The shared state store failed (or refused, e.g. a snapshot inside its retention).
    #[error(transparent)]
    Store(#[from] crate::state::StateError),
}
