//! The `detail` of each kind of journal entry, as types.
//!
//! Each struct serialises to exactly the keys (and nulls) that the journal has
//! always held for its action, so the hashes of entries written by any version
//! stay what they were. Readers keep reading `detail` as a JSON object: an
//! older journal may hold keys a newer type no longer writes.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{Class, Health};

/// Who acted: a person at the command line, the reconcile loop, or a restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Agent {
    /// `vmsops apply`, `vmsops snapshot …`.
    Cli,
    /// `vmsops watch --apply`.
    Watch,
    /// `vmsops restore`.
    Restore,
}

impl Agent {
    /// The name the journal records.
    pub fn as_str(self) -> &'static str {
        match self {
            Agent::Cli => "cli",
            Agent::Watch => "watch",
            Agent::Restore => "restore",
        }
    }
}

/// One operation of an apply, at its start and at its end.
#[derive(Debug, Clone, Serialize)]
pub struct StepDetail<'a> {
    /// The id sent to the VMS (how drift tells vmsops's own changes apart).
    pub request_id: &'a str,
    /// The operation kind.
    pub op: crate::plan::OpKind,
    /// Its gate class.
    pub class: Class,
    /// Its field-level changes.
    pub changes: &'a [crate::plan::Change],
    /// The maintenance window it ran in (recording changes only).
    pub window: Option<&'a str>,
    /// Who ran it.
    pub agent: Agent,
    /// Why it failed, at its end.
    pub error: Option<&'a str>,
}

/// A camera watched after an apply (`verify`: success when healthy, failure when degraded).
#[derive(Debug, Clone, Serialize)]
pub struct VerifyDetail<'a> {
    /// Who applied.
    pub agent: Agent,
    /// `healthy`, `disabled`, `unknown` or `degraded`.
    pub health: Health,
    /// Why, when it is not healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

/// The gate refused a change (`apply` or `restore`, result `refused`).
#[derive(Debug, Clone, Serialize)]
pub struct RefusalDetail<'a> {
    /// The check id.
    pub check: &'a str,
    /// What it says and what to do.
    pub message: &'a str,
    /// The operations it refused (not for a restore, which has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<&'a [String]>,
    /// Who asked.
    pub agent: Agent,
}

/// An apply's end (`apply`, result `success` or `failure`).
#[derive(Debug, Clone, Serialize)]
pub struct ApplyEndDetail {
    /// How many operations it ran.
    pub operations: usize,
    /// Who ran it.
    pub agent: Agent,
    /// Whether the snapshot was restored (failures only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_back: Option<bool>,
    /// The out-of-band VMS journal entries (their `seq`) this apply overwrote, now acknowledged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acknowledged_out_of_band: Vec<u64>,
}

/// Out-of-band changes accepted as they are (`out-of-band.ack`).
#[derive(Debug, Clone, Serialize)]
pub struct AckDetail {
    /// The VMS journal entries (their `seq`) accepted.
    pub acknowledged_out_of_band: Vec<u64>,
    /// Why they are accepted.
    pub reason: String,
    /// Who acknowledged.
    pub agent: Agent,
}

/// A previous apply whose process died holding the lock (`apply.unfinished`).
#[derive(Debug, Clone, Serialize)]
pub struct UnfinishedDetail<'a, H: Serialize> {
    /// The lock holder it left behind.
    pub holder: &'a H,
    /// Who found it.
    pub agent: Agent,
}

/// A configuration imported into the VMS (`restore`, from a restore or a rollback).
#[derive(Debug, Clone, Serialize)]
pub struct RestoreDetail {
    /// Who restored.
    pub agent: Agent,
    /// Why, for an automatic rollback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The snapshot of the state it replaced, for a restore.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// The id sent to the VMS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Why the VMS refused the import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `per-object` when the export was too large for one import (absent: one import).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<&'static str>,
    /// Operations sent by a per-object restore that succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations: Option<usize>,
}

/// An object a rollback left as it is (`rollback.skip`, result `failure`): it changed since
/// the apply wrote it, or whether the apply changed it cannot be told.
#[derive(Debug, Clone, Serialize)]
pub struct RollbackSkipDetail {
    /// Who ran the apply.
    pub agent: Agent,
    /// What the apply's summary says of it (the monthly review shows this).
    pub error: String,
    /// The VMS account that changed it since, when the VMS journal says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    /// That change's VMS journal seq.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vms_seq: Option<u64>,
    /// The request id of the apply's write that was not undone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A snapshot taken or removed from the command line (`snapshot.create`, `snapshot.delete`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SnapshotDetail {
    /// Who took or removed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<Agent>,
    /// Why it was taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it was taken (removals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    /// Its content's SHA-256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The retention it recorded (removals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// Why it could not be taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The JSON object a typed detail is journaled as.
pub fn to_map(detail: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(detail) {
        Ok(Value::Object(m)) => m,
        // Every detail type is a struct of plain fields: it always serialises to an object.
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::{Change, OpKind};

    // The keys and nulls below are what journals written before these types held: pinned.
    #[test]
    fn every_detail_keeps_the_keys_the_journal_always_had() {
        let changes = [Change {
            path: "recording.fps".into(),
            from: json!(15),
            to: json!(25),
        }];
        let step = StepDetail {
            request_id: "r-1",
            op: OpKind::CameraUpdate,
            class: Class::Recording,
            changes: &changes,
            window: None,
            agent: Agent::Cli,
            error: None,
        };
        assert_eq!(
            Value::Object(to_map(&step)),
            json!({"request_id": "r-1", "op": "camera.update", "class": "recording",
                   "changes": [{"path": "recording.fps", "from": 15, "to": 25}],
                   "window": null, "agent": "cli", "error": null})
        );
        let targets = ["hall-01".to_string()];
        let refusal = RefusalDetail {
            check: "approval",
            message: "m",
            targets: Some(&targets),
            agent: Agent::Watch,
        };
        assert_eq!(
            Value::Object(to_map(&refusal)),
            json!({"check": "approval", "message": "m", "targets": ["hall-01"], "agent": "watch"})
        );
        let restore_refusal = RefusalDetail {
            targets: None,
            agent: Agent::Restore,
            ..refusal
        };
        assert_eq!(
            Value::Object(to_map(&restore_refusal)),
            json!({"check": "approval", "message": "m", "agent": "restore"})
        );
        let end = ApplyEndDetail {
            operations: 3,
            agent: Agent::Cli,
            rolled_back: Some(false),
            acknowledged_out_of_band: Vec::new(),
        };
        assert_eq!(
            Value::Object(to_map(&end)),
            json!({"operations": 3, "agent": "cli", "rolled_back": false})
        );
        let snap = SnapshotDetail {
            agent: Some(Agent::Cli),
            sha256: Some("ab".into()),
            ..SnapshotDetail::default()
        };
        assert_eq!(
            Value::Object(to_map(&snap)),
            json!({"agent": "cli", "sha256": "ab"})
        );
        let verified = VerifyDetail {
            agent: Agent::Cli,
            health: Health::Degraded,
            reason: Some("0 fps"),
        };
        assert_eq!(
            Value::Object(to_map(&verified)),
            json!({"agent": "cli", "health": "degraded", "reason": "0 fps"})
        );
        let skip = RollbackSkipDetail {
            agent: Agent::Cli,
            error: "not rolled back: t-003 changed by mdurand since".into(),
            changed_by: Some("mdurand".into()),
            vms_seq: Some(21),
            request_id: None,
        };
        assert_eq!(
            Value::Object(to_map(&skip)),
            json!({"agent": "cli", "error": "not rolled back: t-003 changed by mdurand since",
                   "changed_by": "mdurand", "vms_seq": 21})
        );
    }
}

#[cfg(test)]
mod pinned {
    use serde::Deserialize;
    use serde_json::Value;

    use super::*;
    use crate::audit::{Action, Entry, EntryResult};
    use crate::plan::{Change, OpKind};

    const JOURNAL: &str = include_str!("../../tests/cli/fixtures/journal-0.1.jsonl");

    fn field<'de, T: Deserialize<'de>>(d: &'de Map<String, Value>, k: &str) -> T {
        T::deserialize(&d[k]).unwrap_or_else(|e| panic!("{k}: {e}"))
    }

    fn agent(d: &Map<String, Value>) -> Agent {
        match d["agent"].as_str() {
            Some("cli") => Agent::Cli,
            Some("watch") => Agent::Watch,
            Some("restore") => Agent::Restore,
            other => panic!("agent {other:?}"),
        }
    }

    fn opt(d: &Map<String, Value>, k: &str) -> Option<String> {
        d.get(k).and_then(Value::as_str).map(String::from)
    }

    /// The typed detail that today's code writes for what `e` records.
    fn rebuilt(e: &Entry, d: &Map<String, Value>) -> Map<String, Value> {
        let result = e.result;
        match (&e.action, result) {
            (Action::Apply | Action::Restore, EntryResult::Refused) => {
                let targets: Option<Vec<String>> = d.get("targets").map(|_| field(d, "targets"));
                to_map(&RefusalDetail {
                    check: d["check"].as_str().expect("check"),
                    message: d["message"].as_str().expect("message"),
                    targets: targets.as_deref(),
                    agent: agent(d),
                })
            }
            (Action::Apply, _) => to_map(&ApplyEndDetail {
                operations: field(d, "operations"),
                agent: agent(d),
                rolled_back: d.get("rolled_back").map(|_| field(d, "rolled_back")),
                acknowledged_out_of_band: d
                    .get("acknowledged_out_of_band")
                    .map_or_else(Vec::new, |_| field(d, "acknowledged_out_of_band")),
            }),
            (Action::Restore, _) => to_map(&RestoreDetail {
                agent: agent(d),
                reason: opt(d, "reason"),
                before: opt(d, "before"),
                request_id: opt(d, "request_id"),
                error: opt(d, "error"),
                method: (d.get("method").and_then(Value::as_str) == Some("per-object"))
                    .then_some("per-object"),
                operations: d.get("operations").map(|_| field(d, "operations")),
            }),
            (Action::SnapshotCreate | Action::SnapshotDelete, _) => to_map(&SnapshotDetail {
                agent: Some(agent(d)),
                reason: opt(d, "reason"),
                taken_at: opt(d, "taken_at"),
                sha256: opt(d, "sha256"),
                retention_days: d.get("retention_days").map(|_| field(d, "retention_days")),
                error: opt(d, "error"),
            }),
            _ => {
                let changes: Vec<Change> = field(d, "changes");
                let op: OpKind = field(d, "op");
                to_map(&StepDetail {
                    request_id: d["request_id"].as_str().expect("request_id"),
                    op,
                    class: field(d, "class"),
                    changes: &changes,
                    window: d["window"].as_str(),
                    agent: agent(d),
                    error: d["error"].as_str(),
                })
            }
        }
    }

    #[test]
    fn every_detail_of_a_pinned_journal_is_what_the_types_write() {
        let mut checked = 0;
        for line in JOURNAL.lines() {
            let e: Entry = serde_json::from_str(line).expect("entry");
            let Some(d) = &e.detail else { continue };
            assert_eq!(&rebuilt(&e, d), d, "entry #{} ({})", e.seq, e.action);
            checked += 1;
        }
        assert!(checked > 30, "{checked} details checked");
    }
}
