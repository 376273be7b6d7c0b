//! The journal file: appending under a lock, durably, and reading it back.
//!
//! Appends take an exclusive lock on the file itself (`flock`), so processes
//! and threads that each open the journal never interleave or reuse a `seq`.
//! An append is on disk (fsynced, and the folder too when the file is new)
//! before it returns. Nothing here ever rewrites or truncates the file.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::entry::{Entry, NewEntry};
use super::verify::{self, Anchor, VerifyReport};
use super::AuditError;
use crate::state::StateStore;

/// How `tail` says the last line is incomplete (the only damage an append repairs).
const TORN: &str = "the last line is incomplete";

/// The size of the head record beside the journal (well under one disk sector).
const HEAD_RECORD_BYTES: usize = 160;

/// How much of the end of the file is read at a time when looking for the last line.
const TAIL_CHUNK: u64 = 8 * 1024;

/// The audit journal of a state store.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
    /// The shared store holding it, when it is not a file.
    store: Option<StateStore>,
}

impl Journal {
    /// The journal of `state` (`STATE/journal.jsonl`, or the store's `vmsops.journal`); does no I/O.
    pub fn open(state: &StateStore) -> Journal {
        Journal {
            path: state.journal_path(),
            store: state.pg().is_some().then(|| state.clone()),
        }
    }

    /// The journal in the file `path`.
    pub fn at(path: impl Into<PathBuf>) -> Journal {
        Journal {
            path: path.into(),
            store: None,
        }
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The journal as messages name it: its file, or its table in the shared store.
    pub fn location(&self) -> String {
        match &self.store {
            Some(s) => format!("{} (vmsops.journal)", s.display()),
            None => self.path.display().to_string(),
        }
    }

    fn db(&self, source: crate::state::pg::PgError) -> AuditError {
        match &self.store {
            Some(s) => AuditError::State(s.db_error(source)),
            None => AuditError::State(crate::state::StateError::NotPostgres {
                store: self.path.display().to_string(),
            }),
        }
    }

    /// The last line, checked: an intact entry that matches its hash.
    fn checked_last(&self, line: &str) -> Result<Entry, AuditError> {
        let broken = |reason: String| AuditError::BrokenTail {
            path: self.path.clone(),
            reason,
        };
        let entry = Entry::from_line(line)
            .map_err(|r| broken(format!("the last line is not a journal entry: {r}")))?;
        if entry.compute_hash() != entry.hash {
            return Err(broken(format!(
                "the last entry (#{}) does not match its hash",
                entry.seq
            )));
        }
        Ok(entry)
    }

    /// [`Journal::append`] in the shared store: one transaction that serialises every writer.
    fn append_db(&self, store: &StateStore, news: Vec<NewEntry>) -> Result<Vec<Entry>, AuditError> {
        let Some(pg) = store.pg() else {
            return Err(AuditError::State(crate::state::StateError::NotPostgres {
                store: store.display(),
            }));
        };
        let me = self.clone();
        let lines = pg
            .journal_append(move |last| {
                let mut last = match last {
                    Some(l) => Some(me.checked_last(l).map_err(|e| crate::error_chain(&e))?),
                    None => None,
                };
                let mut rows = Vec::with_capacity(news.len());
                for new in &news {
                    let entry = seal_after(new.clone(), last.as_ref());
                    rows.push((entry.seq, entry.hash.clone(), entry.to_line()));
                    last = Some(entry);
                }
                Ok(rows)
            })
            .map_err(|e| self.db(e))?;
        lines
            .iter()
            .map(|line| {
                Entry::from_line(line).map_err(|reason| AuditError::BrokenTail {
                    path: self.path.clone(),
                    reason,
                })
            })
            .collect()
    }

    fn io(&self, source: std::io::Error) -> AuditError {
        AuditError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Appends `new` as the next entry and returns it once it is on disk.
    ///
    /// Refuses ([`AuditError::BrokenTail`]) when the last line is incomplete or
    /// is not an intact entry: extending a damaged chain would hide the damage.
    pub fn append(&self, new: NewEntry) -> Result<Entry, AuditError> {
        let mut entries = self.append_all(vec![new])?;
        entries.pop().ok_or_else(|| AuditError::BrokenTail {
            path: self.path.clone(),
            reason: "the append wrote no entry".into(),
        })
    }

    /// Appends `news` in order as the next entries, with one write and one sync for
    /// all of them (group commit); returns them once they are all on disk. On failure
    /// none of them is in the journal.
    pub fn append_all(&self, news: Vec<NewEntry>) -> Result<Vec<Entry>, AuditError> {
        let Some(first_at) = news.first().map(|n| n.at) else {
            return Ok(Vec::new());
        };
        if let Some(store) = &self.store {
            return self.append_db(store, news);
        }
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        crate::state::atomic::create_private_dir(&dir).map_err(|source| AuditError::Io {
            path: dir.clone(),
            source,
        })?;
        let (mut file, created) = match OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .mode(0o600)
            .open(&self.path)
        {
            Ok(f) => (f, true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => (
                OpenOptions::new()
                    .read(true)
                    .append(true)
                    .open(&self.path)
                    .map_err(|e| self.io(e))?,
                false,
            ),
            Err(e) => return Err(self.io(e)),
        };
        // Released when `file` is dropped, after the fsync.
        file.lock().map_err(|e| self.io(e))?;
        if !created {
            // A journal created by an older vmsops may be world-readable: it is the owner's only.
            use std::os::unix::fs::PermissionsExt;
            let mode = file
                .metadata()
                .map_err(|e| self.io(e))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                file.set_permissions(std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| self.io(e))?;
            }
        }
        let last = match self.tail(&mut file) {
            Err(AuditError::BrokenTail { reason, .. }) if reason.starts_with(TORN) => {
                self.repair_torn_tail(&mut file, first_at)?
            }
            other => other?,
        };
        let entries = self.write_next(&mut file, news, last)?;
        if created || entries.first().is_some_and(|e| e.seq == 1) {
            // The file's name in its folder must be durable too; whoever writes
            // entry 1 does it, in case the creator has not yet.
            File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(|source| AuditError::Io {
                    path: dir.clone(),
                    source,
                })?;
        }
        Ok(entries)
    }

    /// A last line left incomplete by a crash or a power cut: its operation was never
    /// reported. It is cut off (only the last line, only when incomplete) and the
    /// repair itself is journaled; returns the new last entry (the repair).
    fn repair_torn_tail(
        &self,
        file: &mut File,
        at: jiff::Timestamp,
    ) -> Result<Option<Entry>, AuditError> {
        let mut bytes = Vec::new();
        file.seek(SeekFrom::Start(0)).map_err(|e| self.io(e))?;
        file.read_to_end(&mut bytes).map_err(|e| self.io(e))?;
        let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let removed = bytes.len() - keep;
        file.set_len(keep as u64).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))?;
        let last = self.tail(file)?;
        let mut repair = NewEntry::new(
            at,
            super::Action::JournalRepair,
            super::EntryResult::Success,
        );
        let mut detail = serde_json::Map::new();
        detail.insert("removed_bytes".into(), removed.into());
        detail.insert(
            "reason".into(),
            "an interrupted write left the last line incomplete; its operation was never reported"
                .into(),
        );
        repair.detail = Some(detail);
        Ok(self.write_next(file, vec![repair], last)?.pop())
    }

    /// Seals `news` after `last`, writes and syncs them with the new head in one go;
    /// on failure cuts back to where this append began.
    fn write_next(
        &self,
        file: &mut File,
        news: Vec<NewEntry>,
        mut last: Option<Entry>,
    ) -> Result<Vec<Entry>, AuditError> {
        let mut entries = Vec::with_capacity(news.len());
        let mut lines = String::new();
        for new in news {
            let entry = seal_after(new, last.as_ref());
            lines.push_str(&entry.to_line());
            lines.push('\n');
            last = Some(entry.clone());
            entries.push(entry);
        }
        let before = file.metadata().map_err(|e| self.io(e))?.len();
        // One write of whole lines: under the lock nobody else writes, and a
        // crash leaves at worst a torn last line, which `verify` reports.
        // `fdatasync` is enough: it also syncs the new length, needed to read the lines back.
        if let Err(e) = file
            .write_all(lines.as_bytes())
            .and_then(|()| file.sync_data())
        {
            // A full disk or an I/O error: cut back to where this append began, so no
            // partial line is left behind and the next run proceeds once the cause is gone.
            let _ = file.set_len(before);
            let _ = file.sync_all();
            return Err(self.io(e));
        }
        if let Some(head) = &last {
            if let Err(e) = self.record_head(head) {
                // The entries and their anchor go together: without the anchor, they are taken back.
                let _ = file.set_len(before);
                let _ = file.sync_all();
                return Err(e);
            }
        }
        Ok(entries)
    }

    /// Where the journal's head (seq and hash of its last entry) is anchored: beside it.
    pub fn head_path(&self) -> PathBuf {
        self.path.with_file_name("journal.head")
    }

    /// Records `entry` as the journal's head, outside the journal: a journal cut,
    /// deleted or rewritten afterwards no longer matches it.
    ///
    /// One fixed-size record rewritten in place and synced (no rename, no folder
    /// sync): a single write of under a disk sector, so the head costs one
    /// `fdatasync` per append rather than a whole atomic file replacement.
    fn record_head(&self, entry: &Entry) -> Result<(), AuditError> {
        use std::os::unix::fs::FileExt;
        let path = self.head_path();
        let io = |source| AuditError::Io {
            path: path.clone(),
            source,
        };
        let mut record = serde_json::json!({"seq": entry.seq, "hash": entry.hash}).to_string();
        // Always the same length, so a shorter head never leaves a longer one's tail behind.
        while record.len() < HEAD_RECORD_BYTES - 1 {
            record.push(' ');
        }
        record.push('\n');
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(io)?;
        file.write_all_at(record.as_bytes(), 0).map_err(io)?;
        file.sync_data().map_err(io)
    }

    /// The head recorded beside the journal file, as an anchor (directory stores).
    pub fn head_anchor(&self) -> Result<Option<Anchor>, AuditError> {
        if self.store.is_some() {
            return Ok(None);
        }
        let path = self.head_path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(AuditError::Io { path, source }),
        };
        let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_default();
        Ok(v["seq"].as_u64().map(|seq| Anchor {
            kind: super::verify::AnchorKind::Head,
            seq,
            hash: v["hash"].as_str().map(String::from),
            what: format!("the journal head recorded in {}", path.display()),
        }))
    }

    /// The last entry, checked: `None` for an empty or missing journal.
    pub fn last(&self) -> Result<Option<Entry>, AuditError> {
        if let Some(pg) = self.store.as_ref().and_then(StateStore::pg) {
            return match pg.journal_last().map_err(|e| self.db(e))? {
                Some(l) => self.checked_last(&l).map(Some),
                None => Ok(None),
            };
        }
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        file.lock_shared().map_err(|e| self.io(e))?;
        self.tail(&mut file)
    }

    /// Reads the last line of `file` and checks that it is an intact entry.
    fn tail(&self, file: &mut File) -> Result<Option<Entry>, AuditError> {
        let len = file.metadata().map_err(|e| self.io(e))?.len();
        if len == 0 {
            return Ok(None);
        }
        let broken = |reason: String| AuditError::BrokenTail {
            path: self.path.clone(),
            reason,
        };
        // Read backwards until the line end before the last line is in the buffer.
        let mut buf: Vec<u8> = Vec::new();
        let mut start = len;
        loop {
            let from = start.saturating_sub(TAIL_CHUNK);
            let mut chunk = vec![0u8; (start - from) as usize];
            file.seek(SeekFrom::Start(from)).map_err(|e| self.io(e))?;
            file.read_exact(&mut chunk).map_err(|e| self.io(e))?;
            chunk.extend_from_slice(&buf);
            buf = chunk;
            start = from;
            if buf.last() != Some(&b'\n') {
                return Err(broken(format!("{TORN} (an interrupted write)")));
            }
            if start == 0 || buf[..buf.len() - 1].contains(&b'\n') {
                break;
            }
        }
        let body = &buf[..buf.len() - 1];
        let line_start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let line = std::str::from_utf8(&body[line_start..])
            .map_err(|_| broken("the last line is not UTF-8".into()))?;
        self.checked_last(line).map(Some)
    }

    /// The whole file, read under a shared lock (so never half an append); empty if missing.
    pub fn read_bytes(&self) -> Result<Vec<u8>, AuditError> {
        if let Some(pg) = self.store.as_ref().and_then(StateStore::pg) {
            let mut bytes = Vec::new();
            for l in pg.journal_lines().map_err(|e| self.db(e))? {
                bytes.extend_from_slice(l.as_bytes());
                bytes.push(b'\n');
            }
            return Ok(bytes);
        }
        let mut file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(e)),
        };
        file.lock_shared().map_err(|e| self.io(e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| self.io(e))?;
        Ok(bytes)
    }

    /// Every entry, oldest first; fails at the first line that is not an entry.
    ///
    /// Reading does not check the hash chain: [`Journal::verify`] does.
    pub fn read(&self) -> Result<Vec<Entry>, AuditError> {
        self.entries()?.collect()
    }

    /// Every entry, oldest first, one result per line (a line that is not an entry is an error).
    pub fn entries(&self) -> Result<impl Iterator<Item = Result<Entry, AuditError>>, AuditError> {
        let bytes = self.read_bytes()?;
        let path = self.path.clone();
        let lines: Vec<Vec<u8>> = split_lines(&bytes)
            .into_iter()
            .map(|(l, _)| l.to_vec())
            .collect();
        Ok(lines.into_iter().enumerate().map(move |(i, l)| {
            let malformed = |reason: String| AuditError::Malformed {
                path: path.clone(),
                line: i + 1,
                reason,
            };
            let text = std::str::from_utf8(&l).map_err(|_| malformed("not UTF-8".into()))?;
            Entry::from_line(text).map_err(malformed)
        }))
    }

    /// Re-walks the hash chain and names the first broken entry, if any.
    pub fn verify(&self) -> Result<VerifyReport, AuditError> {
        self.verify_against(&[])
    }

    /// [`Journal::verify`], also checking that the journal reaches every `anchor`
    /// (a `seq` recorded elsewhere, e.g. by apply in the state directory), which
    /// catches entries removed from the end.
    pub fn verify_against(&self, anchors: &[Anchor]) -> Result<VerifyReport, AuditError> {
        Ok(verify::verify_bytes(&self.read_bytes()?, anchors))
    }
}

/// The lines of `bytes`, each with whether it ended with a line end.
/// `new` sealed as the entry that follows `last` (the first one when there is none).
fn seal_after(new: NewEntry, last: Option<&Entry>) -> Entry {
    match last {
        Some(e) => Entry::seal(new, e.seq + 1, Some(e.hash.clone())),
        None => Entry::seal(new, 1, None),
    }
}

pub(crate) fn split_lines(bytes: &[u8]) -> Vec<(&[u8], bool)> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        match rest.iter().position(|b| *b == b'\n') {
            Some(i) => {
                out.push((&rest[..i], true));
                rest = &rest[i + 1..];
            }
            None => {
                out.push((rest, false));
                rest = &[];
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::audit::entry::EntryResult;

    pub(crate) fn new(i: u32) -> NewEntry {
        let mut n = NewEntry::new(
            "2026-11-27T12:00:00Z".parse().expect("ts"),
            crate::audit::Action::CameraUpdate,
            EntryResult::Success,
        );
        n.site = Some("paris-hq".into());
        n.operator = Some("claire.martin".into());
        n.target = Some(format!("cam-{i}"));
        n
    }

    #[test]
    fn appends_chain_and_read_back() {
        let dir = tempfile::tempdir().expect("tmp");
        let j = Journal::at(dir.path().join("state/journal.jsonl"));
        assert_eq!(j.read().expect("read"), vec![]);
        assert_eq!(j.last().expect("last"), None);
        let a = j.append(new(1)).expect("append");
        let b = j.append(new(2)).expect("append");
        assert_eq!((a.seq, b.seq), (1, 2));
        assert_eq!(a.prev, None);
        assert_eq!(b.prev.as_deref(), Some(a.hash.as_str()));
        assert_eq!(j.read().expect("read"), vec![a, b.clone()]);
        assert_eq!(j.last().expect("last"), Some(b));
        assert!(j.verify().expect("verify").broken.is_none());
    }

    #[test]
    fn request_ids_are_where_the_state_dir_reads_them() {
        let dir = tempfile::tempdir().expect("tmp");
        let state = StateStore::resolve(Some(dir.path()), &|_| None).expect("state");
        let j = Journal::open(&state);
        let mut n = new(1);
        let mut detail = serde_json::Map::new();
        detail.insert("request_id".into(), "req-42".into());
        n.detail = Some(detail);
        j.append(n).expect("append");
        j.append(new(2)).expect("append");
        let known = state.known_request_ids().expect("ids");
        assert_eq!(known, ["req-42".to_string()].into_iter().collect());
    }

    #[test]
    fn finds_the_last_line_across_chunks() {
        let dir = tempfile::tempdir().expect("tmp");
        let j = Journal::at(dir.path().join("journal.jsonl"));
        let mut big = new(1);
        let mut detail = serde_json::Map::new();
        detail.insert("blob".into(), "x".repeat(3 * TAIL_CHUNK as usize).into());
        big.detail = Some(detail);
        j.append(big.clone()).expect("append");
        j.append(big).expect("append");
        let c = j.append(new(3)).expect("append");
        assert_eq!(c.seq, 3);
        assert_eq!(j.verify().expect("verify").entries, 3);
    }

    #[test]
    fn repairs_only_a_torn_last_line_and_refuses_an_edited_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let j = Journal::at(dir.path().join("journal.jsonl"));
        j.append(new(1)).expect("append");
        j.append(new(2)).expect("append");
        let good = std::fs::read(j.path()).expect("read");
        let first_end = good.iter().position(|b| *b == b'\n').expect("a line") + 1;

        // Torn by a power cut: half of entry #2 on disk. The next append cuts it off and
        // journals the repair; its own entry follows, and the chain verifies.
        let half = first_end + (good.len() - first_end) / 2;
        std::fs::write(j.path(), &good[..half]).expect("write");
        let e = j.append(new(3)).expect("repaired");
        let entries = j.read().expect("read");
        assert_eq!(
            entries
                .iter()
                .map(|e| (e.seq, e.action.as_str()))
                .collect::<Vec<_>>(),
            [
                (1, "camera.update"),
                (2, "journal.repair"),
                (3, "camera.update")
            ]
        );
        assert_eq!(e.seq, 3);
        let removed = entries[1].detail.as_ref().expect("detail")["removed_bytes"].as_u64();
        assert_eq!(removed, Some((half - first_end) as u64));
        assert!(j.verify().expect("verify").broken.is_none());

        // An edited last entry is never repaired: extending it would hide the damage.
        std::fs::write(j.path(), &good).expect("write");
        let edited = String::from_utf8(good.clone())
            .expect("utf8")
            .replace("cam-2", "cam-9");
        std::fs::write(j.path(), edited).expect("write");
        let err = j.append(new(3)).expect_err("edited");
        assert!(err.to_string().contains("does not match its hash"), "{err}");
    }

    #[test]
    fn concurrent_appenders_each_with_their_own_journal() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("journal.jsonl");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let j = Journal::at(path);
                    (0..25)
                        .map(|i| j.append(new(t * 100 + i)).expect("append").seq)
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        let mut seqs: Vec<u64> = threads
            .into_iter()
            .flat_map(|t| t.join().expect("thread"))
            .collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=200).collect::<Vec<u64>>());
        let report = Journal::at(&path).verify().expect("verify");
        assert!(report.broken.is_none(), "{:?}", report.broken);
        assert_eq!(report.entries, 200);
    }

    /// A 64 KiB tmpfs, unmounted when dropped; None (said on stderr) where mounting is not allowed.
    struct SmallDisk(tempfile::TempDir);

    impl SmallDisk {
        fn mount() -> Option<SmallDisk> {
            let dir = tempfile::tempdir().expect("tmp");
            let ok = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
                .arg(dir.path())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                #[allow(clippy::print_stderr, reason = "a skipped test says so plainly")]
                {
                    eprintln!("skipped: mounting a small tmpfs needs root (mount -t tmpfs)");
                }
                return None;
            }
            Some(SmallDisk(dir))
        }
    }

    impl Drop for SmallDisk {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg(self.0.path())
                .status();
        }
    }

    // Regression: on a full disk the cause was hidden behind "the last line is incomplete",
    // and the torn line blocked the site until someone edited the journal by hand.
    #[test]
    fn a_full_disk_leaves_no_partial_line_and_the_next_append_proceeds_once_space_is_free() {
        let Some(disk) = SmallDisk::mount() else {
            return;
        };
        let j = Journal::at(disk.0.path().join("journal.jsonl"));
        let mut big = new(0);
        let mut detail = serde_json::Map::new();
        detail.insert("blob".into(), "x".repeat(2000).into());
        big.detail = Some(detail);
        let mut appended = 0;
        let err = loop {
            match j.append(big.clone()) {
                Ok(_) => appended += 1,
                Err(e) => break e,
            }
            assert!(appended < 1000, "the disk never filled");
        };
        let text = crate::error_chain(&err);
        assert!(text.contains("No space left on device"), "{text}");
        let report = j.verify().expect("verify");
        assert!(report.broken.is_none(), "no torn line: {report:?}");
        assert_eq!(report.entries, appended as u64);
        // Enough space for a smaller entry: the next append proceeds, the chain intact.
        let e = j
            .append(new(1))
            .expect("a small entry fits once the big one failed cleanly");
        assert_eq!(e.seq, appended as u64 + 1);
        assert!(j.verify().expect("verify").broken.is_none());
    }
}
