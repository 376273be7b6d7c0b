//! Gathers the approval facts the gate needs from git: the `approve/*` tags near a revision.
//!
//! The gate itself reads nothing; this module reads the repository's object
//! database (through git2) for it. It reports what it finds, lightweight and
//! misplaced tags included, and never decides: whether a tag approves the
//! revision is the pure gate's business. It never
//! verifies a signature either; it only separates the signed payload from the
//! signature block exactly as git does.

use std::collections::HashSet;

use git2::{ObjectType, Oid, Repository};
use jiff::Timestamp;

use crate::model::tag::{TagFacts, TagKind, Tagger};

/// The prefix of approval tags under `refs/tags/`.
pub const APPROVE_PREFIX: &str = "approve/";

/// How many commits back from the revision tags are still reported, so the
/// gate can say "this tag approves an earlier commit" without walking all history.
const RECENT_COMMITS: usize = 200;

/// The first line of an SSH signature block, as git appends it to a tag.
pub const SSH_SIGNATURE_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";

/// Every signature block that git recognises at the end of a tag (gpg-interface.c).
const SIGNATURE_BEGINS: [&str; 4] = [
    "-----BEGIN PGP SIGNATURE-----",
    "-----BEGIN PGP MESSAGE-----",
    "-----BEGIN SIGNED MESSAGE-----",
    SSH_SIGNATURE_BEGIN,
];

/// An error reading tags from git.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    /// A git operation failed.
    #[error("cannot read {what} from git")]
    Git {
        /// What was being read, e.g. `tag approve/x`.
        what: String,
        /// The git2 error.
        #[source]
        source: git2::Error,
    },
}

fn git_err(what: impl Into<String>) -> impl FnOnce(git2::Error) -> FactsError {
    let what = what.into();
    move |source| FactsError::Git { what, source }
}

/// The `approve/*` tags that lead to `rev` or to one of its recent ancestors, sorted by name.
///
/// Tags on ancestors are reported so that the gate can explain why they do not
/// count; only an annotated tag naming `rev` itself can approve it.
pub fn approval_tags(repo: &Repository, rev: Oid) -> Result<Vec<TagFacts>, FactsError> {
    let recent = recent_commits(repo, rev)?;
    let refs = repo
        .references_glob(&format!("refs/tags/{APPROVE_PREFIX}*"))
        .map_err(git_err("the approve/* tags"))?;
    let mut out = Vec::new();
    for r in refs {
        let r = r.map_err(git_err("the approve/* tags"))?;
        let Some(full) = r.name() else { continue };
        let name = full.trim_start_matches("refs/tags/").to_string();
        let r = r.resolve().map_err(git_err(format!("tag {name}")))?;
        let Some(id) = r.target() else { continue };
        let Some(facts) = tag_facts(repo, &name, id)? else {
            continue;
        };
        let commit = Oid::from_str(&facts.commit).map_err(git_err(format!("tag {name}")))?;
        if recent.contains(&commit) {
            out.push(facts);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// `rev` and up to [`RECENT_COMMITS`] of its ancestors.
fn recent_commits(repo: &Repository, rev: Oid) -> Result<HashSet<Oid>, FactsError> {
    let mut walk = repo.revwalk().map_err(git_err("history"))?;
    walk.push(rev).map_err(git_err(format!("commit {rev}")))?;
    let mut out = HashSet::new();
    for id in walk.take(RECENT_COMMITS) {
        out.insert(id.map_err(git_err("history"))?);
    }
    Ok(out)
}

/// The facts of the tag named `name` whose reference points at `id`;
/// `None` when it does not lead to a commit (a tag of a tree or a blob).
fn tag_facts(repo: &Repository, name: &str, id: Oid) -> Result<Option<TagFacts>, FactsError> {
    let what = || format!("tag {name}");
    let obj = repo.find_object(id, None).map_err(git_err(what()))?;
    let Ok(commit) = obj.peel_to_commit() else {
        return Ok(None);
    };
    let commit = commit.id().to_string();
    if obj.kind() != Some(ObjectType::Tag) {
        return Ok(Some(TagFacts {
            name: name.to_string(),
            kind: TagKind::Lightweight,
            target: id.to_string(),
            commit,
            tagger: None,
            signature: None,
            payload: Vec::new(),
        }));
    }
    let tag = repo.find_tag(id).map_err(git_err(what()))?;
    let tagger = tag.tagger().map(|s| Tagger {
        name: String::from_utf8_lossy(s.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(s.email_bytes()).into_owned(),
        at: Timestamp::from_second(s.when().seconds()).ok(),
    });
    // The raw object, not git2's parsed message: the signature covers these exact bytes.
    let odb = repo.odb().map_err(git_err(what()))?;
    let raw = odb.read(id).map_err(git_err(what()))?;
    let (payload, signature) = split_signature(raw.data());
    Ok(Some(TagFacts {
        name: name.to_string(),
        kind: TagKind::Annotated,
        target: tag.target_id().to_string(),
        commit,
        tagger,
        signature: signature
            .filter(|s| s.starts_with(SSH_SIGNATURE_BEGIN.as_bytes()))
            .map(|s| String::from_utf8_lossy(s).into_owned()),
        payload: payload.to_vec(),
    }))
}

/// Splits a raw tag into the signed payload and the signature block, as git's
/// `parse_signed_buffer` does: the block starts at the last line that opens a
/// signature of any format git knows.
pub fn split_signature(raw: &[u8]) -> (&[u8], Option<&[u8]>) {
    let mut start = None;
    let mut pos = 0;
    while pos < raw.len() {
        let line = &raw[pos..];
        if SIGNATURE_BEGINS
            .iter()
            .any(|b| line.starts_with(b.as_bytes()))
        {
            start = Some(pos);
        }
        pos += line
            .iter()
            .position(|&b| b == b'\n')
            .map_or(line.len(), |n| n + 1);
    }
    match start {
        Some(s) => (&raw[..s], Some(&raw[s..])),
        None => (raw, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_signature_block_starts_the_signature() {
        let raw = b"object 1\ntag approve/x\n\n-----BEGIN SSH SIGNATURE----- in the message\nmore\n-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n";
        let (payload, sig) = split_signature(raw);
        assert!(payload.ends_with(b"more\n"));
        assert_eq!(
            sig.unwrap(),
            b"-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"
        );
        let (payload, sig) = split_signature(b"object 1\n\nno signature\n");
        assert_eq!((payload.len(), sig), (23, None));
        let (_, sig) = split_signature(b"x\n-----BEGIN PGP SIGNATURE-----\nAAAA\n");
        assert!(sig.unwrap().starts_with(b"-----BEGIN PGP"));
    }
}
