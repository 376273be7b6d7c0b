//! The site lock: one apply (or restore) per site at a time.
//!
//! The lock is an OS file lock (`flock`) on `STATE/locks/SITE.lock`, so a
//! crashed holder never blocks anyone: the kernel releases it. The file also
//! holds who took it (operator, pid, host, time); a clean release empties it,
//! so finding it non-empty when the lock is free means the previous holder
//! died mid-operation — reported to the caller as a stale lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::pg::lock::{self as pg_lock, Attempt, PgLock};
use super::pg::{PgError, PgStore};

/// Who holds (or held) a site lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The operator.
    pub operator: String,
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// When the lock was taken.
    pub since: jiff::Timestamp,
    /// What for, e.g. `apply` or `restore`.
    pub command: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} by pid {} on {} since {})",
            self.operator, self.command, self.pid, self.host, self.since
        )
    }
}

/// Failures to take a site lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone else holds it and did not release it in time.
    #[error("site `{site}` is locked by {holder}; waited {waited:?} (use --lock-timeout to wait longer)")]
    Held {
        /// The site.
        site: String,
        /// Who holds it (`unknown` if the file could not be read).
        holder: String,
        /// How long we waited.
        waited: Duration,
    },
    /// The shared store could not take or read the lock.
    #[error("state store {store}: the lock of site `{site}` could not be taken")]
    Store {
        /// The store, without its password.
        store: String,
        /// The site.
        site: String,
        /// The cause.
        #[source]
        source: PgError,
    },
    /// The lock file could not be opened or written.
    #[error("cannot use the lock file {path}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A held site lock; released on drop (its file emptied, or its holder row removed).
pub struct SiteLock {
    held: Held,
    /// The holder recorded before this process took it, if it was never released.
    pub stale: Option<Holder>,
}

impl std::fmt::Debug for SiteLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SiteLock")
            .field("stale", &self.stale)
            .finish()
    }
}

/// What keeps the lock held.
enum Held {
    /// The `flock` on the lock file.
    File(File),
    /// The PostgreSQL session that holds the advisory lock.
    Pg(#[allow(dead_code, reason = "held for its Drop, which releases the lock")] PgLock),
}

/// This machine's host name.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

fn read_holder(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// Takes the lock of `site` at `path`, waiting up to `timeout` for its holder.
pub fn acquire(
    path: &Path,
    site: &str,
    me: &Holder,
    timeout: Duration,
) -> Result<SiteLock, LockError> {
    let io = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        super::atomic::create_private_dir(dir).map_err(io)?;
    }
    let started = Instant::now();
    loop {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {
                let mut previous = String::new();
                file.read_to_string(&mut previous).map_err(io)?;
                let stale = if previous.trim().is_empty() {
                    None
                } else {
                    Some(serde_json::from_str(&previous).unwrap_or_else(|_| unknown_holder()))
                };
                let body = serde_json::to_vec(me).map_err(|e| io(std::io::Error::other(e)))?;
                file.set_len(0).map_err(io)?;
                file.seek(SeekFrom::Start(0)).map_err(io)?;
                file.write_all(&body).map_err(io)?;
                file.sync_all().map_err(io)?;
                return Ok(SiteLock {
                    held: Held::File(file),
                    stale,
                });
            }
            Err(TryLockError::WouldBlock) => {
                if started.elapsed() >= timeout {
                    let holder = read_holder(&mut file)
                        .map_or_else(|| "an unknown holder".to_string(), |h| h.to_string());
                    return Err(LockError::Held {
                        site: site.to_string(),
                        holder,
                        waited: started.elapsed(),
                    });
                }
                drop(file);
                std::thread::sleep(Duration::from_millis(100).min(timeout));
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
    }
}

/// [`acquire`] without blocking the async runtime: polls every 200 ms up to `timeout`.
pub async fn acquire_async(
    path: &Path,
    site: &str,
    me: &Holder,
    timeout: Duration,
) -> Result<SiteLock, LockError> {
    let started = Instant::now();
    loop {
        match acquire(path, site, me, Duration::ZERO) {
            Err(LockError::Held { .. }) if started.elapsed() < timeout => {
                tokio::time::sleep(Duration::from_millis(200)).await
            }
            Err(LockError::Held { site, holder, .. }) => {
                return Err(LockError::Held {
                    site,
                    holder,
                    waited: started.elapsed(),
                })
            }
            other => return other,
        }
    }
}

impl Drop for SiteLock {
    fn drop(&mut self) {
        if let Held::File(file) = &self.held {
            // An empty file tells the next holder that this one finished cleanly.
            let _ = file.set_len(0);
            let _ = file.sync_all();
            let _ = file.unlock();
        }
    }
}

/// A holder that could not be read back, named as such rather than dropped.
fn unknown_holder() -> Holder {
    Holder {
        operator: "unknown".into(),
        pid: 0,
        host: "unknown".into(),
        since: jiff::Timestamp::UNIX_EPOCH,
        command: "unknown".into(),
    }
}

/// [`acquire_async`] in the shared PostgreSQL store: a session advisory lock that dies with the process.
pub async fn acquire_pg(
    pg: &PgStore,
    site: &str,
    me: &Holder,
    timeout: Duration,
) -> Result<SiteLock, LockError> {
    let store_err = |source| LockError::Store {
        store: pg.display(),
        site: site.to_string(),
        source,
    };
    let body = serde_json::to_string(me)
        .map_err(|e| store_err(PgError::Refused(format!("cannot encode the holder: {e}"))))?;
    match pg_lock::acquire(pg.url(), site, body, timeout)
        .await
        .map_err(store_err)?
    {
        Attempt::Taken(lock, stale) => Ok(SiteLock {
            held: Held::Pg(lock),
            stale: stale.map(|s| serde_json::from_str(&s).unwrap_or_else(|_| unknown_holder())),
        }),
        Attempt::Held(holder, waited) => Err(LockError::Held {
            site: site.to_string(),
            holder: holder
                .and_then(|h| serde_json::from_str::<Holder>(&h).ok())
                .map_or_else(|| "an unknown holder".to_string(), |h| h.to_string()),
            waited,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me(op: &str) -> Holder {
        Holder {
            operator: op.into(),
            pid: std::process::id(),
            host: host_name(),
            since: jiff::Timestamp::UNIX_EPOCH,
            command: "apply".into(),
        }
    }

    #[test]
    fn second_taker_waits_then_names_the_holder() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("locks/paris-hq.lock");
        let first =
            acquire(&path, "paris-hq", &me("claire.martin"), Duration::ZERO).expect("first");
        assert!(first.stale.is_none());
        let err = acquire(
            &path,
            "paris-hq",
            &me("karim.benali"),
            Duration::from_millis(300),
        )
        .expect_err("held");
        let msg = err.to_string();
        assert!(
            msg.contains("locked by claire.martin (apply by pid"),
            "{msg}"
        );
        drop(first);
        let again =
            acquire(&path, "paris-hq", &me("karim.benali"), Duration::ZERO).expect("released");
        assert!(again.stale.is_none(), "a clean release is not stale");
    }

    #[test]
    fn a_holder_that_died_is_reported_as_stale() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("paris-hq.lock");
        // What a crashed holder leaves: its record, and no flock (the kernel dropped it).
        let dead = Holder {
            pid: 999_999,
            ..me("claire.martin")
        };
        std::fs::write(&path, serde_json::to_vec(&dead).expect("json")).expect("write");
        let next = acquire(&path, "paris-hq", &me("karim.benali"), Duration::ZERO).expect("free");
        assert_eq!(next.stale, Some(dead));
        drop(next);
        assert_eq!(
            std::fs::read(&path).expect("read").len(),
            0,
            "released cleanly"
        );
    }
}
