//! What a journal entry records was done: the `action` key (docs/journal.md).
//!
//! Written and read as the same string it has always been, so the canonical
//! form and the hash of every entry are unchanged. A journal may hold actions
//! this release does not know (written by an older or a newer vmsops): they
//! are kept as written, never refused, so such a journal still reads and verifies.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::plan::OpKind;

/// What an entry records was done.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// `camera.create`: one operation of an apply (or a per-object restore).
    CameraCreate,
    /// `camera.update`.
    CameraUpdate,
    /// `camera.delete`.
    CameraDelete,
    /// `alert.create`.
    AlertCreate,
    /// `alert.update`.
    AlertUpdate,
    /// `alert.delete`.
    AlertDelete,
    /// `settings.update`.
    SettingsUpdate,
    /// `policy.change`.
    PolicyChange,
    /// `apply`: the change as a whole.
    Apply,
    /// `apply.unfinished`: a lock left by a process that died.
    ApplyUnfinished,
    /// `verify`: `apply --verify`'s verdict on one camera.
    Verify,
    /// `snapshot.create`.
    SnapshotCreate,
    /// `snapshot.delete`.
    SnapshotDelete,
    /// `restore`.
    Restore,
    /// `out-of-band.ack`: `drift ack`.
    OutOfBandAck,
    /// `journal.repair`: a torn last line cut off.
    JournalRepair,
    /// `rollback.skip`: an object a rollback left alone, changed by someone else since the apply wrote it.
    RollbackSkip,
    /// An action this release does not know, kept as written.
    Other(UnknownAction),
}

/// The name of an action this release does not know; never one it knows ([`Action::parse`] sees to it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownAction(Box<str>);

impl UnknownAction {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every action this release knows, for [`Action::parse`] to find them by name.
const KNOWN: [Action; 17] = [
    Action::CameraCreate,
    Action::CameraUpdate,
    Action::CameraDelete,
    Action::AlertCreate,
    Action::AlertUpdate,
    Action::AlertDelete,
    Action::SettingsUpdate,
    Action::PolicyChange,
    Action::Apply,
    Action::ApplyUnfinished,
    Action::Verify,
    Action::SnapshotCreate,
    Action::SnapshotDelete,
    Action::Restore,
    Action::OutOfBandAck,
    Action::JournalRepair,
    Action::RollbackSkip,
];

impl Action {
    /// The action named `s`; [`Action::Other`] when this release does not know it.
    pub fn parse(s: &str) -> Action {
        KNOWN
            .iter()
            .find(|a| a.as_str() == s)
            .cloned()
            .unwrap_or_else(|| Action::Other(UnknownAction(s.into())))
    }

    /// The name written in the journal, e.g. `camera.update`.
    pub fn as_str(&self) -> &str {
        match self {
            Action::CameraCreate => "camera.create",
            Action::CameraUpdate => "camera.update",
            Action::CameraDelete => "camera.delete",
            Action::AlertCreate => "alert.create",
            Action::AlertUpdate => "alert.update",
            Action::AlertDelete => "alert.delete",
            Action::SettingsUpdate => "settings.update",
            Action::PolicyChange => "policy.change",
            Action::Apply => "apply",
            Action::ApplyUnfinished => "apply.unfinished",
            Action::Verify => "verify",
            Action::SnapshotCreate => "snapshot.create",
            Action::SnapshotDelete => "snapshot.delete",
            Action::Restore => "restore",
            Action::OutOfBandAck => "out-of-band.ack",
            Action::JournalRepair => "journal.repair",
            Action::RollbackSkip => "rollback.skip",
            Action::Other(u) => u.as_str(),
        }
    }
}

impl From<OpKind> for Action {
    /// The action journaling one operation of a plan: the operation's own name.
    fn from(op: OpKind) -> Action {
        match op {
            OpKind::CameraCreate => Action::CameraCreate,
            OpKind::CameraUpdate => Action::CameraUpdate,
            OpKind::CameraDelete => Action::CameraDelete,
            OpKind::AlertCreate => Action::AlertCreate,
            OpKind::AlertUpdate => Action::AlertUpdate,
            OpKind::AlertDelete => Action::AlertDelete,
            OpKind::SettingsUpdate => Action::SettingsUpdate,
            OpKind::PolicyChange => Action::PolicyChange,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Action, D::Error> {
        // A visitor, not a String: a known action (nearly every entry of a long journal) allocates nothing.
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = Action;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Action, E> {
                Ok(Action::parse(s))
            }
        }
        d.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_action_reads_back_as_itself_and_others_are_kept_as_written() {
        for a in KNOWN {
            assert_eq!(Action::parse(a.as_str()), a);
            let json = serde_json::to_string(&a).expect("json");
            assert_eq!(json, format!("\"{}\"", a.as_str()));
            assert_eq!(serde_json::from_str::<Action>(&json).expect("read"), a);
        }
        for op in [
            OpKind::CameraCreate,
            OpKind::CameraUpdate,
            OpKind::CameraDelete,
            OpKind::AlertCreate,
            OpKind::AlertUpdate,
            OpKind::AlertDelete,
            OpKind::SettingsUpdate,
            OpKind::PolicyChange,
        ] {
            assert_eq!(Action::from(op).as_str(), op.as_str());
        }
        let newer: Action = serde_json::from_str("\"camera.reboot\"").expect("read");
        assert!(matches!(newer, Action::Other(_)));
        assert_eq!(newer.as_str(), "camera.reboot");
        assert_eq!(
            serde_json::to_string(&newer).expect("json"),
            "\"camera.reboot\""
        );
    }
}
