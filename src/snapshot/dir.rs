//! Snapshots as files, `STATE/snapshots/SITE/ID.json.zst` (`ID.json` from before compression).
//!
//! Ids are chosen under a lock on the folder and checked free, so no file is
//! ever overwritten; each file is written atomically.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::shelf::{Shelf, Stored};
use super::store::{id_of_file, io, no_free_id, COMPRESSED, PLAIN};
use super::{SnapshotError, SnapshotInfo, SnapshotMeta};
use crate::state::atomic::write_atomic;
use crate::state::pg::SnapshotBody;

/// How many suffixes are tried before giving up (there are 65,536 per second and operator).
const MAX_ID_ATTEMPTS: usize = 4096;

/// The snapshots of a directory store.
#[derive(Debug)]
pub(super) struct DirShelf {
    root: PathBuf,
}

impl DirShelf {
    /// The shelf under `root` (`STATE/snapshots`).
    pub fn new(root: PathBuf) -> DirShelf {
        DirShelf { root }
    }

    fn site_dir(&self, site: &str) -> PathBuf {
        self.root.join(site)
    }

    /// The site folders present, sorted.
    fn sites(&self) -> Result<Vec<String>, SnapshotError> {
        let read = match std::fs::read_dir(&self.root) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&self.root)(e)),
        };
        let mut sites = Vec::new();
        for e in read {
            let e = e.map_err(io(&self.root))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && e.path().is_dir() {
                sites.push(name);
            }
        }
        sites.sort();
        Ok(sites)
    }

    /// The files named `ID.json.zst` (or `ID.json`), in any site folder.
    fn find(&self, id: &str) -> Result<Vec<(String, PathBuf)>, SnapshotError> {
        Ok(self
            .sites()?
            .into_iter()
            .flat_map(|s| {
                let dir = self.site_dir(&s);
                [COMPRESSED, PLAIN].map(|ext| (s.clone(), dir.join(format!("{id}{ext}"))))
            })
            .filter(|(_, p)| p.is_file())
            .collect())
    }
}

/// The stored form of a snapshot file read from `path` (compressed or not, by its name).
fn read_body(path: &Path) -> Result<SnapshotBody, SnapshotError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    if path.to_string_lossy().ends_with(COMPRESSED) {
        Ok(SnapshotBody::Zstd(bytes))
    } else {
        String::from_utf8(bytes)
            .map(SnapshotBody::Text)
            .map_err(|e| SnapshotError::Corrupt {
                path: path.to_path_buf(),
                reason: format!("not UTF-8: {e}"),
            })
    }
}

impl Shelf for DirShelf {
    fn root(&self) -> PathBuf {
        self.root.clone()
    }

    fn insert(
        &self,
        meta: &SnapshotMeta,
        body: SnapshotBody,
        _sha256: &str,
        next_id: &mut dyn FnMut() -> String,
    ) -> Result<(String, PathBuf), SnapshotError> {
        let dir = self.site_dir(&meta.site);
        crate::state::atomic::create_private_dir(&dir).map_err(io(&dir))?;
        // One creator at a time across processes, so that "is this id free" stays true until written.
        let lock_path = self.root.join(".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        let mut id = None;
        for _ in 0..MAX_ID_ATTEMPTS {
            let candidate = next_id();
            if self.find(&candidate)?.is_empty() {
                id = Some(candidate);
                break;
            }
        }
        let id = id.ok_or_else(|| no_free_id(meta))?;
        let (path, bytes) = match &body {
            SnapshotBody::Zstd(z) => (dir.join(format!("{id}{COMPRESSED}")), z.as_slice()),
            SnapshotBody::Text(t) => (dir.join(format!("{id}{PLAIN}")), t.as_bytes()),
        };
        write_atomic(&path, bytes).map_err(io(&path))?;
        drop(lock);
        Ok((id, path))
    }

    fn all(&self, site: Option<&str>) -> Result<Vec<Stored>, SnapshotError> {
        let sites = match site {
            Some(s) => vec![s.to_string()],
            None => self.sites()?,
        };
        let mut out = Vec::new();
        for s in sites {
            let dir = self.site_dir(&s);
            let read = match std::fs::read_dir(&dir) {
                Ok(r) => r,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&dir)(e)),
            };
            for e in read {
                let path = e.map_err(io(&dir))?.path();
                // Temporary files of an interrupted write, and anything else, are not snapshots.
                let Some(id) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(id_of_file)
                    .map(String::from)
                else {
                    continue;
                };
                let body = read_body(&path)?;
                out.push(Stored {
                    id,
                    site: s.clone(),
                    path,
                    body,
                });
            }
        }
        Ok(out)
    }

    fn get(&self, id: &str) -> Result<Stored, SnapshotError> {
        let mut found = self.find(id)?;
        let (site, path) = match found.len() {
            0 => {
                return Err(SnapshotError::NotFound {
                    id: id.to_string(),
                    dir: self.root(),
                })
            }
            1 => found.remove(0),
            _ => {
                return Err(SnapshotError::Ambiguous {
                    id: id.to_string(),
                    sites: found
                        .iter()
                        .map(|(s, _)| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
        };
        let body = read_body(&path)?;
        Ok(Stored {
            id: id.to_string(),
            site,
            path,
            body,
        })
    }

    fn body(&self, info: &SnapshotInfo) -> Result<SnapshotBody, SnapshotError> {
        read_body(&info.path)
    }

    fn remove(&self, info: &SnapshotInfo) -> Result<(), SnapshotError> {
        std::fs::remove_file(&info.path).map_err(io(&info.path))?;
        if let Some(dir) = info.path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io(dir))?;
        }
        Ok(())
    }
}
