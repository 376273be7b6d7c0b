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

/// Every journal position the notes of `repo_dir` record: `(commit, seq, hash)`, one per apply line.
///
/// The notes live on the git server once pushed, a second system that whoever edits
/// the state cannot also rewrite: `audit verify --repo` checks the journal against them.
pub fn journal_anchors(
    repo_dir: &std::path::Path,
) -> Result<Vec<(String, u64, String)>, git2::Error> {
    let repo = git2::Repository::discover(repo_dir)?;
    let mut out = Vec::new();
    let notes = match repo.notes(Some(NOTES_REF)) {
        Ok(n) => n,
        // No notes yet: nothing was applied from this repository.
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for n in notes {
        let (note_id, commit) = n?;
        let blob = repo.find_blob(note_id)?;
        let text = String::from_utf8_lossy(blob.content());
        for line in text.lines() {
            if let Some((seq, hash)) = parse_anchor(line) {
                out.push((commit.to_string(), seq, hash));
            }
        }
    }
    Ok(out)
}

/// `journal #SEQ (HASH)` in one note line.
fn parse_anchor(line: &str) -> Option<(u64, String)> {
    let rest = line.split_once("; journal #")?.1;
    let (seq, rest) = rest.split_once(' ')?;
    let hash = rest.strip_prefix('(')?.split(')').next()?;
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| Some((seq.parse().ok()?, hash.to_string())))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_read_from_apply_lines_only() {
        let h = "a".repeat(64);
        let line = format!("vmsops: 0123456789ab applied to site s at 2026-12-01T01:30:00Z by c (agent cli); journal #14 ({h}), snapshot x");
        assert_eq!(parse_anchor(&line), Some((14, h)));
        assert_eq!(
            parse_anchor("vmsops: … journal #14, snapshot x"),
            None,
            "older notes have no hash"
        );
        assert_eq!(parse_anchor("unrelated"), None);
    }
}
