//! The journal entries of each operation (an apply's, or a per-object restore's):
//! written before its request is sent and when it ends.

use std::sync::Arc;

use super::executor::{Ended, Outcome, StepJournal};
use crate::audit::detail::{to_map, Agent, StepDetail};
use crate::audit::{AuditError, EntryResult, GroupCommit, NewEntry};
use crate::ops::clock::Clock;
use crate::plan::Operation;

/// The executor's journal hooks for one run: every step's start and end.
pub(crate) struct Journaling<'a> {
    /// Concurrent operations' entries share syncs; each is durable before it counts.
    pub journal: &'a GroupCommit,
    pub base: NewEntry,
    pub window: Option<String>,
    pub agent: Agent,
    pub clock: Clock,
}

impl Journaling<'_> {
    fn entry(
        &self,
        op: &Operation,
        request_id: &str,
        result: EntryResult,
        error: Option<String>,
    ) -> NewEntry {
        let detail = StepDetail {
            request_id,
            op: op.op,
            class: op.class,
            changes: &op.changes,
            window: self.window.as_deref().filter(|_| op.class.needs_window()),
            agent: self.agent,
            error: error.as_deref(),
        };
        NewEntry {
            at: self.clock.now(),
            action: op.op.into(),
            target: Some(op.target.to_string()),
            result,
            detail: Some(to_map(&detail)),
            ..self.base.clone()
        }
    }
}

#[async_trait::async_trait]
impl StepJournal for Journaling<'_> {
    async fn started(&self, op: &Operation, request_id: &str) -> Result<(), Arc<AuditError>> {
        let entry = self.entry(op, request_id, EntryResult::Started, None);
        self.journal.append(entry).await.map(drop)
    }

    fn ended(&self, op: &Operation, request_id: &str, outcome: &Outcome) -> Ended<'static> {
        let (result, error) = match outcome {
            Outcome::Succeeded => (EntryResult::Success, None),
            // The same text the operator is shown.
            Outcome::Failed(e) => (EntryResult::Failure, Some(crate::error_chain(e))),
            // Never journaled as started: nothing to close.
            Outcome::NotAttempted => return Box::pin(std::future::ready(Ok(()))),
        };
        let durable = self
            .journal
            .enqueue(self.entry(op, request_id, result, error));
        Box::pin(async move { durable.await.map(drop) })
    }
}
