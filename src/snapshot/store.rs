//! The snapshot files under `STATE/snapshots/`: create, list, load (verified), prune.
//!
//! Never overwrites a snapshot (ids are chosen under a lock, checked free),
//! never hands out one whose sha256 does not verify, and never removes one
//! inside its retention.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use super::db::DbShelf;
use super::dir::DirShelf;
use super::shelf::{Shelf, Stored};
use super::{id, Snapshot, SnapshotError, SnapshotInfo, SnapshotMeta, FORMAT, MIN_RETENTION_DAYS};
use crate::canonical;
use crate::state::pg::SnapshotBody;
use crate::state::StateStore;

/// A snapshot file as written today: the JSON, zstd-compressed.
pub(super) const COMPRESSED: &str = ".json.zst";
/// A snapshot file written before snapshots were compressed: the JSON itself.
pub(super) const PLAIN: &str = ".json";
/// zstd's level: exports are repetitive, so a fast level already takes them below a tenth.
const ZSTD_LEVEL: i32 = 3;

/// The snapshot JSON of a stored body, decompressed when it is compressed.
fn unpack(body: &SnapshotBody, path: &Path) -> Result<Vec<u8>, SnapshotError> {
    match body {
        SnapshotBody::Text(t) => Ok(t.as_bytes().to_vec()),
        SnapshotBody::Zstd(z) => {
            zstd::decode_all(z.as_slice()).map_err(|e| SnapshotError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("not a readable zstd frame: {e}"),
            })
        }
    }
}

/// How many bytes a stored body takes.
fn stored_len(body: &SnapshotBody) -> u64 {
    match body {
        SnapshotBody::Text(t) => t.len() as u64,
        SnapshotBody::Zstd(z) => z.len() as u64,
    }
}

/// The id of a snapshot file name (`ID.json.zst` or `ID.json`), if it is one.
pub(super) fn id_of_file(name: &str) -> Option<&str> {
    name.strip_suffix(COMPRESSED)
        .or_else(|| name.strip_suffix(PLAIN))
        .filter(|stem| id::is_valid(stem))
}

/// The snapshots of a state store, on the shelf its kind keeps them on.
#[derive(Debug)]
pub struct SnapshotStore {
    shelf: Box<dyn Shelf>,
    suffixes: Mutex<fastrand::Rng>,
}

/// What pruning would do.
#[derive(Debug, Clone, PartialEq)]
pub struct PrunePlan {
    /// Old enough for `--older-than` and past their retention: to remove.
    pub remove: Vec<SnapshotInfo>,
    /// Old enough for `--older-than` but still inside their retention: kept.
    pub retained: Vec<Retained>,
}

/// A snapshot that pruning keeps because of its retention.
#[derive(Debug, Clone, PartialEq)]
pub struct Retained {
    /// The snapshot.
    pub snapshot: SnapshotInfo,
    /// The retention it recorded (at least 183 days).
    pub retention_days: u32,
    /// It may be removed from then on.
    pub until: Timestamp,
}

/// The three keys of a snapshot file besides `format`, read without the export.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    meta: SnapshotMeta,
    #[allow(dead_code, reason = "read only to check that it is there")]
    export: serde::de::IgnoredAny,
    sha256: String,
}

fn valid_site(site: &str) -> Result<(), SnapshotError> {
    let ok = !site.is_empty()
        && site.len() <= 63
        && site
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SnapshotError::InvalidSite {
            site: site.to_string(),
        })
    }
}

pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Snapshot `id` from its bytes, verifying its sha256 and that it belongs to `folder`'s site.
fn verified(
    id: &str,
    folder: String,
    path: PathBuf,
    bytes: &[u8],
) -> Result<Snapshot, SnapshotError> {
    let corrupt = |reason: String| SnapshotError::Corrupt {
        path: path.clone(),
        reason,
    };
    let value: Value = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    let Value::Object(mut map) = value else {
        return Err(corrupt("not a JSON object".into()));
    };
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if keys != ["export", "format", "meta", "sha256"] {
        return Err(corrupt(format!(
            "expected the keys export, format, meta and sha256, found {}",
            keys.join(", ")
        )));
    }
    if map["format"].as_str() != Some(FORMAT) {
        return Err(corrupt(format!("unknown format {}", map["format"])));
    }
    let recorded = map["sha256"]
        .as_str()
        .ok_or_else(|| corrupt("sha256 is not a string".into()))?
        .to_string();
    let meta_value = map.remove("meta").unwrap_or(Value::Null);
    let export = map.remove("export").unwrap_or(Value::Null);
    // The hash is over what the file holds, before any typed reading could normalise it.
    let actual = digest(&meta_value, &export);
    if actual != recorded {
        return Err(SnapshotError::Mismatch {
            path,
            recorded,
            actual,
        });
    }
    let meta: SnapshotMeta =
        serde_json::from_value(meta_value).map_err(|e| corrupt(format!("meta: {e}")))?;
    if meta.site != folder {
        return Err(SnapshotError::WrongSite {
            path,
            folder,
            site: meta.site,
        });
    }
    Ok(Snapshot {
        id: id.to_string(),
        path,
        meta,
        export,
        sha256: actual,
    })
}

/// No id left for `meta` after [`MAX_ID_ATTEMPTS`] tries.
pub(super) fn no_free_id(meta: &SnapshotMeta) -> SnapshotError {
    SnapshotError::InvalidMeta(format!(
        "no free snapshot id for {} at {}",
        meta.operator, meta.taken_at
    ))
}

/// A snapshot's listing from its stored body (metadata read, sha256 not verified).
fn info(id: &str, path: PathBuf, body: &SnapshotBody) -> Result<SnapshotInfo, SnapshotError> {
    let bytes = unpack(body, &path)?;
    let h: Header = serde_json::from_slice(&bytes).map_err(|e| SnapshotError::Corrupt {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if h.format != FORMAT {
        return Err(SnapshotError::Corrupt {
            path,
            reason: format!("unknown format `{}`", h.format),
        });
    }
    let mut info = SnapshotInfo::of(id.to_string(), h.meta, h.sha256, path);
    info.stored_bytes = stored_len(body);
    Ok(info)
}

/// A snapshot file's bytes compressed as they are stored.
fn pack(bytes: &[u8]) -> Result<Vec<u8>, SnapshotError> {
    zstd::encode_all(bytes, ZSTD_LEVEL)
        .map_err(|e| SnapshotError::InvalidMeta(format!("cannot compress: {e}")))
}

/// A snapshot file's bytes and its sha256.
fn encode(meta: &SnapshotMeta, export: &Value) -> Result<(Vec<u8>, String), SnapshotError> {
    let meta_value = serde_json::to_value(meta)
        .map_err(|e| SnapshotError::InvalidMeta(format!("cannot encode: {e}")))?;
    let sha256 = digest(&meta_value, export);
    let file = serde_json::json!({
        "format": FORMAT,
        "meta": meta_value,
        "export": export,
        "sha256": sha256,
    });
    let mut bytes = serde_json::to_vec_pretty(&file)
        .map_err(|e| SnapshotError::InvalidMeta(format!("cannot encode: {e}")))?;
    bytes.push(b'\n');
    Ok((bytes, sha256))
}

/// SHA-256 of the canonical JSON of `{"export": export, "meta": meta}` (keys sorted: export first).
fn digest(meta: &Value, export: &Value) -> String {
    let mut s = String::from("{\"export\":");
    canonical::write(export, &mut s);
    s.push_str(",\"meta\":");
    canonical::write(meta, &mut s);
    s.push('}');
    canonical::sha256_hex(s.as_bytes())
}

impl SnapshotStore {
    /// The store of `state` (`STATE/snapshots/`, or the store's `vmsops.snapshots`); does no I/O.
    pub fn new(state: &StateStore) -> SnapshotStore {
        Self::on(state, fastrand::Rng::new())
    }

    #[cfg(test)]
    fn with_seed(state: &StateStore, seed: u64) -> SnapshotStore {
        Self::on(state, fastrand::Rng::with_seed(seed))
    }

    fn on(state: &StateStore, rng: fastrand::Rng) -> SnapshotStore {
        let shelf: Box<dyn Shelf> = match (state.shared(), state.dir()) {
            (Some(pg), _) => Box::new(DbShelf::new(pg)),
            (None, Some(dir)) => Box::new(DirShelf::new(dir.join("snapshots"))),
            (None, None) => Box::new(DirShelf::new(PathBuf::from("snapshots"))),
        };
        SnapshotStore {
            shelf,
            suffixes: Mutex::new(rng),
        }
    }

    /// The folder holding every site's snapshots (`vmsops.snapshots` in a PostgreSQL store).
    pub fn root(&self) -> PathBuf {
        self.shelf.root()
    }

    /// Stores `export` with `meta` under a new id and returns it once it is durable.
    pub fn create(
        &self,
        meta: &SnapshotMeta,
        export: &Value,
    ) -> Result<SnapshotInfo, SnapshotError> {
        valid_site(&meta.site)?;
        if meta.operator.trim().is_empty() {
            return Err(SnapshotError::InvalidMeta(
                "the operator is empty: a snapshot names who took it".into(),
            ));
        }
        if meta.snapshot_retention_days < MIN_RETENTION_DAYS {
            return Err(SnapshotError::InvalidMeta(format!(
                "snapshot_retention_days is {}, below the procedure's {MIN_RETENTION_DAYS} days",
                meta.snapshot_retention_days
            )));
        }
        let (bytes, sha256) = encode(meta, export)?;
        let body = SnapshotBody::Zstd(pack(&bytes)?);
        let stored_bytes = stored_len(&body);
        let (id, path) = self
            .shelf
            .insert(meta, body, &sha256, &mut || self.candidate_id(meta))?;
        let mut info = SnapshotInfo::of(id, meta.clone(), sha256, path);
        info.stored_bytes = stored_bytes;
        Ok(info)
    }

    /// A new id for `meta`: its time, its operator and a random suffix.
    fn candidate_id(&self, meta: &SnapshotMeta) -> String {
        let suffix = self
            .suffixes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .u16(..);
        id::make(meta.taken_at, &meta.operator, suffix)
    }

    /// Every snapshot (of `site` only, if given), oldest first.
    ///
    /// Reads each one's metadata but does not verify its sha256 ([`SnapshotStore::load`]
    /// does); a stored body that is not a snapshot is an error that names it.
    pub fn list(&self, site: Option<&str>) -> Result<Vec<SnapshotInfo>, SnapshotError> {
        if let Some(s) = site {
            valid_site(s)?;
        }
        let mut out = self
            .shelf
            .all(site)?
            .iter()
            .map(|st| info(&st.id, st.path.clone(), &st.body))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by(|a, b| (a.taken_at, &a.id).cmp(&(b.taken_at, &b.id)));
        Ok(out)
    }

    /// Reads snapshot `id`, verifying its sha256 and that it sits in its own site's folder.
    pub fn load(&self, id: &str) -> Result<Snapshot, SnapshotError> {
        if !id::is_valid(id) {
            return Err(SnapshotError::InvalidId { id: id.to_string() });
        }
        let Stored {
            id,
            site,
            path,
            body,
        } = self.shelf.get(id)?;
        let bytes = unpack(&body, &path)?;
        verified(&id, site, path, &bytes)
    }

    /// Which snapshots (of `site`, or all) taken more than `older_than` before `now`
    /// may go, and which must stay for their retention. Changes nothing.
    pub fn prune_plan(
        &self,
        site: Option<&str>,
        older_than: Duration,
        now: Timestamp,
    ) -> Result<PrunePlan, SnapshotError> {
        let older_than =
            jiff::SignedDuration::try_from(older_than).unwrap_or(jiff::SignedDuration::MAX);
        let mut plan = PrunePlan {
            remove: Vec::new(),
            retained: Vec::new(),
        };
        for s in self.list(site)? {
            let old_enough = s.taken_at.checked_add(older_than).is_ok_and(|t| t <= now);
            if !old_enough {
                continue;
            }
            let until = s.meta.keep_until();
            if now < until {
                plan.retained.push(Retained {
                    retention_days: s.meta.retention_days(),
                    until,
                    snapshot: s,
                });
            } else {
                plan.remove.push(s);
            }
        }
        Ok(plan)
    }

    /// Snapshot `info`'s bytes as they are stored (compressed, or text from before), to copy them as they are.
    pub fn stored_body(&self, info: &SnapshotInfo) -> Result<SnapshotBody, SnapshotError> {
        self.shelf.body(info)
    }

    /// Removes one snapshot (one that [`SnapshotStore::prune_plan`] chose), durably.
    pub fn remove(&self, snapshot: &SnapshotInfo) -> Result<(), SnapshotError> {
        self.shelf.remove(snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn meta(site: &str, at: &str) -> SnapshotMeta {
        SnapshotMeta {
            site: site.into(),
            taken_at: ts(at),
            operator: "claire.martin".into(),
            reason: Some("before the firmware upgrade".into()),
            commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
            driver: "reference".into(),
            url: "http://127.0.0.1:8480".into(),
            token_env: Some("VMSOPS_TOKEN".into()),
            username_env: None,
            password_env: None,
            snapshot_retention_days: 183,
        }
    }

    fn export() -> Value {
        json!({"format": "reference-vms/v1", "cameras": [{"id": "hall-01", "fps": 15}], "settings": {"session_timeout_minutes": 15}})
    }

    fn state() -> (tempfile::TempDir, StateStore) {
        let dir = tempfile::tempdir().expect("tmp");
        let s = StateStore::resolve(Some(dir.path()), &|_| None).expect("state");
        (dir, s)
    }

    #[test]
    fn create_list_load() {
        let (_d, state) = state();
        let store = SnapshotStore::new(&state);
        let info = store
            .create(&meta("paris-hq", "2026-11-27T21:30:12Z"), &export())
            .expect("create");
        assert!(
            info.id.starts_with("20261127T213012Z-claire.martin-"),
            "{}",
            info.id
        );
        assert_eq!(
            info.path,
            state
                .snapshots_dir("paris-hq")
                .join(format!("{}{COMPRESSED}", info.id))
        );
        let listed = store.list(None).expect("list");
        assert_eq!(listed, vec![info.clone()]);
        assert_eq!(store.list(Some("lyon")).expect("list"), vec![]);
        let snap = store.load(&info.id).expect("load");
        assert_eq!(snap.export, export());
        assert_eq!(snap.meta, meta("paris-hq", "2026-11-27T21:30:12Z"));
        assert_eq!(snap.sha256, info.sha256);
        let stored = std::fs::read(&info.path).expect("read");
        assert_eq!(info.stored_bytes, stored.len() as u64);
        let json = zstd::decode_all(stored.as_slice()).expect("a zstd frame");
        let file: Value = serde_json::from_slice(&json).expect("json");
        assert_eq!(file["format"], FORMAT);
        assert_eq!(file["meta"]["token_env"], "VMSOPS_TOKEN");
    }

    #[test]
    fn a_snapshot_written_before_compression_still_lists_loads_and_verifies() {
        let (_d, state) = state();
        let m = meta("paris-hq", "2026-11-27T21:30:12Z");
        let (bytes, sha256) = encode(&m, &export()).expect("encode");
        let id = "20261127T213012Z-claire.martin-00aa";
        let dir = state.snapshots_dir("paris-hq");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("{id}{PLAIN}")), &bytes).expect("write");
        let store = SnapshotStore::new(&state);
        let listed = store.list(None).expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].stored_bytes, bytes.len() as u64);
        let snap = store.load(id).expect("load");
        assert_eq!((snap.sha256, snap.export), (sha256, export()));
    }

    #[test]
    fn a_large_export_is_stored_in_under_a_quarter_of_its_size() {
        let (_d, state) = state();
        let cameras: Vec<Value> = (0..5_000)
            .map(|i| {
                json!({"id": format!("cam-{i:05}"), "name": format!("Camera {i}"), "vendor": "Axis",
                    "model": "P3265-LVE", "firmware": "11.9.60", "enabled": true,
                    "stream_url": format!("rtsp://cam-{i:05}.cams.example/axis-media/media.amp"),
                    "recording": {"resolution": "1920x1080", "fps": 15, "retention_days": 30,
                        "schedule": [{"days": ["mon", "tue"], "from": "00:00", "to": "24:00"}]},
                    "version": i})
            })
            .collect();
        let big = json!({"format": "reference-vms/v1", "cameras": cameras});
        let raw = serde_json::to_vec(&big).expect("json").len() as u64;
        let info = SnapshotStore::new(&state)
            .create(&meta("paris-hq", "2026-11-27T21:30:12Z"), &big)
            .expect("create");
        assert!(
            info.stored_bytes * 4 <= raw,
            "{} of {raw}",
            info.stored_bytes
        );
    }

    #[test]
    fn a_damaged_compressed_file_is_an_error_that_names_it() {
        let (_d, state) = state();
        let store = SnapshotStore::new(&state);
        let info = store
            .create(&meta("paris-hq", "2026-11-27T21:30:12Z"), &export())
            .expect("create");
        std::fs::write(&info.path, b"not zstd").expect("write");
        let e = store.load(&info.id).expect_err("damaged");
        assert!(matches!(e, SnapshotError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains(&info.id), "{e}");
    }

    #[test]
    fn many_in_the_same_second_never_collide() {
        let (_d, state) = state();
        // Two stores with the same seed draw the same suffixes: only the check for a free id separates them.
        let a = SnapshotStore::with_seed(&state, 7);
        let b = SnapshotStore::with_seed(&state, 7);
        let m = meta("paris-hq", "2026-11-27T21:30:12Z");
        let mut ids = std::collections::HashSet::new();
        for _ in 0..50 {
            assert!(ids.insert(a.create(&m, &export()).expect("create").id));
            assert!(ids.insert(b.create(&m, &export()).expect("create").id));
        }
        assert_eq!(a.list(Some("paris-hq")).expect("list").len(), 100);
    }

    #[test]
    fn a_changed_byte_is_a_mismatch_that_names_the_file() {
        let (_d, state) = state();
        let store = SnapshotStore::new(&state);
        let info = store
            .create(&meta("paris-hq", "2026-11-27T21:30:12Z"), &export())
            .expect("create");
        let stored = std::fs::read(&info.path).expect("read");
        let text =
            String::from_utf8(zstd::decode_all(stored.as_slice()).expect("zstd")).expect("utf-8");
        let write = |t: &str| {
            let packed = zstd::encode_all(t.as_bytes(), ZSTD_LEVEL).expect("zstd");
            std::fs::write(&info.path, packed).expect("write");
        };
        write(&text.replacen("15", "25", 1));
        let err = store.load(&info.id).expect_err("mismatch");
        assert!(matches!(err, SnapshotError::Mismatch { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&info.path.display().to_string()), "{msg}");
        assert!(msg.contains("sha256 mismatch"), "{msg}");
        // Reformatting alone changes nothing that the hash covers.
        write(&text.replace("\n", "\n  "));
        assert!(store.load(&info.id).is_ok());
    }

    #[test]
    fn a_snapshot_moved_to_another_site_is_refused() {
        let (_d, state) = state();
        let store = SnapshotStore::new(&state);
        let info = store
            .create(&meta("paris-hq", "2026-11-27T21:30:12Z"), &export())
            .expect("create");
        let other = state.snapshots_dir("lyon-dc");
        std::fs::create_dir_all(&other).expect("mkdir");
        std::fs::rename(&info.path, other.join(format!("{}{COMPRESSED}", info.id))).expect("mv");
        assert!(matches!(
            store.load(&info.id),
            Err(SnapshotError::WrongSite { .. })
        ));
    }

    #[test]
    fn ids_from_users_never_become_paths() {
        let (_d, state) = state();
        let store = SnapshotStore::new(&state);
        for bad in ["../x", "../../journal", "paris-hq/x", ""] {
            assert!(
                matches!(store.load(bad), Err(SnapshotError::InvalidId { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            store.list(Some("../x")),
            Err(SnapshotError::InvalidSite { .. })
        ));
        assert!(matches!(
            store.load("20261127T213012Z-claire.martin-7f3a"),
            Err(SnapshotError::NotFound { .. })
        ));
    }

    #[test]
    fn prune_keeps_what_its_retention_protects() {
        let (_d, state) = state();
        let store = SnapshotStore::new(&state);
        let now = ts("2026-11-27T12:00:00Z");
        let old = store
            .create(&meta("paris-hq", "2026-01-01T00:00:00Z"), &export())
            .expect("create");
        let recent = store
            .create(&meta("paris-hq", "2026-10-01T00:00:00Z"), &export())
            .expect("create");
        let mut long = meta("paris-hq", "2026-02-01T00:00:00Z");
        long.snapshot_retention_days = 365;
        let long = store.create(&long, &export()).expect("create");
        let fresh = store
            .create(&meta("paris-hq", "2026-11-27T11:00:00Z"), &export())
            .expect("create");

        // --older-than 1d: everything but `fresh` is old enough, but only `old` is past 183 days.
        let plan = store
            .prune_plan(None, Duration::from_secs(86_400), now)
            .expect("plan");
        assert_eq!(
            plan.remove.iter().map(|s| &s.id).collect::<Vec<_>>(),
            vec![&old.id]
        );
        let retained: Vec<(&str, u32)> = plan
            .retained
            .iter()
            .map(|r| (r.snapshot.id.as_str(), r.retention_days))
            .collect();
        assert_eq!(
            retained,
            vec![(long.id.as_str(), 365), (recent.id.as_str(), 183)]
        );
        assert_eq!(plan.retained[1].until, ts("2027-04-02T00:00:00Z"));

        for s in &plan.remove {
            store.remove(s).expect("remove");
        }
        assert!(!old.path.exists());
        for kept in [&recent, &long, &fresh] {
            assert!(kept.path.exists(), "{}", kept.id);
        }
    }

    #[test]
    fn a_retention_below_the_floor_is_not_trusted() {
        let mut m = meta("paris-hq", "2026-01-01T00:00:00Z");
        m.snapshot_retention_days = 30;
        assert_eq!(m.retention_days(), 183);
        let (_d, state) = state();
        assert!(matches!(
            SnapshotStore::new(&state).create(&m, &export()),
            Err(SnapshotError::InvalidMeta(_))
        ));
    }
}
