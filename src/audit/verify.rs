//! Re-walking the hash chain: the first entry that was edited, deleted, moved, copied or torn.
//!
//! Pure: it reads bytes already loaded and never touches the file, so it can
//! never "repair" anything. Entries removed from the end leave a valid chain;
//! they are caught only against anchors, sequence numbers recorded elsewhere.

use schemars::JsonSchema;
use serde::Serialize;

use super::entry::Entry;
use super::journal::split_lines;

/// Where an anchor was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AnchorKind {
    /// The journal head, recorded beside the journal after every append.
    Head,
    /// A site's last apply, restore or acknowledgement, in its applied record.
    Applied,
    /// An apply, restore or acknowledgement line of a git note on an applied commit.
    Note,
}

/// A `seq` that something outside the journal recorded, so the journal must reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Anchor {
    /// Where it was recorded.
    pub kind: AnchorKind,
    /// The recorded sequence number.
    pub seq: u64,
    /// The hash recorded for that entry, when the anchor kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Who recorded it, in words (e.g. `the last apply of paris-hq`).
    pub what: String,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Intact entries before the first break (all of them when nothing is broken).
    pub entries: u64,
    /// The hash of the last intact entry.
    pub last_hash: Option<String>,
    /// The first break, if any.
    pub broken: Option<Break>,
    /// Each anchor and whether the intact chain honours it.
    pub anchors: Vec<AnchorCheck>,
}

/// One anchor, checked against the intact part of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AnchorCheck {
    /// The anchor.
    #[serde(flatten)]
    pub anchor: Anchor,
    /// True when the intact chain holds its entry and, where the anchor kept a hash, with that hash.
    pub matched: bool,
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// 1-based line of the file.
    pub line: usize,
    /// The `seq` that line claims, when it could be read.
    pub seq: Option<u64>,
    /// What is wrong.
    pub kind: BreakKind,
}

/// What is wrong at a break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum BreakKind {
    /// The last line has no line end: an append was interrupted.
    Torn,
    /// The line is not a journal entry.
    Malformed {
        /// Why.
        reason: String,
    },
    /// The entry's content does not match its hash: it was changed after it was written.
    Edited,
    /// The next entry in sequence is absent from the file.
    Missing {
        /// The `seq` expected on this line.
        expected: u64,
    },
    /// The next entry in sequence is further down: entries were moved.
    OutOfOrder {
        /// The `seq` expected on this line.
        expected: u64,
    },
    /// The line reuses a `seq` already seen.
    Duplicate,
    /// `prev` is not the previous entry's hash: an entry was replaced or inserted.
    Unlinked,
    /// The journal stops before an anchor: entries were removed from its end.
    Truncated {
        /// The anchor it does not reach.
        anchor: Anchor,
    },
    /// The entry an anchor names has another hash: the journal was rewritten.
    Rewritten {
        /// The anchor it contradicts.
        anchor: Anchor,
    },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = self.line;
        let seq = self.seq.map_or("?".to_string(), |s| s.to_string());
        match &self.kind {
            BreakKind::Torn => write!(
                f,
                "line {line}: the last line is incomplete (an interrupted write; the operation it would have recorded was never reported)"
            ),
            BreakKind::Malformed { reason } => {
                write!(f, "line {line}: not a journal entry: {reason}")
            }
            BreakKind::Edited => write!(
                f,
                "entry #{seq} (line {line}) was changed after it was written: its content does not match its hash"
            ),
            BreakKind::Missing { expected } => write!(
                f,
                "entry #{expected} is missing: line {line} holds #{seq} (entries were deleted)"
            ),
            BreakKind::OutOfOrder { expected } => write!(
                f,
                "entry #{seq} (line {line}) is out of order: #{expected} was expected there (entries were moved)"
            ),
            BreakKind::Duplicate => write!(
                f,
                "entry #{seq} (line {line}) repeats a sequence number already used (a copied or inserted entry)"
            ),
            BreakKind::Unlinked => write!(
                f,
                "entry #{seq} (line {line}) is not linked to the entry before it: its prev is not that entry's hash (an entry was replaced or inserted)"
            ),
            BreakKind::Truncated { anchor } => write!(
                f,
                "the journal ends at #{seq} but {} was journaled as #{}: entries were removed from the end",
                anchor.what, anchor.seq
            ),
            BreakKind::Rewritten { anchor } => write!(
                f,
                "entry #{} is not the entry {} recorded (its hash differs): the journal was rewritten",
                anchor.seq, anchor.what
            ),
        }
    }
}

/// Verifies journal `bytes`, and that the journal reaches every anchor.
pub fn verify_bytes(bytes: &[u8], anchors: &[Anchor]) -> VerifyReport {
    let lines = split_lines(bytes);
    let parsed: Vec<Result<Entry, String>> = lines
        .iter()
        .map(|(l, _)| {
            std::str::from_utf8(l)
                .map_err(|_| "not UTF-8".to_string())
                .and_then(Entry::from_line)
        })
        .collect();
    let mut report = VerifyReport {
        entries: 0,
        last_hash: None,
        broken: None,
        anchors: Vec::new(),
    };
    let mut last_seq = 0u64;
    let mut hashes: Vec<String> = Vec::new();
    for (i, ((_, ended), entry)) in lines.iter().zip(&parsed).enumerate() {
        let line = i + 1;
        let is_last = line == lines.len();
        let broken = |seq: Option<u64>, kind: BreakKind| Some(Break { line, seq, kind });
        if is_last && !ended {
            report.broken = broken(entry.as_ref().ok().map(|e| e.seq), BreakKind::Torn);
            return with_checks(report, anchors, &hashes);
        }
        let e = match entry {
            Ok(e) => e,
            Err(reason) => {
                report.broken = broken(
                    None,
                    BreakKind::Malformed {
                        reason: reason.clone(),
                    },
                );
                return with_checks(report, anchors, &hashes);
            }
        };
        let seq = Some(e.seq);
        let kind = chain_break(e, last_seq + 1, report.last_hash.as_ref(), &parsed[i + 1..]);
        if let Some(kind) = kind {
            report.broken = broken(seq, kind);
            return with_checks(report, anchors, &hashes);
        }
        last_seq = e.seq;
        hashes.push(e.hash.clone());
        report.entries += 1;
        report.last_hash = Some(e.hash.clone());
    }
    report.broken = anchor_break(anchors, last_seq, &hashes, lines.len());
    with_checks(report, anchors, &hashes)
}

/// `report` with each anchor checked against the intact chain's `hashes`.
fn with_checks(mut report: VerifyReport, anchors: &[Anchor], hashes: &[String]) -> VerifyReport {
    report.anchors = checks(anchors, hashes);
    report
}

/// Each anchor against `hashes`, the intact chain's hashes in order (entry #n's is `hashes[n - 1]`).
fn checks(anchors: &[Anchor], hashes: &[String]) -> Vec<AnchorCheck> {
    anchors
        .iter()
        .map(|a| {
            let held = a
                .seq
                .checked_sub(1)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| hashes.get(i));
            let matched = match (held, &a.hash) {
                (Some(h), Some(recorded)) => h == recorded,
                (Some(_), None) => true,
                (None, _) => a.seq == 0,
            };
            AnchorCheck {
                anchor: a.clone(),
                matched,
            }
        })
        .collect()
}

/// How entry `e`, expected to be #`expected` after the entry hashed `last_hash`, breaks
/// the chain, if it does; `later` are the lines after it.
fn chain_break(
    e: &Entry,
    expected: u64,
    last_hash: Option<&String>,
    later: &[Result<Entry, String>],
) -> Option<BreakKind> {
    // The hash first: an edited `seq` or `prev` is an edit, not a move.
    if e.compute_hash() != e.hash {
        Some(BreakKind::Edited)
    } else if e.seq < expected {
        Some(BreakKind::Duplicate)
    } else if e.seq > expected {
        let found_later = later
            .iter()
            .any(|p| p.as_ref().is_ok_and(|p| p.seq == expected));
        Some(if found_later {
            BreakKind::OutOfOrder { expected }
        } else {
            BreakKind::Missing { expected }
        })
    } else if e.prev.as_ref() != last_hash {
        Some(BreakKind::Unlinked)
    } else {
        None
    }
}

/// The first anchor an intact chain of `last_seq` entries (hashed `hashes`, on `lines`
/// lines) does not honour: one it does not reach, else one whose entry has another hash.
fn anchor_break(
    anchors: &[Anchor],
    last_seq: u64,
    hashes: &[String],
    lines: usize,
) -> Option<Break> {
    if let Some(anchor) = anchors
        .iter()
        .filter(|a| a.seq > last_seq)
        .max_by_key(|a| a.seq)
    {
        return Some(Break {
            line: lines + 1,
            seq: Some(last_seq),
            kind: BreakKind::Truncated {
                anchor: anchor.clone(),
            },
        });
    }
    // Entries are 1..=last_seq here, in order: entry #n's hash is hashes[n - 1].
    let anchor = anchors.iter().find(|a| {
        a.seq > 0
            && a.hash
                .as_ref()
                .is_some_and(|h| hashes.get((a.seq - 1) as usize) != Some(h))
    })?;
    Some(Break {
        line: anchor.seq as usize,
        seq: Some(anchor.seq),
        kind: BreakKind::Rewritten {
            anchor: anchor.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::entry::{EntryResult, NewEntry};

    /// Five chained lines, each ending with `\n`.
    fn chain() -> Vec<String> {
        let mut prev = None;
        (1..=5)
            .map(|seq| {
                let mut n = NewEntry::new(
                    "2026-11-27T12:00:00Z".parse().expect("ts"),
                    crate::audit::Action::CameraUpdate,
                    EntryResult::Success,
                );
                n.target = Some(format!("cam-{seq}"));
                let e = Entry::seal(n, seq, prev.take());
                prev = Some(e.hash.clone());
                e.to_line() + "\n"
            })
            .collect()
    }

    fn check(lines: &[String]) -> VerifyReport {
        verify_bytes(lines.concat().as_bytes(), &[])
    }

    fn first_break(lines: &[String]) -> (usize, Option<u64>, BreakKind) {
        let b = check(lines).broken.expect("a break");
        (b.line, b.seq, b.kind)
    }

    #[test]
    fn an_intact_chain_and_an_empty_journal_verify() {
        let r = check(&chain());
        assert_eq!(r.broken, None);
        assert_eq!(r.entries, 5);
        assert_eq!(verify_bytes(b"", &[]).entries, 0);
        assert_eq!(verify_bytes(b"", &[]).broken, None);
    }

    #[test]
    fn an_edited_entry() {
        let mut l = chain();
        l[2] = l[2].replace("cam-3", "cam-9");
        assert_eq!(first_break(&l), (3, Some(3), BreakKind::Edited));
        let msg = check(&l).broken.expect("break").to_string();
        assert!(msg.starts_with("entry #3 (line 3) was changed"), "{msg}");
    }

    #[test]
    fn an_edited_entry_with_a_recomputed_hash_breaks_the_next_link() {
        let mut l = chain();
        let mut e = Entry::from_line(l[2].trim_end()).expect("entry");
        e.target = Some("cam-9".into());
        e.hash = e.compute_hash();
        l[2] = e.to_line() + "\n";
        assert_eq!(first_break(&l), (4, Some(4), BreakKind::Unlinked));
    }

    #[test]
    fn a_deleted_entry() {
        let mut l = chain();
        l.remove(1);
        assert_eq!(
            first_break(&l),
            (2, Some(3), BreakKind::Missing { expected: 2 })
        );
        let mut l = chain();
        l.remove(0);
        assert_eq!(
            first_break(&l),
            (1, Some(2), BreakKind::Missing { expected: 1 })
        );
    }

    #[test]
    fn reordered_entries() {
        let mut l = chain();
        l.swap(1, 3);
        assert_eq!(
            first_break(&l),
            (2, Some(4), BreakKind::OutOfOrder { expected: 2 })
        );
    }

    #[test]
    fn a_duplicated_entry() {
        let mut l = chain();
        l.insert(2, l[1].clone());
        assert_eq!(first_break(&l), (3, Some(2), BreakKind::Duplicate));
    }

    #[test]
    fn a_torn_or_truncated_last_line() {
        let mut l = chain();
        let last = l[4].trim_end().to_string();
        l[4] = last[..last.len() / 2].to_string();
        assert_eq!(first_break(&l), (5, None, BreakKind::Torn));
        // Complete JSON but no line end: the write did not finish either.
        l[4] = last;
        assert_eq!(first_break(&l), (5, Some(5), BreakKind::Torn));
        let r = check(&l);
        assert_eq!(r.entries, 4);
    }

    #[test]
    fn garbage_in_the_middle() {
        let mut l = chain();
        l[1] = "{not json\n".into();
        let (line, seq, kind) = first_break(&l);
        assert_eq!((line, seq), (2, None));
        assert!(matches!(kind, BreakKind::Malformed { .. }), "{kind:?}");
        let mut l = chain();
        l.insert(1, "\n".into());
        assert!(matches!(first_break(&l).2, BreakKind::Malformed { .. }));
    }

    #[test]
    fn removed_from_the_end_is_caught_by_an_anchor() {
        let mut l = chain();
        l.truncate(3);
        assert_eq!(check(&l).broken, None);
        let anchor = Anchor {
            kind: AnchorKind::Applied,
            hash: None,
            seq: 5,
            what: "the last apply of paris-hq".into(),
        };
        let r = verify_bytes(l.concat().as_bytes(), std::slice::from_ref(&anchor));
        let b = r.broken.expect("truncated");
        assert_eq!(b.kind, BreakKind::Truncated { anchor });
        assert_eq!(
            b.to_string(),
            "the journal ends at #3 but the last apply of paris-hq was journaled as #5: entries were removed from the end"
        );
        let ok = Anchor {
            kind: AnchorKind::Applied,
            hash: None,
            seq: 3,
            what: "x".into(),
        };
        assert_eq!(verify_bytes(l.concat().as_bytes(), &[ok]).broken, None);
    }
}
