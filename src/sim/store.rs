//! What the reference VMS holds (its configuration and its journal) and the
//! changes that move it forward.
//!
//! The data only changes by applying a [`Record`] (a journal entry plus the
//! changes of a successful mutation), both live and when a state file is
//! replayed, so a restart resumes exactly where the server stopped.
//!
//! Must never be changed while serving other than through [`VmsData::apply`]:
//! a change made any other way is not in the state file's log and is lost on replay.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::journal::Entry;
use super::model::{AlertRule, Camera, Settings, FACTORY_SESSION_TIMEOUT_MINUTES};
use super::recordings::Span;
use crate::model::AlertKind;

/// Everything the reference VMS holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VmsData {
    /// Increases with every successful mutation; new versions take its new value.
    pub revision: u64,
    /// Cameras by id.
    pub cameras: BTreeMap<String, Camera>,
    /// Alert rules by kind.
    pub alert_rules: BTreeMap<AlertKind, AlertRule>,
    /// Settings.
    pub settings: Settings,
    /// Recordings by camera id, kept after a camera is deleted.
    pub recordings: BTreeMap<String, Span>,
    /// The administration journal, `journal[i].seq == i + 1`.
    pub journal: Vec<Entry>,
}

impl Default for VmsData {
    /// The factory state: nothing configured, a 30-minute session timeout.
    fn default() -> Self {
        VmsData {
            revision: 1,
            cameras: BTreeMap::new(),
            alert_rules: BTreeMap::new(),
            settings: Settings {
                session_timeout_minutes: FACTORY_SESSION_TIMEOUT_MINUTES,
                version: 1,
            },
            recordings: BTreeMap::new(),
            journal: Vec::new(),
        }
    }
}

/// One change of state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Creates or replaces a camera.
    PutCamera(Camera),
    /// Deletes a camera (not its recordings).
    DeleteCamera(String),
    /// Creates or replaces an alert rule.
    PutAlertRule(AlertRule),
    /// Deletes an alert rule.
    DeleteAlertRule(AlertKind),
    /// Replaces the settings.
    PutSettings(Settings),
    /// Replaces a camera's recording span.
    PutSpan(String, Span),
}

/// A journaled mutation attempt: its entry and, if it succeeded, its changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The revision after this record (unchanged by a failure).
    pub revision: u64,
    /// The journal entry.
    pub entry: Entry,
    /// What changed; empty for a failure.
    pub changes: Vec<Change>,
}

impl VmsData {
    /// The next journal sequence number.
    pub fn next_seq(&self) -> u64 {
        self.journal.len() as u64 + 1
    }

    /// Applies a record.
    pub fn apply(&mut self, record: Record) {
        self.revision = record.revision;
        self.journal.push(record.entry);
        for change in record.changes {
            match change {
                Change::PutCamera(c) => {
                    self.cameras.insert(c.id.clone(), c);
                }
                Change::DeleteCamera(id) => {
                    self.cameras.remove(&id);
                }
                Change::PutAlertRule(r) => {
                    self.alert_rules.insert(r.kind, r);
                }
                Change::DeleteAlertRule(kind) => {
                    self.alert_rules.remove(&kind);
                }
                Change::PutSettings(s) => self.settings = s,
                Change::PutSpan(id, span) => {
                    self.recordings.insert(id, span);
                }
            }
        }
    }

    /// The changes that write `camera` at `now`: the camera, and its recording
    /// span, which grows from now on if and only if the camera is enabled.
    pub fn put_camera(&self, camera: Camera, now: Timestamp) -> [Change; 2] {
        [
            self.span_change(&camera.id, Some(&camera), now),
            Change::PutCamera(camera),
        ]
    }

    /// The changes that delete camera `id` at `now`: its recordings are kept, frozen.
    pub fn delete_camera(&self, id: &str, now: Timestamp) -> [Change; 2] {
        [
            self.span_change(id, None, now),
            Change::DeleteCamera(id.to_string()),
        ]
    }

    /// The change that keeps a camera's recording span in step with the camera.
    fn span_change(&self, id: &str, camera: Option<&Camera>, now: Timestamp) -> Change {
        Change::PutSpan(
            id.to_string(),
            Span::after_change(self.recordings.get(id), camera, now),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::journal::JournalResult;

    #[test]
    fn state_round_trips_through_json() {
        let mut s = VmsData::default();
        s.alert_rules.insert(
            AlertKind::DiskFull,
            AlertRule {
                kind: AlertKind::DiskFull,
                threshold: 90,
                recipients: vec!["noc@x.example".into()],
                escalation: vec![],
                version: 2,
            },
        );
        s.apply(Record {
            revision: 3,
            entry: Entry {
                seq: 1,
                at: Timestamp::UNIX_EPOCH,
                user: "u".into(),
                action: "settings.update".into(),
                target: "settings".into(),
                result: JournalResult::Success,
                request_id: Some("r".into()),
                on_behalf_of: None,
            },
            changes: vec![Change::PutSettings(Settings {
                session_timeout_minutes: 15,
                version: 3,
            })],
        });
        let json = serde_json::to_string(&s).expect("serializable");
        let back: VmsData = serde_json::from_str(&json).expect("round trip");
        assert_eq!(back, s);
        assert_eq!((back.revision, back.next_seq()), (3, 2));
    }
}
