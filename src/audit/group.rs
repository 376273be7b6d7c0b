//! Group commit: concurrent appends share one write and one sync.
//!
//! Each operation of a parallel apply journals its start before its request is
//! sent and its end when it returns. One sync per entry would make the journal
//! the bottleneck of a parallel wave; instead one writer thread takes every
//! entry queued while it was syncing the previous batch and appends them with
//! [`Journal::append_all`] (one lock, one write, one sync), as databases do with
//! their log. Every caller still gets its entry back only once it is durable.

use std::future::Future;
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::{AuditError, Entry, Journal, NewEntry};

/// Most entries in one batch: bounds one write.
const MAX_BATCH: usize = 1024;

type Reply = oneshot::Sender<Result<Entry, Arc<AuditError>>>;

/// A journal whose appends from concurrent tasks are grouped into shared syncs.
pub struct GroupCommit {
    queue: Option<mpsc::Sender<(NewEntry, Reply)>>,
    writer: Option<JoinHandle<()>>,
}

impl GroupCommit {
    /// Starts the writer thread for `journal`.
    pub fn start(journal: Journal) -> std::io::Result<GroupCommit> {
        let (queue, pending) = mpsc::channel::<(NewEntry, Reply)>();
        let writer = std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || write_batches(&journal, &pending))?;
        Ok(GroupCommit {
            queue: Some(queue),
            writer: Some(writer),
        })
    }

    /// Appends `new`; returns once it is durable, with the batch's error if it failed
    /// (then none of that batch's entries is in the journal).
    pub async fn append(&self, new: NewEntry) -> Result<Entry, Arc<AuditError>> {
        self.enqueue(new).await
    }

    /// Queues `new` now, in call order; the future resolves once it is durable. Lets a
    /// caller go on (start the next operation) while its entry waits for the next sync.
    pub fn enqueue(
        &self,
        new: NewEntry,
    ) -> impl Future<Output = Result<Entry, Arc<AuditError>>> + Send + 'static {
        let (reply, answer) = oneshot::channel();
        let queued = self
            .queue
            .as_ref()
            .is_some_and(|q| q.send((new, reply)).is_ok());
        async move {
            let stopped = || Arc::new(AuditError::Stopped);
            if !queued {
                return Err(stopped());
            }
            answer.await.map_err(|_| stopped())?
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        // Closing the queue ends the writer once it has written what was queued.
        drop(self.queue.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// The writer: waits for one entry, takes whatever else is queued, appends them all.
fn write_batches(journal: &Journal, pending: &mpsc::Receiver<(NewEntry, Reply)>) {
    while let Ok(first) = pending.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match pending.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (news, replies): (Vec<NewEntry>, Vec<Reply>) = batch.into_iter().unzip();
        match journal.append_all(news) {
            Ok(entries) => {
                for (reply, entry) in replies.into_iter().zip(entries) {
                    // A caller that went away no longer needs its answer.
                    let _ = reply.send(Ok(entry));
                }
            }
            Err(e) => {
                let e = Arc::new(e);
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::journal::tests::new;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appends_chain_in_one_journal_and_each_is_returned_durable() {
        let dir = tempfile::tempdir().expect("tmp");
        let journal = Journal::at(dir.path().join("journal.jsonl"));
        let group = GroupCommit::start(journal.clone()).expect("start");
        let appends = (0..50).map(|i| group.append(new(i)));
        let entries: Vec<Entry> = futures_util::future::join_all(appends)
            .await
            .into_iter()
            .map(|r| r.expect("append"))
            .collect();
        drop(group);
        let mut seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=50).collect::<Vec<u64>>());
        let read = journal.read().expect("read");
        assert_eq!(read.len(), 50);
        assert!(journal.verify().expect("verify").broken.is_none());
        for e in &entries {
            assert_eq!(read[usize::try_from(e.seq - 1).expect("index")], *e);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_batch_fails_every_append_in_it_and_writes_none() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("journal.jsonl");
        // An edited last line: the journal refuses to extend it.
        std::fs::write(&path, "{\"not\": \"an entry\"}\n").expect("write");
        let group = GroupCommit::start(Journal::at(&path)).expect("start");
        let (a, b) = tokio::join!(group.append(new(1)), group.append(new(2)));
        assert!(a.is_err() && b.is_err());
        drop(group);
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "{\"not\": \"an entry\"}\n"
        );
    }
}
