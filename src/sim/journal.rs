//! The VMS's own administration journal: one entry per mutation attempt.
//!
//! Written only by the server (every mutation, failed ones too, except
//! unauthenticated requests, which have no user) and read-only through the API.
//!
//! Must never drop or rewrite an entry: the journal is the VMS's audit trail,
//! and `seq` must stay gap-free from 1.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How a journaled attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalResult {
    /// Answered 2xx; the change is durable.
    Success,
    /// Answered 4xx or 5xx; nothing changed.
    Failure,
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Position, from 1, without gaps.
    pub seq: u64,
    /// When the server handled the request.
    pub at: Timestamp,
    /// The user of the bearer token.
    pub user: String,
    /// What was attempted, e.g. `camera.update`.
    pub action: String,
    /// Camera id, alert kind, `settings` or `config`; empty if the body named none.
    pub target: String,
    /// How it ended.
    pub result: JournalResult,
    /// The client's `X-Request-Id`.
    pub request_id: Option<String>,
    /// The client's `X-On-Behalf-Of`.
    pub on_behalf_of: Option<String>,
}

/// What `GET /api/v1/journal` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Entries with `seq >= since`, oldest first.
    pub items: Vec<Entry>,
    /// Pass as `since` to read the entries after these.
    pub next_seq: u64,
    /// The newest entry's seq (0 when the journal is empty).
    pub last_seq: u64,
}

/// Up to `limit` entries from `since` on; entry `n` sits at index `n - 1`.
pub fn page(journal: &[Entry], since: u64, limit: usize) -> Page {
    let since = since.max(1);
    let start = usize::try_from(since - 1)
        .unwrap_or(usize::MAX)
        .min(journal.len());
    let items: Vec<Entry> = journal[start..].iter().take(limit).cloned().collect();
    let next_seq = items.last().map_or(since, |e| e.seq + 1);
    Page {
        items,
        next_seq,
        last_seq: journal.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(n: u64) -> Vec<Entry> {
        (1..=n)
            .map(|seq| Entry {
                seq,
                at: Timestamp::UNIX_EPOCH,
                user: "u".into(),
                action: "camera.create".into(),
                target: "a".into(),
                result: JournalResult::Success,
                request_id: None,
                on_behalf_of: None,
            })
            .collect()
    }

    #[test]
    fn pages_follow_next_seq_to_the_end() {
        let j = journal(5);
        let p = page(&j, 0, 2);
        assert_eq!((p.items.len(), p.next_seq, p.last_seq), (2, 3, 5));
        let p = page(&j, p.next_seq, 10);
        assert_eq!(p.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(p.next_seq, 6);
        let p = page(&j, 6, 10);
        assert_eq!((p.items.len(), p.next_seq), (0, 6));
        let p = page(&j, u64::MAX, 10);
        assert_eq!((p.items.len(), p.next_seq), (0, u64::MAX));
        assert_eq!(page(&j, 1, 0).items.len(), 0);
    }
}
