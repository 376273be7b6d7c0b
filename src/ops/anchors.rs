//! The journal's anchors: positions of the journal recorded outside it, gathered in one place.
//!
//! The state records the journal head after every append and each site's
//! last apply; the git notes on applied commits record the journal position
//! of each apply. `apply`, `restore` and `drift ack` refuse a journal that
//! does not reach the state's anchors (it was cut or deleted); `audit verify`
//! checks the chain against them all, the notes included when it is given a
//! repository. The notes are not checked before a change: two machines with
//! two state stores may apply from one repository, and each one's notes name
//! the other's journal.

use std::path::Path;

use super::blocking::blocking;
use crate::audit::{Anchor, AnchorKind, AuditError, Journal};
use crate::state::StateStore;

/// Failures gathering the anchors.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    /// The state store or its journal could not be read.
    #[error(transparent)]
    Journal(#[from] AuditError),
    /// The state store's records could not be read.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    /// The git notes could not be read.
    #[error("cannot read the notes refs/notes/vmsops of {repo}")]
    Notes {
        /// The repository.
        repo: String,
        /// The cause.
        #[source]
        source: git2::Error,
    },
}

/// A journal that ends before an anchor: it was cut or deleted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the journal ends at #{last} but {} recorded #{}: it was cut or deleted, so nothing was changed; restore it (`vmsops audit verify` names the break)", anchor.what, anchor.seq)]
pub struct Unreached {
    /// The last entry the journal holds (0: none).
    pub last: u64,
    /// The furthest anchor it does not reach.
    pub anchor: Anchor,
}

/// Every anchor of the journal of `state`: its recorded head, each site's last apply and,
/// with `repo`, every apply line of the repository's git notes.
pub fn gather(state: &StateStore, repo: Option<&Path>) -> Result<Vec<Anchor>, AnchorError> {
    let mut anchors: Vec<Anchor> = Journal::open(state).head_anchor()?.into_iter().collect();
    for site in state.sites()? {
        if let Some(a) = state.applied(&site)? {
            if let Some(seq) = a.journal_seq {
                anchors.push(Anchor {
                    kind: AnchorKind::Applied,
                    seq,
                    hash: a.journal_hash,
                    what: format!("the last apply of {site}"),
                });
            }
        }
    }
    if let Some(dir) = repo {
        let notes =
            crate::git::notes::journal_anchors(dir).map_err(|source| AnchorError::Notes {
                repo: dir.display().to_string(),
                source,
            })?;
        anchors.extend(notes.into_iter().map(|(commit, seq, hash)| Anchor {
            kind: AnchorKind::Note,
            seq,
            hash: Some(hash),
            what: format!("the git note on {}", crate::model::short_id(&commit)),
        }));
    }
    Ok(anchors)
}

/// Refuses a journal that is missing or shorter than one of the state's anchors: a
/// change never starts from a journal silently started over.
pub async fn ensure_reached(state: &StateStore) -> Result<(), ReachError> {
    match unreached(state).await? {
        Some(u) => Err(ReachError::Unreached(u)),
        None => Ok(()),
    }
}

/// Why a change cannot start from the journal as it is.
#[derive(Debug, thiserror::Error)]
pub enum ReachError {
    /// The anchors could not be read.
    #[error(transparent)]
    Anchors(#[from] AnchorError),
    /// The journal does not reach an anchor.
    #[error(transparent)]
    Unreached(#[from] Unreached),
}

/// The furthest of the state's anchors that the journal does not reach, if any: what a
/// change refuses to start from, since a journal is never silently started over.
pub async fn unreached(state: &StateStore) -> Result<Option<Unreached>, AnchorError> {
    let state = state.clone();
    blocking(move || {
        let anchors = gather(&state, None)?;
        let last = Journal::open(&state).last()?.map_or(0, |e| e.seq);
        Ok(anchors
            .into_iter()
            .filter(|x| x.seq > last)
            .max_by_key(|x| x.seq)
            .map(|anchor| Unreached { last, anchor }))
    })
}

/// Records the journal's head after a restore or an acknowledgement of `at`'s site in
/// its applied record and in the git note on its applied commit, as an apply does: two
/// anchors outside the journal. A site never applied has neither; a note that cannot be
/// written is logged (the journal and the state are the record).
pub async fn record_head(
    state: &StateStore,
    repo: &Path,
    at: &super::connection::SiteAt,
    what: &str,
) -> Result<(), AnchorError> {
    let Some(applied) = at.applied.clone() else {
        return Ok(());
    };
    let site = at.site.name.clone();
    let state = state.clone();
    let repo = repo.to_path_buf();
    let what = what.to_string();
    blocking(move || {
        let Some(head) = Journal::open(&state).last()? else {
            return Ok(());
        };
        state.set_applied(
            &site,
            &crate::state::Applied {
                journal_seq: Some(head.seq),
                journal_hash: Some(head.hash.clone()),
                ..applied.clone()
            },
        )?;
        let line = format!(
            "vmsops: {what} on site {site} at {} by {}; journal #{} ({})",
            head.at,
            head.operator.as_deref().unwrap_or("-"),
            head.seq,
            head.hash
        );
        let noted = crate::git::tree::Tree::open(&repo, &applied.commit)
            .map_err(|e| crate::error_chain(&e))
            .and_then(|tree| {
                crate::git::notes::append(&tree, &line).map_err(|e| crate::error_chain(&e))
            });
        if let Err(e) = noted {
            tracing::warn!(site, error = %e, "could not attach the git note refs/notes/vmsops");
        }
        Ok(())
    })
}
