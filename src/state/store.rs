//! The state store: journal, snapshots, locks, applied commits and baselines, per site.
//!
//! Either a directory (the default; it must live on storage distinct from the
//! VMS, PROC-VMS-001 §03) or a PostgreSQL database that every machine of a
//! team shares. Directory layout: `journal.jsonl`, `snapshots/SITE/`,
//! `sites/SITE/baseline.json`, `sites/SITE/applied.json`, `locks/SITE.lock`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::lock::{self, Holder, LockError, SiteLock};
use super::pg::{PgError, PgStore, PgUrl, UrlError};
use crate::state::atomic::write_private;

/// Failures reading or writing the state store.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// No flag, no `VMSOPS_STATE`, no `VMSOPS_STATE_DIR`, no `XDG_STATE_HOME` and no `HOME`.
    #[error("no state store: pass --state DIR|URL, or set VMSOPS_STATE")]
    NoStateDir,
    /// A file could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A state file is not what vmsops wrote.
    #[error("{path} is corrupt (not the JSON vmsops writes)")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// An operation only a PostgreSQL store has was asked of a directory.
    #[error("{store} is a directory: only a PostgreSQL store has a schema (pass --state postgres://USER@HOST:PORT/DB)")]
    NotPostgres {
        /// The store.
        store: String,
    },
    /// The location is not a usable PostgreSQL URL.
    #[error(transparent)]
    Location(#[from] UrlError),
    /// The PostgreSQL store failed.
    #[error("state store {store}")]
    Store {
        /// The store, without its password.
        store: String,
        /// The cause.
        #[source]
        source: PgError,
    },
    /// A record in the PostgreSQL store is not what vmsops writes.
    #[error("state store {store}: the {what} is corrupt (not the JSON vmsops writes)")]
    CorruptRecord {
        /// The store.
        store: String,
        /// Which record.
        what: String,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
}

/// The last commit applied to a site (written by apply and restore on success).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The commit applied.
    pub commit: String,
    /// When.
    pub at: jiff::Timestamp,
    /// Who (the accountable person).
    pub operator: String,
    /// `cli`, `watch` or `restore`.
    pub agent: String,
    /// The journal sequence number of the apply's closing entry.
    pub journal_seq: Option<u64>,
    /// That entry's hash: an anchor of the journal outside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_hash: Option<String>,
}

/// What `watch` last notified for a site, so that a restart neither repeats nor loses a transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notified {
    /// The drift signature notified (None: the site was reported clean).
    pub signature: Option<String>,
    /// The status notified (`in-sync`, `pending`, `drifted`, `unknown`).
    pub status: Option<String>,
    /// When.
    pub at: jiff::Timestamp,
}

/// The request ids vmsops sent, kept up to date by reading only what was appended since
/// the last refresh: `watch` pays per cycle for the new entries, not for the whole history.
#[derive(Debug, Clone, Default)]
pub struct KnownRequestIds {
    /// The ids read so far.
    pub ids: std::collections::HashSet<String>,
    cursor: u64,
}

impl KnownRequestIds {
    /// Reads the journal entries appended since the last refresh; returns how many lines it read.
    pub fn refresh(&mut self, state: &StateStore) -> Result<usize, StateError> {
        let mut found = Vec::new();
        let (lines, next) =
            state.each_journal_line_after(self.cursor, |l| found.extend(request_id(l)))?;
        if next < self.cursor {
            // The journal was replaced (a directory restored from a backup): start over.
            self.ids.clear();
        }
        self.cursor = next;
        self.ids.extend(found);
        Ok(lines)
    }
}

/// The `detail.request_id` of a journal line, read without building the rest of it.
fn request_id(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Line<'a> {
        #[serde(borrow, default)]
        detail: Option<Detail<'a>>,
    }
    #[derive(serde::Deserialize)]
    struct Detail<'a> {
        #[serde(borrow, default)]
        request_id: Option<std::borrow::Cow<'a, str>>,
    }
    let line: Line<'_> = serde_json::from_slice(line).ok()?;
    line.detail?.request_id.map(std::borrow::Cow::into_owned)
}

/// Where the state lives.
#[derive(Debug, Clone)]
enum Backend {
    /// A directory on this machine.
    Dir(PathBuf),
    /// The shared PostgreSQL store.
    Pg(Arc<PgStore>),
}

/// The state store: a directory or the shared PostgreSQL store.
#[derive(Debug, Clone)]
pub struct StateStore {
    backend: Backend,
}

/// Where a site's VMS journal starts being watched for out-of-band changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// The VMS journal cursor at that moment (`None` when the product keeps no journal).
    pub journal_cursor: Option<String>,
    /// When it was recorded.
    pub at: jiff::Timestamp,
    /// Why: `import` or `first-apply`.
    pub reason: String,
    /// The VMS it was read from.
    pub url: String,
    /// Where the first baseline stood (import or first apply), kept when an apply or
    /// `drift ack` moves the baseline past acknowledged changes: the review reads from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl Baseline {
    /// The cursor the monthly review reads the VMS journal from: the first baseline's.
    pub fn review_cursor(&self) -> Option<String> {
        self.origin.clone().or_else(|| self.journal_cursor.clone())
    }

    /// This baseline moved to `cursor` (acknowledged up to there), remembering where it started.
    pub fn moved_to(&self, cursor: Option<String>, at: jiff::Timestamp, reason: &str) -> Baseline {
        Baseline {
            origin: self.review_cursor(),
            journal_cursor: cursor,
            at,
            reason: reason.to_string(),
            url: self.url.clone(),
        }
    }
}

/// True if `location` names a PostgreSQL store rather than a directory.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

impl StateStore {
    /// `--state-dir`, else `$VMSOPS_STATE_DIR`, else `$XDG_STATE_HOME/vmsops`, else `~/.local/state/vmsops`.
    pub fn resolve(
        flag: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StateError> {
        let non_empty = |k: &str| env(k).filter(|v| !v.is_empty());
        let root = if let Some(f) = flag {
            f.to_path_buf()
        } else if let Some(v) = non_empty("VMSOPS_STATE_DIR") {
            PathBuf::from(v)
        } else if let Some(v) = non_empty("XDG_STATE_HOME") {
            PathBuf::from(v).join("vmsops")
        } else if let Some(h) = non_empty("HOME") {
            PathBuf::from(h).join(".local/state/vmsops")
        } else {
            return Err(StateError::NoStateDir);
        };
        Ok(Self {
            backend: Backend::Dir(root),
        })
    }

    /// `--state LOCATION` (or `VMSOPS_STATE`), else [`StateStore::resolve`]; a PostgreSQL store's schema is checked.
    pub fn open(
        location: Option<&str>,
        dir: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, StateError> {
        let location = location
            .filter(|l| !l.is_empty())
            .map(String::from)
            .or_else(|| dir.is_none().then(|| env("VMSOPS_STATE")).flatten())
            .filter(|l| !l.is_empty());
        match location {
            Some(l) if is_postgres(&l) => {
                let store = Self::postgres(&l, env)?;
                if let Some(pg) = store.pg() {
                    pg.check_schema().map_err(|source| StateError::Store {
                        store: pg.display(),
                        source,
                    })?;
                }
                Ok(store)
            }
            Some(l) => Self::resolve(Some(Path::new(&l)), env),
            None => Self::resolve(dir, env),
        }
    }

    /// The PostgreSQL store at `url`, without checking its schema (for `state init`).
    pub fn postgres(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, StateError> {
        Ok(Self {
            backend: Backend::Pg(Arc::new(PgStore::new(PgUrl::parse(url, env)?))),
        })
    }

    /// The PostgreSQL store, when that is where the state lives.
    pub fn pg(&self) -> Option<&PgStore> {
        match &self.backend {
            Backend::Pg(p) => Some(p),
            Backend::Dir(_) => None,
        }
    }

    /// The shared PostgreSQL store, for the layers that keep their records in it.
    pub fn shared(&self) -> Option<Arc<PgStore>> {
        match &self.backend {
            Backend::Pg(p) => Some(Arc::clone(p)),
            Backend::Dir(_) => None,
        }
    }

    /// The directory, when that is where the state lives.
    pub fn dir(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Dir(d) => Some(d),
            Backend::Pg(_) => None,
        }
    }

    /// The store as messages name it: the folder, or the URL without its password.
    pub fn display(&self) -> String {
        match &self.backend {
            Backend::Dir(d) => d.display().to_string(),
            Backend::Pg(p) => p.display(),
        }
    }

    /// Which kind of store this is: `directory` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match &self.backend {
            Backend::Dir(_) => "directory",
            Backend::Pg(_) => "postgres",
        }
    }

    /// The store's schema version (a directory has none).
    pub fn schema_version(&self) -> Result<Option<i32>, StateError> {
        match &self.backend {
            Backend::Dir(_) => Ok(None),
            Backend::Pg(pg) => pg.schema_version().map_err(|e| self.db_error(e)),
        }
    }

    /// Creates or migrates the store's schema: (version before, version after).
    pub fn init(&self) -> Result<(Option<i32>, i32), StateError> {
        match &self.backend {
            Backend::Dir(_) => Err(StateError::NotPostgres {
                store: self.display(),
            }),
            Backend::Pg(pg) => pg.init().map_err(|e| self.db_error(e)),
        }
    }

    /// The grants of the least-privilege and auditor roles, for the store's database.
    pub fn grants(&self) -> Option<String> {
        match &self.backend {
            Backend::Dir(_) => None,
            Backend::Pg(pg) => Some(super::pg::schema::grants(pg.url().dbname())),
        }
    }

    /// Who holds each site's lock now, as recorded by the store (directory locks are not listed).
    pub fn lock_holders(&self) -> Result<Vec<(String, Holder)>, StateError> {
        match &self.backend {
            Backend::Dir(_) => Ok(Vec::new()),
            Backend::Pg(pg) => Ok(pg
                .sites()
                .map_err(|e| self.db_error(e))?
                .into_iter()
                .filter_map(|s| {
                    let h = serde_json::from_str::<Holder>(s.holder.as_deref()?).ok()?;
                    Some((s.site, h))
                })
                .collect()),
        }
    }

    /// A PostgreSQL failure, naming the store.
    pub fn db_error(&self, source: PgError) -> StateError {
        StateError::Store {
            store: self.display(),
            source,
        }
    }

    fn site_file(root: &Path, site: &str, name: &str) -> PathBuf {
        root.join("sites").join(site).join(name)
    }

    fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, StateError> {
        match std::fs::read(path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|source| StateError::Corrupt {
                    path: path.to_path_buf(),
                    source,
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StateError> {
        let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| StateError::Corrupt {
            path: path.to_path_buf(),
            source,
        })?;
        bytes.push(b'\n');
        write_private(path, &bytes).map_err(|source| StateError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    fn record<T: for<'de> Deserialize<'de>>(
        &self,
        site: &str,
        kind: &str,
    ) -> Result<Option<T>, StateError> {
        match &self.backend {
            Backend::Dir(root) => {
                Self::read_json(&Self::site_file(root, site, &format!("{kind}.json")))
            }
            Backend::Pg(pg) => match pg.record(site, kind).map_err(|e| self.db_error(e))? {
                None => Ok(None),
                Some(body) => serde_json::from_str(&body).map(Some).map_err(|source| {
                    StateError::CorruptRecord {
                        store: pg.display(),
                        what: format!("{kind} record of site {site}"),
                        source,
                    }
                }),
            },
        }
    }

    fn set_record<T: Serialize>(
        &self,
        site: &str,
        kind: &str,
        value: &T,
    ) -> Result<(), StateError> {
        match &self.backend {
            Backend::Dir(root) => {
                Self::write_json(&Self::site_file(root, site, &format!("{kind}.json")), value)
            }
            Backend::Pg(pg) => {
                let body = serde_json::to_string_pretty(value).map_err(|source| {
                    StateError::CorruptRecord {
                        store: pg.display(),
                        what: format!("{kind} record of site {site}"),
                        source,
                    }
                })?;
                pg.set_record(site, kind, body)
                    .map_err(|e| self.db_error(e))
            }
        }
    }

    /// The audit journal file (directory stores).
    pub fn journal_path(&self) -> PathBuf {
        match &self.backend {
            Backend::Dir(root) => root.join("journal.jsonl"),
            Backend::Pg(_) => PathBuf::from("vmsops.journal"),
        }
    }

    /// Every request id vmsops sent to a VMS, as journaled: what is not among them is out-of-band.
    pub fn known_request_ids(&self) -> Result<std::collections::HashSet<String>, StateError> {
        let mut known = KnownRequestIds::default();
        known.refresh(self)?;
        Ok(known.ids)
    }

    /// The journal's lines after `cursor` (a byte offset in a directory store, a `seq` in
    /// PostgreSQL), and the cursor after them: only complete lines are read.
    /// Calls `each` on every journal line after `cursor` (never all of them in memory as
    /// strings); returns how many and the cursor after them.
    fn each_journal_line_after(
        &self,
        cursor: u64,
        mut each: impl FnMut(&[u8]),
    ) -> Result<(usize, u64), StateError> {
        match &self.backend {
            Backend::Dir(root) => {
                use std::io::{Read, Seek, SeekFrom};
                let path = root.join("journal.jsonl");
                let io = |source| StateError::Io {
                    path: path.clone(),
                    source,
                };
                let mut file = match std::fs::File::open(&path) {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
                    Err(e) => return Err(io(e)),
                };
                let len = file.metadata().map_err(io)?.len();
                // A journal shorter than the cursor was replaced: read it again from the start.
                let from = if cursor > len { 0 } else { cursor };
                file.seek(SeekFrom::Start(from)).map_err(io)?;
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).map_err(io)?;
                let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
                let mut lines = 0;
                for line in bytes[..complete].split(|b| *b == b'\n') {
                    if !line.is_empty() {
                        each(line);
                        lines += 1;
                    }
                }
                Ok((lines, from + complete as u64))
            }
            Backend::Pg(pg) => {
                let rows = pg
                    .journal_lines_after(cursor)
                    .map_err(|e| self.db_error(e))?;
                let next = rows.last().map_or(cursor, |(seq, _)| *seq);
                rows.iter().for_each(|(_, l)| each(l.as_bytes()));
                Ok((rows.len(), next))
            }
        }
    }

    /// The sites the store holds records of, sorted.
    pub fn sites(&self) -> Result<Vec<String>, StateError> {
        match &self.backend {
            Backend::Dir(root) => {
                let dir = root.join("sites");
                let read = match std::fs::read_dir(&dir) {
                    Ok(r) => r,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(source) => return Err(StateError::Io { path: dir, source }),
                };
                let mut names = Vec::new();
                for e in read {
                    let e = e.map_err(|source| StateError::Io {
                        path: dir.clone(),
                        source,
                    })?;
                    if e.path().is_dir() {
                        names.push(e.file_name().to_string_lossy().into_owned());
                    }
                }
                names.sort();
                Ok(names)
            }
            Backend::Pg(pg) => Ok(pg
                .sites()
                .map_err(|e| self.db_error(e))?
                .into_iter()
                .filter(|s| !s.records.is_empty())
                .map(|s| s.site)
                .collect()),
        }
    }

    /// The last commit applied to the site, if any.
    pub fn applied(&self, site: &str) -> Result<Option<Applied>, StateError> {
        self.record(site, "applied")
    }

    /// Records the last commit applied to the site (atomically).
    pub fn set_applied(&self, site: &str, a: &Applied) -> Result<(), StateError> {
        self.set_record(site, "applied", a)
    }

    /// What `watch` last notified for the site, if anything.
    pub fn notified(&self, site: &str) -> Result<Option<Notified>, StateError> {
        self.record(site, "notified")
    }

    /// Records what `watch` notified for the site.
    pub fn set_notified(&self, site: &str, n: &Notified) -> Result<(), StateError> {
        self.set_record(site, "notified", n)
    }

    /// The folder of a site's snapshots in a directory store.
    #[cfg(test)]
    pub(crate) fn snapshots_dir(&self, site: &str) -> PathBuf {
        self.dir()
            .unwrap_or(Path::new(""))
            .join("snapshots")
            .join(site)
    }

    /// The site's baseline, if one was recorded.
    pub fn baseline(&self, site: &str) -> Result<Option<Baseline>, StateError> {
        self.record(site, "baseline")
    }

    /// Records the site's baseline (atomically).
    pub fn set_baseline(&self, site: &str, b: &Baseline) -> Result<(), StateError> {
        self.set_record(site, "baseline", b)
    }

    /// Takes the site lock, waiting up to `timeout` for its holder, whom the error names.
    pub async fn lock(
        &self,
        site: &str,
        me: &Holder,
        timeout: Duration,
    ) -> Result<SiteLock, LockError> {
        match &self.backend {
            Backend::Dir(root) => {
                let path = root.join("locks").join(format!("{site}.lock"));
                lock::acquire_async(&path, site, me, timeout).await
            }
            Backend::Pg(pg) => lock::acquire_pg(pg, site, me, timeout).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_order() {
        let env = |k: &str| match k {
            "XDG_STATE_HOME" => Some("/x".to_string()),
            "HOME" => Some("/h".to_string()),
            _ => None,
        };
        assert_eq!(
            StateStore::resolve(None, &env)
                .expect("dir")
                .dir()
                .expect("a directory"),
            Path::new("/x/vmsops")
        );
        assert_eq!(
            StateStore::resolve(Some(Path::new("/f")), &env)
                .expect("dir")
                .dir()
                .expect("a directory"),
            Path::new("/f")
        );
        let home_only = |k: &str| (k == "HOME").then(|| "/h".to_string());
        assert_eq!(
            StateStore::resolve(None, &home_only)
                .expect("dir")
                .dir()
                .expect("a directory"),
            Path::new("/h/.local/state/vmsops")
        );
        assert!(StateStore::resolve(None, &|_| None).is_err());
    }

    #[test]
    fn baseline_round_trip_and_corruption() {
        let dir = tempfile::tempdir().expect("tmp");
        let s = StateStore::resolve(Some(dir.path()), &|_| None).expect("dir");
        assert_eq!(s.baseline("paris-hq").expect("read"), None);
        let b = Baseline {
            journal_cursor: Some("42".into()),
            at: "2026-11-27T12:00:00Z".parse().expect("ts"),
            reason: "import".into(),
            url: "http://127.0.0.1:8480".into(),
            origin: None,
        };
        s.set_baseline("paris-hq", &b).expect("write");
        assert_eq!(s.baseline("paris-hq").expect("read"), Some(b));
        std::fs::write(dir.path().join("sites/paris-hq/baseline.json"), "{oops").expect("write");
        assert!(matches!(
            s.baseline("paris-hq"),
            Err(StateError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_request_id_is_read_from_any_line_that_has_one_and_from_no_other() {
        let id = |l: &str| request_id(l.as_bytes());
        assert_eq!(
            id(r#"{"seq":1,"detail":{"request_id":"r-1","x":[1]}}"#).as_deref(),
            Some("r-1")
        );
        assert_eq!(
            id(r#"{"detail":{"request_id":"r\"2"}}"#).as_deref(),
            Some("r\"2")
        );
        for none in [
            r#"{"detail":null}"#,
            r#"{"detail":{}}"#,
            r#"{"detail":"text"}"#,
            "{",
            "",
        ] {
            assert_eq!(id(none), None, "{none}");
        }
    }

    #[test]
    fn known_request_ids_read_only_what_was_appended_since_the_last_refresh() {
        use crate::audit::{Action, EntryResult, Journal, NewEntry};
        let dir = tempfile::tempdir().expect("tmp");
        let state = StateStore::resolve(Some(dir.path()), &|_| None).expect("state");
        let journal = Journal::open(&state);
        let append = |id: &str| {
            let mut n = NewEntry::new(
                jiff::Timestamp::UNIX_EPOCH,
                Action::CameraUpdate,
                EntryResult::Started,
            );
            let mut d = serde_json::Map::new();
            d.insert("request_id".into(), id.into());
            n.detail = Some(d);
            journal.append(n).expect("append");
        };
        for i in 0..100 {
            append(&format!("r-{i}"));
        }
        let mut known = KnownRequestIds::default();
        assert_eq!(known.refresh(&state).expect("refresh"), 100);
        append("r-new-1");
        append("r-new-2");
        // A cycle pays for the two new entries, not for the hundred before them.
        assert_eq!(known.refresh(&state).expect("refresh"), 2);
        assert_eq!(known.refresh(&state).expect("refresh"), 0);
        assert_eq!(known.ids.len(), 102);
        assert!(known.ids.contains("r-new-2"));
        assert_eq!(known.ids, state.known_request_ids().expect("all"));
    }
}
