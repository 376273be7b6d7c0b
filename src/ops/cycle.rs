//! What one `watch` cycle reads and writes besides the VMSs: the remote's commits, the
//! desired state at the followed revision, vmsops's own request ids, and what was notified.
//!
//! `watch` only sequences these calls and logs; every file, git and database access
//! happens here, each off the async workers.

use std::path::Path;
use std::time::Duration;

use super::blocking::blocking;
use crate::desired::{self, DesiredRepo, LoadError, Tree};
use crate::state::{KnownRequestIds, Notified, StateError, StateStore};

/// The longest a `git fetch` may take before the cycle goes on with the commits already here.
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a `git fetch` did not bring the remote's commits.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// git ran and failed.
    #[error("git fetch failed: {stderr}")]
    Failed {
        /// What git said.
        stderr: String,
    },
    /// git could not be run.
    #[error("cannot run git fetch")]
    Spawn(#[source] std::io::Error),
    /// git did not finish in time.
    #[error("git fetch timed out after {} s", FETCH_TIMEOUT.as_secs())]
    Timeout,
}

/// Fetches `remote` into the repository at `repo` (git's own transport, credentials and config).
pub async fn fetch(repo: &Path, remote: &str) -> Result<(), FetchError> {
    let fut = tokio::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["fetch", "--quiet", "--", remote])
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(FETCH_TIMEOUT, fut).await {
        Ok(Ok(o)) if o.status.success() => Ok(()),
        Ok(Ok(o)) => Err(FetchError::Failed {
            stderr: String::from_utf8_lossy(&o.stderr).trim().to_string(),
        }),
        Ok(Err(e)) => Err(FetchError::Spawn(e)),
        Err(_) => Err(FetchError::Timeout),
    }
}

/// The desired state of the repository at `rev`, with its tree.
pub async fn load_desired(repo: &Path, rev: &str) -> Result<(Tree, DesiredRepo), LoadError> {
    blocking(|| {
        let tree = Tree::open(repo, rev).map_err(LoadError::from)?;
        let loaded = desired::load(&tree, rev, None)?;
        Ok((tree, loaded))
    })
}

/// The request ids journaled since the last refresh, added to `known`; returns how many lines were read.
pub async fn refresh_known(
    state: &StateStore,
    known: &mut KnownRequestIds,
) -> Result<usize, StateError> {
    blocking(|| known.refresh(state))
}

/// What `watch` last notified for the site, if anything.
pub async fn notified(state: &StateStore, site: &str) -> Result<Option<Notified>, StateError> {
    blocking(|| state.notified(site))
}

/// Records what `watch` notified for the site.
pub async fn set_notified(state: &StateStore, site: &str, n: &Notified) -> Result<(), StateError> {
    blocking(|| state.set_notified(site, n))
}

/// The email of the author of the revision `tree` was read at: who the reconcile loop acts
/// for when no approval names someone.
pub fn revision_author(tree: &Tree) -> Option<String> {
    let (repo, rev) = tree.git()?;
    let c = repo.find_commit(rev).ok()?;
    let email = c.author().email()?.to_string();
    Some(email)
}
