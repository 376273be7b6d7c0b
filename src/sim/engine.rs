//! The mutation protocol: fault check, plan against the current state,
//! journal, persist, apply, answer — one mutation at a time.
//!
//! Planning reads the state under a shared lock and persisting holds only the
//! writer lock, so reads are served while a record is being fsynced. A 2xx is
//! only produced after the record is durable; the state in memory never gets
//! ahead of the state file. This module knows nothing of HTTP routing.

use std::sync::{Mutex, RwLock};

use axum::http::StatusCode;
use jiff::Timestamp;

use super::api_error::ApiError;
use super::faults::{Fault, Faults};
use super::journal::{Entry, JournalResult};
use super::persist::Store;
use super::store::{Change, Record, VmsData};
use super::streams::Streams;

/// Who attempts what; becomes the journal entry.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The authenticated user.
    pub user: String,
    /// The client's `X-Request-Id`.
    pub request_id: Option<String>,
    /// The client's `X-On-Behalf-Of`.
    pub on_behalf_of: Option<String>,
    /// e.g. `camera.update`.
    pub action: &'static str,
    /// e.g. the camera id.
    pub target: String,
}

/// What a plan sees besides the state.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// The version every object changed by this mutation takes.
    pub version: u64,
    /// The time of the mutation.
    pub now: Timestamp,
}

/// A successful answer, before HTTP framing.
#[derive(Debug, Clone)]
pub struct Reply {
    /// 200, 201 or 204.
    pub status: StatusCode,
    /// JSON body, if any.
    pub body: Option<Vec<u8>>,
    /// The changed object's version, sent as `ETag`.
    pub etag: Option<u64>,
    /// Where a created object lives.
    pub location: Option<String>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: StatusCode, value: &impl serde::Serialize) -> Result<Reply, ApiError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| ApiError::internal(format!("cannot encode the answer: {e}")))?;
        Ok(Reply {
            status,
            body: Some(body),
            etag: None,
            location: None,
        })
    }

    /// 204 No Content.
    pub fn no_content() -> Reply {
        Reply {
            status: StatusCode::NO_CONTENT,
            body: None,
            etag: None,
            location: None,
        }
    }

    /// Adds an `ETag`.
    pub fn with_etag(mut self, version: u64) -> Reply {
        self.etag = Some(version);
        self
    }

    /// Adds a `Location`.
    pub fn with_location(mut self, location: String) -> Reply {
        self.location = Some(location);
        self
    }
}

/// The changes a mutation makes and its answer.
#[derive(Debug)]
pub struct Planned {
    /// What changes.
    pub changes: Vec<Change>,
    /// What to answer once the changes are durable.
    pub reply: Reply,
}

/// The outcome of a mutation attempt.
#[derive(Debug)]
pub struct Answer {
    /// The journal entry's seq, if it was journaled.
    pub seq: Option<u64>,
    /// The answer.
    pub result: Result<Reply, ApiError>,
}

impl Answer {
    /// A failure answered before anything was journaled.
    pub fn unjournaled(error: ApiError) -> Answer {
        Answer {
            seq: None,
            result: Err(error),
        }
    }
}

/// A planned attempt before it is journaled: its place in the journal and its outcome.
struct Decision {
    seq: u64,
    revision: u64,
    result: Result<Planned, ApiError>,
}

impl Decision {
    /// The record to journal and the answer to give once it is durable. A failure
    /// is journaled too, with no changes and the revision left as it was.
    fn into_record(self, attempt: Attempt, now: Timestamp) -> (Record, Result<Reply, ApiError>) {
        let entry = Entry {
            seq: self.seq,
            at: now,
            user: attempt.user,
            action: attempt.action.to_string(),
            target: attempt.target,
            result: if self.result.is_ok() {
                JournalResult::Success
            } else {
                JournalResult::Failure
            },
            request_id: attempt.request_id,
            on_behalf_of: attempt.on_behalf_of,
        };
        match self.result {
            Ok(p) => (
                Record {
                    revision: self.revision + 1,
                    entry,
                    changes: p.changes,
                },
                Ok(p.reply),
            ),
            Err(e) => (
                Record {
                    revision: self.revision,
                    entry,
                    changes: Vec::new(),
                },
                Err(e),
            ),
        }
    }
}

struct Writer {
    store: Option<Store>,
    faults: Faults,
}

/// The data of a running reference VMS and the lock discipline around it.
pub struct Engine {
    data: RwLock<VmsData>,
    writer: Mutex<Writer>,
    /// When each camera's stream last restarted.
    pub streams: Streams,
}

fn poisoned<T>(_: T) -> ApiError {
    ApiError::internal("the server failed earlier and stopped accepting changes; restart it")
}

impl Engine {
    /// An engine over a loaded state.
    pub fn new(data: VmsData, store: Option<Store>, faults: Faults, streams: Streams) -> Engine {
        Engine {
            data: RwLock::new(data),
            writer: Mutex::new(Writer { store, faults }),
            streams,
        }
    }

    /// Runs `f` on the current state.
    pub fn read<R>(&self, f: impl FnOnce(&VmsData) -> R) -> Result<R, ApiError> {
        let data = self.data.read().map_err(poisoned)?;
        Ok(f(&data))
    }

    /// Runs one mutation attempt to the end; blocks on fsync, so call it off the async workers.
    ///
    /// The writer lock is held throughout, so mutations are serialised; the
    /// state lock is only taken to plan (shared) and to apply (exclusive).
    pub fn mutate(
        &self,
        attempt: Attempt,
        plan: impl FnOnce(&VmsData, Ctx) -> Result<Planned, ApiError>,
    ) -> Answer {
        let mut writer = match self.writer.lock() {
            Ok(w) => w,
            Err(e) => return Answer::unjournaled(poisoned(e)),
        };
        let now = Timestamp::now();
        let fault = writer.faults.decide();
        let planned = match self.plan(fault, now, plan) {
            Ok(p) => p,
            Err(e) => return Answer::unjournaled(e),
        };
        let seq = planned.seq;
        let (record, result) = planned.into_record(attempt, now);
        if let Some(store) = writer.store.as_mut() {
            if let Err(e) = store.append(&record) {
                tracing::error!(error = %crate::error_chain(&e), "cannot save a mutation");
                return Answer::unjournaled(ApiError::internal(
                    "the change could not be saved; nothing was changed",
                ));
            }
        }
        match self.data.write() {
            Ok(mut s) => {
                self.streams.note(&s, &record.changes);
                s.apply(record);
            }
            Err(e) => return Answer::unjournaled(poisoned(e)),
        }
        if result.is_ok() {
            writer.faults.succeeded();
        }
        self.compact_if_due(&mut writer);
        Answer {
            seq: Some(seq),
            result,
        }
    }

    /// Plans the mutation against the current state, unless a fault was injected:
    /// an injected fault is answered before `plan` sees anything, so it changes nothing.
    fn plan(
        &self,
        fault: Option<Fault>,
        now: Timestamp,
        plan: impl FnOnce(&VmsData, Ctx) -> Result<Planned, ApiError>,
    ) -> Result<Decision, ApiError> {
        let data = self.data.read().map_err(poisoned)?;
        let ctx = Ctx {
            version: data.revision + 1,
            now,
        };
        let result = match fault {
            Some(Fault::Unavailable) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily unavailable (injected by --fail-rate)",
            )),
            Some(Fault::Internal) => Err(ApiError::internal(
                "internal error (injected by --fail-after)",
            )),
            None => plan(&data, ctx),
        };
        Ok(Decision {
            seq: data.next_seq(),
            revision: data.revision,
            result,
        })
    }

    /// Compacts the state file once its log has outgrown the snapshot; a failed
    /// compaction only means a longer log, so it is logged and not answered.
    fn compact_if_due(&self, writer: &mut Writer) {
        let Some(store) = writer.store.as_mut() else {
            return;
        };
        if !store.wants_compaction() {
            return;
        }
        if let Ok(data) = self.data.read() {
            if let Err(e) = store.compact(&data) {
                tracing::warn!(error = %crate::error_chain(&e), "state compaction failed; the log keeps growing");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::faults::{FailAfter, FaultConfig};
    use crate::sim::model::Settings;

    fn attempt() -> Attempt {
        Attempt {
            user: "alice".into(),
            request_id: Some("req-1".into()),
            on_behalf_of: Some("jdoe".into()),
            action: "settings.update",
            target: "settings".into(),
        }
    }

    fn set_timeout(minutes: u32) -> impl FnOnce(&VmsData, Ctx) -> Result<Planned, ApiError> {
        move |_, ctx| {
            let s = Settings {
                session_timeout_minutes: minutes,
                version: ctx.version,
            };
            Ok(Planned {
                reply: Reply::json(StatusCode::OK, &s)?,
                changes: vec![Change::PutSettings(s)],
            })
        }
    }

    #[test]
    fn successes_and_failures_are_both_journaled() {
        let engine = Engine::new(
            VmsData::default(),
            None,
            Faults::default(),
            Streams::start(Default::default()),
        );
        let a = engine.mutate(attempt(), set_timeout(15));
        assert_eq!(a.seq, Some(1));
        assert!(a.result.is_ok());
        let b = engine.mutate(attempt(), |_, _| Err(ApiError::unprocessable("no")));
        assert_eq!(b.seq, Some(2));
        let (journal, settings) = engine
            .read(|s| (s.journal.clone(), s.settings.clone()))
            .expect("readable");
        assert_eq!(settings.session_timeout_minutes, 15);
        assert_eq!(settings.version, 2);
        assert_eq!(journal[0].result, JournalResult::Success);
        assert_eq!(journal[1].result, JournalResult::Failure);
        assert_eq!(journal[1].request_id.as_deref(), Some("req-1"));
        assert_eq!(journal[1].on_behalf_of.as_deref(), Some("jdoe"));
    }

    #[test]
    fn an_injected_fault_changes_nothing_but_the_journal() {
        let faults = Faults::new(FaultConfig {
            fail_after: Some(FailAfter {
                successes: 0,
                failures: Some(1),
            }),
            ..FaultConfig::default()
        });
        let engine = Engine::new(
            VmsData::default(),
            None,
            faults,
            Streams::start(Default::default()),
        );
        let a = engine.mutate(attempt(), set_timeout(15));
        assert_eq!(
            a.result.expect_err("injected").status,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let timeout = engine
            .read(|s| s.settings.session_timeout_minutes)
            .expect("readable");
        assert_eq!(timeout, 30);
        assert!(engine.mutate(attempt(), set_timeout(15)).result.is_ok());
    }
}
