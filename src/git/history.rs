//! Facts from git history: the commits between two revisions, their authors and trailers.

use git2::{Oid, Repository, Sort};

use super::tree::SourceError;
pub use crate::model::commit::{short_id, CommitFacts};

fn git_err(what: String) -> impl FnOnce(git2::Error) -> SourceError {
    move |source| SourceError::Git { what, source }
}

fn facts(repo: &Repository, id: Oid) -> Result<CommitFacts, SourceError> {
    let c = repo
        .find_commit(id)
        .map_err(git_err(format!("commit {id}")))?;
    let message = c.message_raw().unwrap_or_default().to_string();
    let tickets = git2::message_trailers_strs(&message)
        .map(|t| {
            t.iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("ticket"))
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let author = c.author();
    Ok(CommitFacts {
        id: id.to_string(),
        summary: c.summary().unwrap_or_default().to_string(),
        author_name: author.name().unwrap_or_default().to_string(),
        author_email: author.email().unwrap_or_default().to_string(),
        tickets,
    })
}

/// True if `rev` is `base` or descends from it.
pub fn descends_from(repo: &Repository, rev: Oid, base: Oid) -> Result<bool, SourceError> {
    if rev == base {
        return Ok(true);
    }
    repo.graph_descendant_of(rev, base)
        .map_err(git_err(format!("ancestry of {rev} and {base}")))
}

/// The commits in `base..rev`, oldest first; `rev` alone when that range is empty.
pub fn commits_between(
    repo: &Repository,
    base: Oid,
    rev: Oid,
) -> Result<Vec<CommitFacts>, SourceError> {
    let mut walk = repo.revwalk().map_err(git_err("history".into()))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(git_err("history".into()))?;
    walk.push(rev).map_err(git_err(format!("commit {rev}")))?;
    walk.hide(base).map_err(git_err(format!("commit {base}")))?;
    let mut out = Vec::new();
    for id in walk {
        out.push(facts(repo, id.map_err(git_err("history".into()))?)?);
    }
    if out.is_empty() {
        out.push(facts(repo, rev)?);
    }
    Ok(out)
}
