//! One journal entry: its fixed keys, its canonical form and its hash.
//!
//! The canonical form of an entry (what `hash` is the SHA-256 of) is the
//! entry without `hash` as compact JSON, its keys in the order of [`KEYS`],
//! each value in [`crate::canonical`] form (objects inside with sorted keys).
//! A journal line is exactly that form with `,"hash":"HEX"` inserted before
//! the final `}`, so anyone can check a line without vmsops: remove the
//! `,"hash":"…"` suffix, restore the `}`, and hash the bytes.
//!
//! The canonical form must never change: every journal already written is
//! verified against it.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Action;
use crate::canonical;

/// Every key of an entry, in canonical order (`hash` last, outside the hashed form).
pub const KEYS: [&str; 16] = [
    "seq",
    "at",
    "site",
    "operator",
    "action",
    "target",
    "result",
    "commit",
    "authors",
    "approval",
    "ticket",
    "snapshot",
    "emergency",
    "detail",
    "prev",
    "hash",
];

/// How an operation went, as the entry records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
// Named `Outcome` in the published schemas, as it always was.
#[schemars(rename = "Outcome")]
pub enum EntryResult {
    /// Journaled before the operation starts.
    Started,
    /// The operation completed.
    Success,
    /// The operation was attempted and failed.
    Failure,
    /// The gate refused it; nothing was attempted.
    Refused,
}

impl EntryResult {
    /// The word written in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryResult::Started => "started",
            EntryResult::Success => "success",
            EntryResult::Failure => "failure",
            EntryResult::Refused => "refused",
        }
    }
}

pub use crate::model::Approval;

/// What a caller journals; [`super::Journal::append`] adds `seq`, `prev` and `hash`.
///
/// `detail` is free-form; apply writes `request_id` (the id sent to the VMS,
/// read back by [`crate::state::StateStore::known_request_ids`]), `op`, `class`,
/// `changes`, `window` (the maintenance window's name, or null), `agent`
/// (`cli`, `watch` or `restore`) and `error`, and `audit review` reads
/// `class`, `window` and `agent`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    /// When it happened (the caller's clock, so tests and replays can pin it); kept to the millisecond.
    pub at: Timestamp,
    /// The site acted on, if any.
    pub site: Option<String>,
    /// The accountable person.
    pub operator: Option<String>,
    /// What was done, e.g. `camera.update` or `snapshot.create`.
    pub action: Action,
    /// What it was done to, e.g. a camera id or a snapshot id.
    pub target: Option<String>,
    /// How it went.
    pub result: EntryResult,
    /// The desired-state commit involved.
    pub commit: Option<String>,
    /// The authors of the commits applied, `Name <email>`.
    pub authors: Option<Vec<String>>,
    /// The approval tag, when one was needed and found.
    pub approval: Option<Approval>,
    /// The work order or request id.
    pub ticket: Option<String>,
    /// The snapshot taken before (or restored by) the operation.
    pub snapshot: Option<String>,
    /// The reason given with `--emergency`.
    pub emergency: Option<String>,
    /// Anything else, as a JSON object.
    pub detail: Option<Map<String, Value>>,
}

impl NewEntry {
    /// An entry with every optional key null.
    pub fn new(at: Timestamp, action: Action, result: EntryResult) -> Self {
        NewEntry {
            at,
            site: None,
            operator: None,
            action,
            target: None,
            result,
            commit: None,
            authors: None,
            approval: None,
            ticket: None,
            snapshot: None,
            emergency: None,
            detail: None,
        }
    }
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Position in the journal, from 1, without gaps.
    pub seq: u64,
    /// When it happened (UTC).
    pub at: Timestamp,
    /// The site acted on, if any.
    pub site: Option<String>,
    /// The accountable person.
    pub operator: Option<String>,
    /// What was done.
    // A string in the schema: readers must accept actions they do not know.
    #[schemars(with = "String")]
    pub action: Action,
    /// What it was done to.
    pub target: Option<String>,
    /// How it went.
    pub result: EntryResult,
    /// The desired-state commit involved.
    pub commit: Option<String>,
    /// The authors of the commits applied.
    pub authors: Option<Vec<String>>,
    /// The approval tag.
    pub approval: Option<Approval>,
    /// The work order or request id.
    pub ticket: Option<String>,
    /// The snapshot involved.
    pub snapshot: Option<String>,
    /// The emergency reason.
    pub emergency: Option<String>,
    /// Anything else.
    pub detail: Option<Map<String, Value>>,
    /// The hash of the previous entry; null on the first.
    pub prev: Option<String>,
    /// SHA-256 (hex) of this entry's canonical form.
    pub hash: String,
}

impl Entry {
    /// Seals `new` as entry `seq` after the entry whose hash is `prev`.
    pub fn seal(new: NewEntry, seq: u64, prev: Option<String>) -> Entry {
        let mut e = Entry {
            seq,
            // Milliseconds order concurrent operations well enough and keep lines readable.
            at: new.at.round(jiff::Unit::Millisecond).unwrap_or(new.at),
            site: new.site,
            operator: new.operator,
            action: new.action,
            target: new.target,
            result: new.result,
            commit: new.commit,
            authors: new.authors,
            approval: new.approval,
            ticket: new.ticket,
            snapshot: new.snapshot,
            emergency: new.emergency,
            detail: new.detail,
            prev,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    /// The canonical form: every key but `hash`, in [`KEYS`] order.
    pub fn canonical(&self) -> String {
        let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        let values: [Value; 15] = [
            Value::from(self.seq),
            Value::String(self.at.to_string()),
            opt(&self.site),
            opt(&self.operator),
            Value::String(self.action.as_str().to_owned()),
            opt(&self.target),
            Value::String(self.result.as_str().into()),
            opt(&self.commit),
            self.authors.as_ref().map_or(Value::Null, |a| {
                a.iter().cloned().map(Value::String).collect()
            }),
            self.approval.as_ref().map_or(
                Value::Null,
                |a| serde_json::json!({"tag": a.tag, "tagger": a.tagger, "target": a.target}),
            ),
            opt(&self.ticket),
            opt(&self.snapshot),
            opt(&self.emergency),
            self.detail
                .as_ref()
                .map_or(Value::Null, |d| Value::Object(d.clone())),
            opt(&self.prev),
        ];
        let mut s = String::from("{");
        for (i, (k, v)) in KEYS.iter().zip(values.iter()).enumerate() {
            if i > 0 {
                s.push(',');
            }
            canonical::write_str(k, &mut s);
            s.push(':');
            canonical::write(v, &mut s);
        }
        s.push('}');
        s
    }

    /// SHA-256 (hex) of [`Entry::canonical`].
    pub fn compute_hash(&self) -> String {
        canonical::sha256_hex(self.canonical().as_bytes())
    }

    /// The journal line, without its line end.
    pub fn to_line(&self) -> String {
        let mut s = self.canonical();
        s.pop();
        s.push_str(",\"hash\":");
        canonical::write_str(&self.hash, &mut s);
        s.push('}');
        s
    }

    /// Parses one journal line; the error says what is wrong with it.
    ///
    /// The hash is not checked here (see [`Entry::compute_hash`]).
    pub fn from_line(line: &str) -> Result<Entry, String> {
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("not a JSON object ({e})"))?;
        let Value::Object(map) = &value else {
            return Err("not a JSON object".into());
        };
        let missing: Vec<&str> = KEYS
            .iter()
            .copied()
            .filter(|k| !map.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            return Err(format!("missing key(s): {}", missing.join(", ")));
        }
        let unknown: Vec<&str> = map
            .keys()
            .map(String::as_str)
            .filter(|k| !KEYS.contains(k))
            .collect();
        if !unknown.is_empty() {
            return Err(format!("unknown key(s): {}", unknown.join(", ")));
        }
        serde_json::from_value(value).map_err(|e| format!("invalid value: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        let mut n = crate::audit::journal::tests::new(1);
        n.target = Some("hall-01".into());
        n.authors = Some(vec![
            "Claire Martin <claire.martin@integrator.example>".into()
        ]);
        n.approval = Some(Approval {
            tag: "approve/cr-1".into(),
            tagger: "RS <rs@client.example>".into(),
            target: "abc".into(),
        });
        let mut d = Map::new();
        d.insert("request_id".into(), "r-1".into());
        d.insert("class".into(), "recording".into());
        n.detail = Some(d);
        Entry::seal(n, 1, None)
    }

    #[test]
    fn line_is_the_canonical_form_plus_the_hash() {
        let e = sample();
        let line = e.to_line();
        assert!(line.starts_with(r#"{"seq":1,"at":"2026-11-27T12:00:00Z","site":"paris-hq","#));
        // Nested keys are sorted, so the line does not depend on insertion order.
        assert!(line.contains(r#""detail":{"class":"recording","request_id":"r-1"}"#));
        let without = line
            .strip_suffix(&format!(",\"hash\":\"{}\"}}", e.hash))
            .expect("hash last");
        assert_eq!(
            canonical::sha256_hex(format!("{without}}}").as_bytes()),
            e.hash
        );
        assert_eq!(Entry::from_line(&line).expect("parse"), e);
    }

    #[test]
    fn every_key_is_present_even_when_null() {
        let e = Entry::seal(
            NewEntry::new(
                Timestamp::UNIX_EPOCH,
                Action::parse("x"),
                EntryResult::Started,
            ),
            1,
            None,
        );
        let v: Value = serde_json::from_str(&e.to_line()).expect("json");
        let keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, KEYS);
    }

    #[test]
    fn missing_and_unknown_keys_are_refused() {
        let line = sample().to_line();
        let mut v: Map<String, Value> = serde_json::from_str(&line).expect("json");
        v.remove("ticket");
        let err = Entry::from_line(&Value::Object(v.clone()).to_string()).expect_err("missing");
        assert!(err.contains("missing key(s): ticket"), "{err}");
        v.insert("ticket".into(), Value::Null);
        v.insert("extra".into(), Value::Null);
        let err = Entry::from_line(&Value::Object(v).to_string()).expect_err("unknown");
        assert!(err.contains("unknown key(s): extra"), "{err}");
        assert!(Entry::from_line("[1]").is_err());
        assert!(Entry::from_line(r#"{"seq":1"#).is_err());
    }

    #[test]
    fn the_hash_covers_every_key_but_itself() {
        let e = sample();
        let mut edited = e.clone();
        edited.ticket = Some("OPS-1".into());
        assert_ne!(edited.compute_hash(), e.hash);
        let mut edited = e.clone();
        edited.prev = Some("00".into());
        assert_ne!(edited.compute_hash(), e.hash);
        let mut edited = e.clone();
        edited.hash = "other".into();
        assert_eq!(edited.compute_hash(), e.hash);
    }
}
