//! `drift ack`: a named person accepts the VMS as it is now for the out-of-band
//! changes its journal holds, with a reason; the baseline moves past them.
//!
//! The differences in state, if any, stay differences: acknowledging says who
//! answers for the changes, it does not make them desired.

use super::blocking::blocking;
use super::clock::Clock;
use super::connection::SiteAt;
use super::vms_journal as gather;
use crate::audit::detail::{to_map, AckDetail, Agent};
use crate::audit::{Action, AuditError, EntryResult, Journal, NewEntry};
use crate::driver::DriverError;
use crate::model::VmsJournalEntry;
use crate::state::{StateError, StateStore};

/// What an acknowledgement needs.
pub struct AckRequest<'a> {
    /// The site at its last applied commit (its policy, its VMS).
    pub site: &'a SiteAt,
    /// The repository (the git note on the applied commit anchors the ack).
    pub repo: &'a std::path::Path,
    /// The state store.
    pub state: &'a StateStore,
    /// The person who answers for the changes.
    pub operator: &'a str,
    /// Why they are accepted.
    pub reason: &'a str,
    /// The work order, if any.
    pub ticket: Option<&'a str>,
    /// The run's clock.
    pub clock: Clock,
    /// Environment lookup (credentials).
    pub env: &'a (dyn Fn(&str) -> Option<String> + Send + Sync),
}

/// How an acknowledgement ended.
#[derive(Debug)]
pub enum Acked {
    /// The operator is a generic identity: nothing was acknowledged or journaled.
    Refused(String),
    /// These entries are acknowledged (possibly none) and the baseline moved.
    Done(Vec<VmsJournalEntry>),
}

/// Why an acknowledgement failed.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    /// The site has no baseline: there is nothing to move.
    #[error("site `{0}` has no baseline: run `vmsops import` or a first apply")]
    NoBaseline(String),
    /// The VMS failed.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The state store failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] AuditError),
    /// The journal does not reach its anchors (it was cut), or they cannot be read.
    #[error(transparent)]
    Anchors(#[from] super::anchors::ReachError),
}

/// Acknowledges every out-of-band entry of the site's VMS journal since its baseline.
pub async fn ack(req: &AckRequest<'_>) -> Result<Acked, AckError> {
    let site = &req.site.site;
    if let Some(g) = crate::gate::generic_operator(&site.policy, req.operator) {
        return Ok(Acked::Refused(format!(
            "operator `{}` is the generic identity `{g}`: acknowledge under your own name (--operator), PROC-VMS-001 §01",
            req.operator
        )));
    }
    super::anchors::ensure_reached(req.state).await?;
    let baseline = blocking(|| req.state.baseline(&site.name))?
        .ok_or_else(|| AckError::NoBaseline(site.name.clone()))?;
    let vms = req.site.connect(&|k| (req.env)(k))?;
    let entries = gather::entries_since(vms.as_ref(), baseline.journal_cursor.clone()).await?;
    let position = vms.journal_position().await?;
    let known = blocking(|| req.state.known_request_ids())?;
    let out_of_band: Vec<VmsJournalEntry> = super::drift::out_of_band(&entries, &known)
        .into_iter()
        .cloned()
        .collect();
    let mut entry = NewEntry::new(req.clock.now(), Action::OutOfBandAck, EntryResult::Success);
    entry.site = Some(site.name.clone());
    entry.operator = Some(req.operator.to_string());
    entry.target = Some(site.name.clone());
    entry.commit = req.site.commit.clone();
    entry.ticket = req.ticket.map(String::from);
    entry.detail = Some(to_map(&AckDetail {
        acknowledged_out_of_band: out_of_band.iter().map(|e| e.seq).collect(),
        reason: req.reason.to_string(),
        agent: Agent::Cli,
    }));
    let journal = Journal::open(req.state);
    blocking(|| journal.append(entry))?;
    let moved = baseline.moved_to(position, req.clock.now(), "ack");
    blocking(|| req.state.set_baseline(&site.name, &moved))?;
    super::anchors::record_head(req.state, req.repo, req.site, "drift ack")
        .await
        .map_err(super::anchors::ReachError::from)?;
    Ok(Acked::Done(out_of_band))
}
