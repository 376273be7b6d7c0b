//! `snapshot create|show|prune --format json`: the documents they print.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use vmsops::ops::{PrunePlan, SnapshotInfo, SnapshotMeta};

use super::output::FORMAT_VERSION;

/// One snapshot, as `snapshot create` took it or `snapshot show` verified it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SnapshotDocument {
    /// Always 1.
    pub format_version: u32,
    /// Its id, for `snapshot show` and `restore`.
    pub id: String,
    /// What it records: site, time, operator, reason, commit, driver, URL, the
    /// names of the credential variables (never their values).
    #[serde(flatten)]
    pub meta: SnapshotMeta,
    /// How long it is kept, in days (the recorded retention, at least 183).
    pub retention_days: u32,
    /// It may be pruned from then on.
    pub keep_until: Timestamp,
    /// SHA-256 of its canonical content (verified).
    pub sha256: String,
    /// Where it is stored.
    pub file: String,
    /// How many items each list of the export holds, e.g. `{"cameras": 10}`.
    pub contents: BTreeMap<String, usize>,
}

impl SnapshotDocument {
    /// The document of a snapshot.
    pub fn new(id: &str, file: &Path, sha256: &str, meta: &SnapshotMeta, export: &Value) -> Self {
        let contents = export
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_array()?.len())))
            .collect();
        Self {
            format_version: FORMAT_VERSION,
            id: id.into(),
            meta: meta.clone(),
            retention_days: meta.retention_days(),
            keep_until: meta.keep_until(),
            sha256: sha256.into(),
            file: file.display().to_string(),
            contents,
        }
    }
}

/// What `snapshot prune` removed and kept.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PruneDocument {
    /// Always 1.
    pub format_version: u32,
    /// Removed (each removal journaled).
    pub removed: Vec<SnapshotInfo>,
    /// Old enough, but still inside their retention.
    pub kept: Vec<KeptSnapshot>,
}

/// A snapshot pruning kept for its retention.
#[derive(Debug, Serialize, JsonSchema)]
pub struct KeptSnapshot {
    /// The snapshot.
    #[serde(flatten)]
    pub snapshot: SnapshotInfo,
    /// The retention it recorded, in days.
    pub retention_days: u32,
    /// It may be removed from then on.
    pub until: Timestamp,
}

impl PruneDocument {
    /// The document of a prune.
    pub fn new(plan: &PrunePlan) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            removed: plan.remove.clone(),
            kept: plan
                .retained
                .iter()
                .map(|r| KeptSnapshot {
                    snapshot: r.snapshot.clone(),
                    retention_days: r.retention_days,
                    until: r.until,
                })
                .collect(),
        }
    }
}
