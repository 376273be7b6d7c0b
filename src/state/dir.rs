//! The state directory: journal, snapshots, locks and what was applied, per site.
//!
//! It must live on storage distinct from the VMS (PROC-VMS-001 §03). Layout:
//! `journal.jsonl`, `snapshots/SITE/`, `sites/SITE/baseline.json`, `sites/SITE/applied.json`, `locks/SITE.lock`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::state::atomic::write_atomic;

/// Failures reading or writing the state directory.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// No flag, no `VMSOPS_STATE_DIR`, no `XDG_STATE_HOME` and no `HOME`.
    #[error("no state directory: pass --state-dir, or set VMSOPS_STATE_DIR")]
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
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
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
}

impl StateDir {
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
        Ok(Self { root })
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn site_file(&self, site: &str, name: &str) -> PathBuf {
        self.root.join("sites").join(site).join(name)
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
        write_atomic(path, &bytes).map_err(|source| StateError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The audit journal file.
    pub fn journal_path(&self) -> PathBuf {
        self.root.join("journal.jsonl")
    }

    /// Every request id vmsops sent to a VMS, as journaled: what is not among them is out-of-band.
    pub fn known_request_ids(&self) -> Result<std::collections::HashSet<String>, StateError> {
        let path = self.journal_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
            Err(source) => return Err(StateError::Io { path, source }),
        };
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| {
                v.get("detail")?
                    .get("request_id")?
                    .as_str()
                    .map(String::from)
            })
            .collect())
    }

    /// The last commit applied to the site, if any.
    pub fn applied(&self, site: &str) -> Result<Option<Applied>, StateError> {
        Self::read_json(&self.site_file(site, "applied.json"))
    }

    /// Records the last commit applied to the site (atomically).
    pub fn set_applied(&self, site: &str, a: &Applied) -> Result<(), StateError> {
        Self::write_json(&self.site_file(site, "applied.json"), a)
    }

    /// The folder of a site's snapshots.
    pub fn snapshots_dir(&self, site: &str) -> PathBuf {
        self.root.join("snapshots").join(site)
    }

    /// The lock file of a site.
    pub fn lock_path(&self, site: &str) -> PathBuf {
        self.root.join("locks").join(format!("{site}.lock"))
    }

    /// The site's baseline, if one was recorded.
    pub fn baseline(&self, site: &str) -> Result<Option<Baseline>, StateError> {
        Self::read_json(&self.site_file(site, "baseline.json"))
    }

    /// Records the site's baseline (atomically).
    pub fn set_baseline(&self, site: &str, b: &Baseline) -> Result<(), StateError> {
        Self::write_json(&self.site_file(site, "baseline.json"), b)
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
            StateDir::resolve(None, &env).expect("dir").root(),
            Path::new("/x/vmsops")
        );
        assert_eq!(
            StateDir::resolve(Some(Path::new("/f")), &env)
                .expect("dir")
                .root(),
            Path::new("/f")
        );
        let home_only = |k: &str| (k == "HOME").then(|| "/h".to_string());
        assert_eq!(
            StateDir::resolve(None, &home_only).expect("dir").root(),
            Path::new("/h/.local/state/vmsops")
        );
        assert!(StateDir::resolve(None, &|_| None).is_err());
    }

    #[test]
    fn baseline_round_trip_and_corruption() {
        let dir = tempfile::tempdir().expect("tmp");
        let s = StateDir::resolve(Some(dir.path()), &|_| None).expect("dir");
        assert_eq!(s.baseline("paris-hq").expect("read"), None);
        let b = Baseline {
            journal_cursor: Some("42".into()),
            at: "2026-11-27T12:00:00Z".parse().expect("ts"),
            reason: "import".into(),
            url: "http://127.0.0.1:8480".into(),
        };
        s.set_baseline("paris-hq", &b).expect("write");
        assert_eq!(s.baseline("paris-hq").expect("read"), Some(b));
        std::fs::write(dir.path().join("sites/paris-hq/baseline.json"), "{oops").expect("write");
        assert!(matches!(
            s.baseline("paris-hq"),
            Err(StateError::Corrupt { .. })
        ));
    }
}
