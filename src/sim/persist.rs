//! The state file: a snapshot line followed by one appended line per journaled
//! mutation, fsynced before the mutation is answered; compacted when the log
//! outgrows the snapshot.
//!
//! Rewriting the whole state for every mutation costs O(state) per change (a
//! few MB at 10,000 cameras); appending a record costs O(change), and
//! compaction (temp file + fsync + rename + fsync of the directory) is paid
//! once the appended bytes exceed the snapshot, so it stays amortised O(1).
//! A torn last line (a crash mid-append, never acknowledged) is dropped on
//! load; any other unreadable line is an error, never a silent reset. This
//! module never decides what changes: it stores what `engine` hands it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::SimError;
use super::store::{Record, VmsData};

/// The format of the snapshot line.
const FORMAT: &str = "vmsops-sim-state/1";

/// Compaction waits until the log holds at least this much, whatever the snapshot's size.
const MIN_LOG_BYTES_BEFORE_COMPACTION: u64 = 1 << 20;

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum LineOut<'a> {
    Snapshot { format: &'a str, state: &'a VmsData },
    Record(&'a Record),
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum LineIn {
    Snapshot { format: String, state: Box<VmsData> },
    Record(Box<Record>),
}

/// An open state file.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    file: File,
    /// Length of the file up to its last complete line.
    good_len: u64,
    snapshot_bytes: u64,
    /// True after a failed append could not be undone; cleared by a compaction.
    broken: bool,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> SimError + '_ {
    move |source| SimError::StateIo {
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    /// Loads the state file (a missing or empty file is the factory state) and
    /// rewrites it compacted.
    pub fn open(path: &Path) -> Result<(VmsData, Store), SimError> {
        let state = match std::fs::read(path) {
            Ok(bytes) => load(path, &bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => VmsData::default(),
            Err(e) => return Err(io(path)(e)),
        };
        let store = Store::write_snapshot(path, &state)?;
        Ok((state, store))
    }

    /// Appends a record durably: when this returns Ok, the record survives a crash.
    pub fn append(&mut self, record: &Record) -> Result<(), SimError> {
        if self.broken {
            return Err(io(&self.path)(std::io::Error::other(
                "an earlier write failed and could not be undone",
            )));
        }
        let mut line = serde_json::to_vec(&LineOut::Record(record))
            .map_err(|e| io(&self.path)(std::io::Error::other(e)))?;
        line.push(b'\n');
        let written = self
            .file
            .write_all(&line)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.good_len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Drop the partial line so that later appends follow a complete one.
                if self.file.set_len(self.good_len).is_err() {
                    self.broken = true;
                }
                Err(io(&self.path)(e))
            }
        }
    }

    /// True when the appended records outweigh the snapshot.
    pub fn wants_compaction(&self) -> bool {
        let log = self.good_len.saturating_sub(self.snapshot_bytes);
        log > self.snapshot_bytes.max(MIN_LOG_BYTES_BEFORE_COMPACTION)
    }

    /// Replaces the file by a single snapshot of `state`.
    pub fn compact(&mut self, state: &VmsData) -> Result<(), SimError> {
        *self = Store::write_snapshot(&self.path, state)?;
        Ok(())
    }

    fn write_snapshot(path: &Path, state: &VmsData) -> Result<Store, SimError> {
        let err = io(path);
        let mut line = serde_json::to_vec(&LineOut::Snapshot {
            format: FORMAT,
            state,
        })
        .map_err(|e| err(std::io::Error::other(e)))?;
        line.push(b'\n');
        crate::state::atomic::write_atomic(path, &line).map_err(&err)?;
        let file = OpenOptions::new().append(true).open(path).map_err(&err)?;
        Ok(Store {
            path: path.to_path_buf(),
            file,
            good_len: line.len() as u64,
            snapshot_bytes: line.len() as u64,
            broken: false,
        })
    }
}

fn load(path: &Path, bytes: &[u8]) -> Result<VmsData, SimError> {
    let corrupt = |line: usize, reason: String| SimError::StateCorrupt {
        path: path.to_path_buf(),
        line,
        reason,
    };
    // The text after the last newline is a torn append: never acknowledged, dropped.
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) => &bytes[..end],
        None if bytes.iter().all(u8::is_ascii_whitespace) => return Ok(VmsData::default()),
        None => &[][..],
    };
    let mut state: Option<VmsData> = None;
    for (i, line) in complete.split(|&b| b == b'\n').enumerate() {
        let parsed: LineIn =
            serde_json::from_slice(line).map_err(|e| corrupt(i + 1, e.to_string()))?;
        match (parsed, &mut state) {
            (LineIn::Snapshot { format, state: s }, None) => {
                if format != FORMAT {
                    return Err(corrupt(i + 1, format!("unknown format `{format}`")));
                }
                state = Some(*s);
            }
            (LineIn::Record(r), Some(s)) => {
                if r.entry.seq != s.next_seq() {
                    return Err(corrupt(
                        i + 1,
                        format!(
                            "journal seq {} where {} was expected",
                            r.entry.seq,
                            s.next_seq()
                        ),
                    ));
                }
                s.apply(*r);
            }
            (LineIn::Snapshot { .. }, Some(_)) => {
                return Err(corrupt(i + 1, "a second snapshot".into()))
            }
            (LineIn::Record(_), None) => {
                return Err(corrupt(i + 1, "a record before the snapshot".into()))
            }
        }
    }
    state.ok_or_else(|| corrupt(1, "no snapshot line".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::journal::{Entry, JournalResult};
    use crate::sim::store::Change;

    fn record(state: &VmsData, timeout: u32) -> Record {
        Record {
            revision: state.revision + 1,
            entry: Entry {
                seq: state.next_seq(),
                at: jiff::Timestamp::UNIX_EPOCH,
                user: "u".into(),
                action: "settings.update".into(),
                target: "settings".into(),
                result: JournalResult::Success,
                request_id: None,
                on_behalf_of: None,
            },
            changes: vec![Change::PutSettings(crate::sim::model::Settings {
                session_timeout_minutes: timeout,
                version: state.revision + 1,
            })],
        }
    }

    fn append(store: &mut Store, state: &mut VmsData, timeout: u32) {
        let r = record(state, timeout);
        store.append(&r).expect("append");
        state.apply(r);
    }

    #[test]
    fn a_restart_resumes_the_appended_records() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let (mut state, mut store) = Store::open(&path).expect("fresh");
        assert_eq!(state, VmsData::default());
        append(&mut store, &mut state, 10);
        append(&mut store, &mut state, 11);
        let (again, _) = Store::open(&path).expect("reload");
        assert_eq!(again, state);
        assert_eq!(again.settings.session_timeout_minutes, 11);
        // Reopening compacted the file into one snapshot line.
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 1);
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_a_corrupt_one_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let (mut state, mut store) = Store::open(&path).expect("fresh");
        append(&mut store, &mut state, 10);
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(b"{\"record\":{\"revis").expect("write");
        let (again, _) = Store::open(&path).expect("torn tail dropped");
        assert_eq!(again, state);

        let good = std::fs::read(&path).expect("read");
        let mut bad = b"{\"record\": 1}\n".to_vec();
        bad.extend_from_slice(&good);
        std::fs::write(&path, &bad).expect("write");
        let err = Store::open(&path).expect_err("corrupt");
        assert!(err.to_string().contains("corrupt at line 1"), "{err}");
    }

    #[test]
    fn compaction_is_asked_for_once_the_log_outgrows_the_snapshot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let (mut state, mut store) = Store::open(&path).expect("fresh");
        // 64 KiB records reach the 1 MiB floor in a few fsyncs.
        let big = "x".repeat(64 << 10);
        let mut n = 0;
        while !store.wants_compaction() {
            let mut r = record(&state, 15);
            r.entry.target = big.clone();
            store.append(&r).expect("append");
            state.apply(r);
            n += 1;
        }
        assert_eq!(n, 16, "compacts just past 1 MiB of log");
        store.compact(&state).expect("compact");
        assert!(!store.wants_compaction());
        let (again, _) = Store::open(&path).expect("reload");
        assert_eq!(again.journal.len(), n);
    }
}
