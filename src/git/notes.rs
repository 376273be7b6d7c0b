//! The `refs/notes/vmsops` note on applied commits: a record of each apply that lives with the repository.

use super::tree::Tree;

/// The notes reference vmsops writes.
pub const NOTES_REF: &str = "refs/notes/vmsops";

/// Appends `line` to the `refs/notes/vmsops` note of the applied commit (one line per site and apply).
pub fn append(tree: &Tree, line: &str) -> Result<(), git2::Error> {
    let Some((repo, rev)) = tree.git() else {
        return Ok(());
    };
    let notes_ref = NOTES_REF;
    let previous = repo
        .find_note(Some(notes_ref), rev)
        .ok()
        .and_then(|n| n.message().map(String::from))
        .unwrap_or_default();
    let text = if previous.is_empty() {
        format!("{line}\n")
    } else {
        format!("{}\n{line}\n", previous.trim_end())
    };
    let sig = repo
        .signature()
        .or_else(|_| git2::Signature::now("vmsops", "vmsops@localhost"))?;
    repo.note(&sig, &sig, Some(notes_ref), rev, &text, true)?;
    Ok(())
}
