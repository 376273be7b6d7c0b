//! The monthly review (PROC-VMS-001 §04): what the Responsable Sécurité must look into.
//!
//! A pure function of the journal entries and of facts the caller gathers
//! (each site's generic identities, the VMS's own journal since the site's
//! baseline). It reads no file, no clock and no network, and never decides
//! that something is fine because it could not be checked: what was not
//! checked becomes a note, and what could not be read makes the review
//! incomplete.

use schemars::JsonSchema;
use std::collections::{BTreeMap, HashSet};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::entry::{Entry, EntryResult};
use super::Action;
use crate::model::Class;
use crate::model::VmsJournalEntry;

/// Actions that only keep vmsops's own records and change nothing on a VMS: no ticket needed.
pub const HOUSEKEEPING_ACTIONS: &[Action] = &[Action::SnapshotCreate, Action::SnapshotDelete];

/// How far apart a VMS journal entry and a vmsops entry on the same target may
/// be and still be the same change, for drivers that cannot send request ids.
pub const CORRELATION_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_secs(300);

/// A calendar month in UTC, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    first: jiff::civil::Date,
}

impl std::str::FromStr for Month {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a month: write YYYY-MM, e.g. 2026-11");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i16 = y.parse().map_err(|_| bad())?;
        let month: i8 = m.parse().map_err(|_| bad())?;
        let first = jiff::civil::Date::new(year, month, 1).map_err(|_| bad())?;
        Ok(Month { first })
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.first.strftime("%Y-%m"))
    }
}

impl Month {
    /// Its first instant (UTC).
    pub fn start(self) -> Timestamp {
        utc_midnight(self.first)
    }

    /// The first instant of the next month (UTC).
    pub fn end(self) -> Timestamp {
        self.first
            .checked_add(jiff::Span::new().months(1))
            .map_or(Timestamp::MAX, utc_midnight)
    }

    /// True if and only if `t` falls in this month (UTC).
    pub fn contains(self, t: Timestamp) -> bool {
        self.start() <= t && t < self.end()
    }
}

fn utc_midnight(d: jiff::civil::Date) -> Timestamp {
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .map_or(Timestamp::MAX, |z| z.timestamp())
}

/// What the caller could learn of a site's VMS journal.
#[derive(Debug, Clone, PartialEq)]
pub enum VmsJournal {
    /// The entries since the site's baseline.
    Read {
        /// The entries, oldest first.
        entries: Vec<VmsJournalEntry>,
        /// The driver sends request ids (else vmsops's changes are recognised by target and time).
        request_ids: bool,
    },
    /// The product keeps no administration journal.
    NotKept {
        /// The product's name, for the note (see [`product_name`]).
        product: String,
    },
    /// No baseline was recorded for the site (no import, no apply yet).
    NoBaseline,
    /// The VMS journal could not be read: the review is incomplete.
    Unavailable {
        /// Why, in words.
        reason: String,
    },
    /// Not looked at, on purpose.
    NotChecked {
        /// Why, in words.
        reason: String,
    },
}

/// What the caller gathered about one site.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteFacts {
    /// The site name.
    pub site: String,
    /// Its `policy.generic_identities` (from its last applied commit, else HEAD).
    pub generic_identities: Vec<String>,
    /// Its VMS's own journal.
    pub vms: VmsJournal,
}

/// Everything the review looks at.
#[derive(Debug, Clone)]
pub struct ReviewInput<'a> {
    /// The month reviewed.
    pub month: Month,
    /// The vmsops journal, every month (later entries close earlier `started` ones).
    pub entries: &'a [Entry],
    /// The first break of the hash chain, in words, if `verify` found one.
    pub journal_break: Option<String>,
    /// Every request id vmsops journaled ([`crate::state::StateStore::known_request_ids`]).
    pub known_request_ids: &'a HashSet<String>,
    /// One per site reviewed; entries of other sites are reviewed with the default generic identities.
    pub sites: &'a [SiteFacts],
}

/// Why an entry is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// A change on a VMS that vmsops did not make.
    OutOfBand,
    /// A request on a VMS that vmsops did not make, which the VMS refused: it changed nothing.
    AttemptedOutOfBand,
    /// Let through with `--emergency`.
    Emergency,
    /// Done by, or with commits by, a generic identity.
    GenericIdentity,
    /// A change without a work order or request id.
    NoTicket,
    /// A `recording`, `settings` or `policy` change without an approval tag.
    NoApproval,
    /// A `recording` change outside every maintenance window.
    OutsideWindow,
    /// Refused by the gate.
    Refused,
    /// Attempted and failed.
    Failed,
    /// Started and never finished (the process died or was killed).
    Unfinished,
}

impl Category {
    /// Every category, in the order the review lists them.
    pub const ALL: [Category; 10] = [
        Category::OutOfBand,
        Category::AttemptedOutOfBand,
        Category::Emergency,
        Category::GenericIdentity,
        Category::NoTicket,
        Category::NoApproval,
        Category::OutsideWindow,
        Category::Refused,
        Category::Failed,
        Category::Unfinished,
    ];

    /// A heading for the category.
    pub fn title(self) -> &'static str {
        match self {
            Category::OutOfBand => "Out-of-band changes",
            Category::AttemptedOutOfBand => "Attempted out-of-band changes (refused by the VMS)",
            Category::Emergency => "Emergencies",
            Category::GenericIdentity => "Generic identities",
            Category::NoTicket => "Without ticket",
            Category::NoApproval => "Without approval",
            Category::OutsideWindow => "Recording changes outside maintenance windows",
            Category::Refused => "Refused",
            Category::Failed => "Failed",
            Category::Unfinished => "Started, never finished",
        }
    }
}

/// Which journal an item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The vmsops journal (`journal.jsonl`).
    Vmsops,
    /// The VMS's own administration journal.
    Vms,
}

/// One thing to look into.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Finding {
    /// Why it is listed.
    pub category: Category,
    /// Which journal it comes from.
    pub source: Source,
    /// The site.
    pub site: Option<String>,
    /// Its `seq` in that journal.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// Who (the operator, or the VMS account).
    pub who: Option<String>,
    /// What was done.
    pub action: String,
    /// To what.
    pub target: Option<String>,
    /// `started`, `success`, `failure` or `refused`.
    pub result: String,
    /// Why it is listed, in words.
    pub message: String,
}

/// The `format_version` of the review document; changes when a field changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// The monthly review.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Review {
    /// Always [`FORMAT_VERSION`] (`audit review --format json`).
    pub format_version: u32,
    /// `YYYY-MM`.
    pub month: String,
    /// First instant of the month (UTC).
    pub from: Timestamp,
    /// First instant of the next month (UTC).
    pub to: Timestamp,
    /// vmsops journal entries in the month.
    pub entries: usize,
    /// VMS journal entries read in the month, all sites.
    pub vms_entries: usize,
    /// The first break of the hash chain, when the journal cannot be trusted.
    pub journal_break: Option<String>,
    /// What to look into, by category then time.
    pub findings: Vec<Finding>,
    /// How many findings of each category.
    pub summary: BTreeMap<Category, usize>,
    /// What was not checked, and why.
    pub notes: Vec<String>,
    /// What could not be read: the review is incomplete when this is not empty.
    pub errors: Vec<String>,
}

impl Review {
    /// Findings, plus a broken journal: what makes `audit review` exit 2.
    pub fn anomalies(&self) -> usize {
        self.findings.len() + usize::from(self.journal_break.is_some())
    }
}

/// A product's name for the sentences of the review, from its driver name.
pub fn product_name(driver: &str) -> String {
    crate::model::DriverKind::parse(driver)
        .map_or_else(|| driver.to_string(), |k| k.product().into())
}

/// True if and only if `identity` (`Name <email>`, an email or a name) is one of `generic`,
/// by name or by email local part, ignoring case.
pub fn is_generic_identity(identity: &str, generic: &[String]) -> bool {
    let identity = identity.trim();
    let (name, email) = match identity.split_once('<') {
        Some((n, rest)) => (n.trim(), Some(rest.trim_end_matches('>').trim())),
        None if identity.contains('@') => ("", Some(identity)),
        None => (identity, None),
    };
    let local = email.and_then(|e| e.split('@').next()).unwrap_or("");
    generic.iter().any(|g| {
        let g = g.trim().to_lowercase();
        !g.is_empty() && (name.to_lowercase() == g || local.to_lowercase() == g)
    })
}

/// Reviews `input.month`.
pub fn review(input: &ReviewInput<'_>) -> Review {
    let month = input.month;
    let in_month: Vec<&Entry> = input
        .entries
        .iter()
        .filter(|e| month.contains(e.at))
        .collect();
    let mut findings = vmsops_findings(input, &in_month);
    let vms = vms_findings(input);
    findings.extend(vms.findings);
    findings.sort_by(|a, b| {
        (a.category, a.at, a.source == Source::Vms, a.seq).cmp(&(
            b.category,
            b.at,
            b.source == Source::Vms,
            b.seq,
        ))
    });
    let mut summary = BTreeMap::new();
    for f in &findings {
        *summary.entry(f.category).or_insert(0) += 1;
    }
    Review {
        format_version: FORMAT_VERSION,
        month: month.to_string(),
        from: month.start(),
        to: month.end(),
        entries: in_month.len(),
        vms_entries: vms.entries,
        journal_break: input.journal_break.clone(),
        findings,
        summary,
        notes: vms.notes,
        errors: vms.errors,
    }
}

/// The findings from the vmsops journal entries of the month, one record per operation.
fn vmsops_findings(input: &ReviewInput<'_>, in_month: &[&Entry]) -> Vec<Finding> {
    let default_generic = crate::model::procedure::default_generic_identities();
    let generic_of = |site: Option<&str>| -> &[String] {
        site.and_then(|s| input.sites.iter().find(|f| f.site == s))
            .map_or(&default_generic, |f| &f.generic_identities)
    };
    // Closing entries of every month: an operation started on the 31st may close on the 1st.
    let closed: HashSet<String> = input
        .entries
        .iter()
        .filter(|e| e.result != EntryResult::Started)
        .map(operation_key)
        .collect();
    let mut findings = Vec::new();
    for e in in_month {
        // One record per operation: its closing entry, or its `started` entry if it never closed.
        if e.result == EntryResult::Started && closed.contains(&operation_key(e)) {
            continue;
        }
        for (category, message) in entry_reasons(e, generic_of(e.site.as_deref())) {
            findings.push(Finding {
                category,
                source: Source::Vmsops,
                site: e.site.clone(),
                seq: e.seq,
                at: e.at,
                who: e.operator.clone(),
                action: e.action.to_string(),
                target: e.target.clone(),
                result: e.result.as_str().into(),
                message,
            });
        }
    }
    findings
}

/// Why one vmsops entry is listed, in the order the checks run; empty when it is in order.
fn entry_reasons(e: &Entry, generic: &[String]) -> Vec<(Category, String)> {
    let mut reasons = Vec::new();
    if e.result == EntryResult::Started {
        reasons.push((
            Category::Unfinished,
            "started and never finished: check the VMS and the apply's output".into(),
        ));
    }
    if let Some(reason) = &e.emergency {
        reasons.push((Category::Emergency, format!("emergency: {reason}")));
    }
    match e.result {
        EntryResult::Failure => reasons.push((
            Category::Failed,
            detail_str(e, "error").map_or("failed".into(), |m| format!("failed: {m}")),
        )),
        EntryResult::Refused => {
            // One entry per refusing check: name it, or the lines read as one repeated refusal.
            let why = match (detail_str(e, "check"), detail_str(e, "message")) {
                (Some(check), Some(m)) => format!("refused by the gate ({check}): {m}"),
                (Some(check), None) => format!("refused by the gate ({check})"),
                _ => detail_str(e, "error")
                    .or(detail_str(e, "reason"))
                    .map_or("refused by the gate".into(), |m| format!("refused: {m}")),
            };
            reasons.push((Category::Refused, why));
            // What the gate stopped is listed as refused, not again for each reason.
            return reasons;
        }
        EntryResult::Started | EntryResult::Success => {}
    }
    if let Some(message) = generic_identity_reason(e, generic) {
        reasons.push((Category::GenericIdentity, message));
    }
    if !HOUSEKEEPING_ACTIONS.contains(&e.action)
        && e.ticket.as_deref().is_none_or(|t| t.trim().is_empty())
    {
        reasons.push((
            Category::NoTicket,
            "no ticket (work order or validated request)".into(),
        ));
    }
    reasons.extend(class_reasons(e));
    reasons
}

/// The generic identities among the entry's operator and commit authors, in words, if any.
fn generic_identity_reason(e: &Entry, generic: &[String]) -> Option<String> {
    let mut who: Vec<&str> = e.operator.iter().map(String::as_str).collect();
    who.extend(e.authors.iter().flatten().map(String::as_str));
    let generic_ids: Vec<&str> = who
        .into_iter()
        .filter(|w| is_generic_identity(w, generic))
        .collect();
    if generic_ids.is_empty() {
        return None;
    }
    Some(format!(
        "generic identit{}: {}",
        if generic_ids.len() == 1 { "y" } else { "ies" },
        generic_ids
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// What the change's plan class requires and the entry lacks: an approval tag, a maintenance window.
fn class_reasons(e: &Entry) -> Vec<(Category, String)> {
    let mut reasons = Vec::new();
    // restore is the procedure's first reflex: no approval and no window (PROC-VMS-001 §03).
    if detail_str(e, "agent") == Some("restore") {
        return reasons;
    }
    let Some(c) = detail_str(e, "class") else {
        return reasons;
    };
    // A class this release does not know (a newer writer) needs neither.
    let class: Option<Class> = serde_json::from_value(serde_json::Value::from(c)).ok();
    if class.is_some_and(Class::needs_approval) && e.approval.is_none() {
        reasons.push((
            Category::NoApproval,
            format!("a {c} change needs an approval tag"),
        ));
    }
    if class.is_some_and(Class::needs_window) && detail_str(e, "window").is_none() {
        reasons.push((
            Category::OutsideWindow,
            "recording change outside every maintenance window".into(),
        ));
    }
    reasons
}

/// What the VMS journals of the sites gave: out-of-band changes, and what could not be checked.
struct VmsSide {
    /// Changes on a VMS that vmsops did not make.
    findings: Vec<Finding>,
    /// VMS journal entries read in the month, all sites.
    entries: usize,
    /// What was not checked, and why.
    notes: Vec<String>,
    /// What could not be read.
    errors: Vec<String>,
}

/// Reads each site's VMS journal facts for the month.
fn vms_findings(input: &ReviewInput<'_>) -> VmsSide {
    let mut side = VmsSide {
        findings: Vec::new(),
        entries: 0,
        notes: Vec::new(),
        errors: Vec::new(),
    };
    for facts in input.sites {
        let site = &facts.site;
        match &facts.vms {
            VmsJournal::Read {
                entries,
                request_ids,
            } => {
                let acks = acknowledgements(site, input.entries);
                for v in entries.iter().filter(|v| input.month.contains(v.at)) {
                    side.entries += 1;
                    if let Some(why) = out_of_band_reason(v, site, *request_ids, input) {
                        let mut f = out_of_band_finding(site, v, why);
                        if v.result != "success" {
                            f.category = Category::AttemptedOutOfBand;
                        } else if let Some((who, at, how)) = acks.get(&v.seq) {
                            f.message = format!("{}; acknowledged by {who} at {at} ({how})", f.message);
                        }
                        side.findings.push(f);
                    }
                }
            }
            VmsJournal::NotKept { product } => side.notes.push(format!(
                "{site}: {product} keeps no administration journal: out-of-band changes are visible only as drift (`vmsops drift`)"
            )),
            VmsJournal::NoBaseline => side.notes.push(format!(
                "{site}: no baseline for the VMS journal yet (recorded by `vmsops import` or the first apply): out-of-band changes were not checked"
            )),
            VmsJournal::NotChecked { reason } => side.notes.push(format!(
                "{site}: out-of-band changes were not checked: {reason}"
            )),
            VmsJournal::Unavailable { reason } => side.errors.push(format!(
                "{site}: the VMS journal could not be read, so out-of-band changes were not checked: {reason}"
            )),
        }
    }
    side
}

/// Who acknowledged each out-of-band VMS journal entry of `site`, when, and how
/// (`drift ack`, or an apply that overwrote it), from the vmsops journal.
fn acknowledgements(
    site: &str,
    entries: &[Entry],
) -> std::collections::HashMap<u64, (String, Timestamp, &'static str)> {
    let mut out = std::collections::HashMap::new();
    for e in entries.iter().filter(|e| e.site.as_deref() == Some(site)) {
        let how = match (&e.action, e.result) {
            (Action::OutOfBandAck, EntryResult::Success) => "drift ack",
            (Action::Apply, EntryResult::Success) => "overwritten by an apply",
            _ => continue,
        };
        let seqs = e
            .detail
            .as_ref()
            .and_then(|d| d.get("acknowledged_out_of_band"))
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_u64()).collect::<Vec<_>>())
            .unwrap_or_default();
        for seq in seqs {
            out.entry(seq)
                .or_insert_with(|| (e.operator.clone().unwrap_or_default(), e.at, how));
        }
    }
    out
}

/// Why a VMS journal entry is not vmsops's own doing, or `None` when vmsops made it.
fn out_of_band_reason(
    v: &VmsJournalEntry,
    site: &str,
    request_ids: bool,
    input: &ReviewInput<'_>,
) -> Option<String> {
    if request_ids {
        return match &v.request_id {
            None => Some("no request id: not sent by vmsops".to_string()),
            Some(id) if !input.known_request_ids.contains(id) => {
                Some(format!("request id `{id}` is not in the vmsops journal"))
            }
            Some(_) => None,
        };
    }
    (!made_by_vmsops(v, site, input.entries)).then(|| {
        format!(
            "no vmsops operation on this target within {} minutes",
            CORRELATION_WINDOW.as_secs() / 60
        )
    })
}

/// A VMS journal entry as an out-of-band finding.
fn out_of_band_finding(site: &str, v: &VmsJournalEntry, why: String) -> Finding {
    let behalf = v
        .on_behalf_of
        .as_ref()
        .map(|o| format!(" (on behalf of `{o}`)"))
        .unwrap_or_default();
    Finding {
        category: Category::OutOfBand,
        source: Source::Vms,
        site: Some(site.to_string()),
        seq: v.seq,
        at: v.at,
        who: Some(format!("{}{behalf}", v.user)),
        action: v.action.clone(),
        target: Some(v.target.clone()),
        result: v.result.clone(),
        message: why,
    }
}

/// A string in the entry's `detail`, if there is one (null counts as absent).
fn detail_str<'e>(e: &'e Entry, key: &str) -> Option<&'e str> {
    e.detail.as_ref()?.get(key)?.as_str()
}

/// What identifies one operation across its `started` and closing entries.
fn operation_key(e: &Entry) -> String {
    match e.detail.as_ref().and_then(|d| d.get("request_id")) {
        Some(Value::String(id)) => format!("request:{id}"),
        _ => serde_json::json!([e.site, e.action, e.target, e.commit, e.operator]).to_string(),
    }
}

/// For drivers without request ids: a vmsops entry on the same site and target, close in time.
fn made_by_vmsops(v: &VmsJournalEntry, site: &str, entries: &[Entry]) -> bool {
    entries.iter().any(|e| {
        e.site.as_deref() == Some(site)
            && e.target.as_deref() == Some(v.target.as_str())
            && e.at.duration_since(v.at).abs() <= CORRELATION_WINDOW
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::entry::{Approval, NewEntry};
    use serde_json::{json, Map};

    const MONTH: &str = "2026-11";

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    /// A successful, ticketed, approved recording change by a person, in a window:
    /// nothing to report. Each table row spoils one thing.
    fn clean() -> NewEntry {
        let mut n = NewEntry::new(
            ts("2026-11-10T02:30:00Z"),
            Action::CameraUpdate,
            EntryResult::Success,
        );
        n.site = Some("paris-hq".into());
        n.operator = Some("claire.martin".into());
        n.target = Some("hall-01".into());
        n.ticket = Some("OPS-1".into());
        n.authors = Some(vec![
            "Claire Martin <claire.martin@integrator.example>".into()
        ]);
        n.approval = Some(Approval {
            tag: "approve/1".into(),
            tagger: "RS <rs@client.example>".into(),
            target: "c".into(),
        });
        n.detail = Some(detail(json!({
            "request_id": "req-1", "class": "recording", "window": "tuesday-night", "agent": "cli"
        })));
        n
    }

    fn detail(v: Value) -> Map<String, Value> {
        v.as_object().expect("object").clone()
    }

    fn seal_all(news: Vec<NewEntry>) -> Vec<Entry> {
        let mut prev = None;
        news.into_iter()
            .enumerate()
            .map(|(i, n)| {
                let e = Entry::seal(n, i as u64 + 1, prev.take());
                prev = Some(e.hash.clone());
                e
            })
            .collect()
    }

    fn facts(vms: VmsJournal) -> Vec<SiteFacts> {
        vec![SiteFacts {
            site: "paris-hq".into(),
            generic_identities: vec!["admin".into(), "root".into(), "support".into()],
            vms,
        }]
    }

    fn run(entries: &[Entry], sites: &[SiteFacts]) -> Review {
        let known: HashSet<String> = entries
            .iter()
            .filter_map(|e| detail_str(e, "request_id").map(String::from))
            .collect();
        review(&ReviewInput {
            month: MONTH.parse().expect("month"),
            entries,
            journal_break: None,
            known_request_ids: &known,
            sites,
        })
    }

    fn categories(r: &Review) -> Vec<Category> {
        r.findings.iter().map(|f| f.category).collect()
    }

    type Spoil = fn(&mut NewEntry);

    /// Reviews `clean()` spoiled by each row, alone, and expects the row's categories.
    fn check_spoiled(table: Vec<(&str, Spoil, Vec<Category>)>) {
        for (name, spoil, want) in table {
            let mut n = clean();
            spoil(&mut n);
            let r = run(&seal_all(vec![n]), &facts(VmsJournal::NoBaseline));
            assert_eq!(categories(&r), want, "{name}");
            assert_eq!(r.anomalies(), want.len(), "{name}");
        }
    }

    #[test]
    fn each_procedure_category_from_one_spoiled_entry() {
        check_spoiled(vec![
            ("clean", |_| {}, vec![]),
            ("no ticket", |n| n.ticket = None, vec![Category::NoTicket]),
            (
                "blank ticket",
                |n| n.ticket = Some("  ".into()),
                vec![Category::NoTicket],
            ),
            (
                "no approval",
                |n| n.approval = None,
                vec![Category::NoApproval],
            ),
            (
                "settings without approval",
                |n| {
                    n.approval = None;
                    n.detail = Some(detail(json!({"class": "settings", "request_id": "r"})));
                },
                vec![Category::NoApproval],
            ),
            (
                "metadata needs no approval nor window",
                |n| {
                    n.approval = None;
                    n.detail = Some(detail(json!({"class": "metadata", "window": null})));
                },
                vec![],
            ),
            (
                "outside window",
                |n| {
                    n.detail = Some(detail(json!({"class": "recording", "window": null})));
                },
                vec![Category::OutsideWindow],
            ),
            (
                "restore needs neither approval nor window",
                |n| {
                    n.approval = None;
                    n.detail = Some(detail(json!({"class": "recording", "agent": "restore"})));
                },
                vec![],
            ),
        ]);
    }

    #[test]
    fn each_identity_outcome_and_scope_category_from_one_spoiled_entry() {
        check_spoiled(vec![
            (
                "generic operator",
                |n| n.operator = Some("Admin".into()),
                vec![Category::GenericIdentity],
            ),
            (
                "generic author by email local part",
                |n| n.authors = Some(vec!["Help Desk <SUPPORT@client.example>".into()]),
                vec![Category::GenericIdentity],
            ),
            (
                "generic author by name",
                |n| n.authors = Some(vec!["root <r00t@client.example>".into()]),
                vec![Category::GenericIdentity],
            ),
            (
                "a name that merely contains a generic word",
                |n| n.operator = Some("admin.dupont".into()),
                vec![],
            ),
            (
                "emergency",
                |n| n.emergency = Some("cameras down".into()),
                vec![Category::Emergency],
            ),
            (
                "failed",
                |n| n.result = EntryResult::Failure,
                vec![Category::Failed],
            ),
            (
                "refused, listed once whatever the reasons",
                |n| {
                    n.result = EntryResult::Refused;
                    n.ticket = None;
                    n.operator = Some("admin".into());
                },
                vec![Category::Refused],
            ),
            (
                "housekeeping needs no ticket",
                |n| {
                    n.action = Action::SnapshotCreate;
                    n.ticket = None;
                    n.detail = None;
                },
                vec![],
            ),
            (
                "out of the month",
                |n| {
                    n.at = ts("2026-12-01T00:00:00Z");
                    n.ticket = None;
                },
                vec![],
            ),
            (
                "last instant of the month",
                |n| {
                    n.at = ts("2026-11-30T23:59:59Z");
                    n.ticket = None;
                },
                vec![Category::NoTicket],
            ),
        ]);
    }

    /// Regression: each refusing check was listed as a bare "refused by the gate".
    #[test]
    fn each_refusal_names_its_check() {
        let refusals = ["approval", "maintenance-window"].map(|check| {
            let mut n = clean();
            n.result = EntryResult::Refused;
            n.detail = Some(detail(json!({"check": check, "message": "no"})));
            n
        });
        let r = run(&seal_all(refusals.into()), &facts(VmsJournal::NoBaseline));
        let messages: Vec<&str> = r.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "refused by the gate (approval): no",
                "refused by the gate (maintenance-window): no"
            ]
        );
    }

    #[test]
    fn started_entries_count_once_and_unfinished_ones_are_listed() {
        let mut started = clean();
        started.result = EntryResult::Started;
        started.ticket = None;
        let mut done = started.clone();
        done.result = EntryResult::Success;
        let mut orphan = clean();
        orphan.result = EntryResult::Started;
        orphan.detail = Some(detail(json!({"request_id": "req-2", "class": "metadata"})));
        let r = run(
            &seal_all(vec![started, done, orphan]),
            &facts(VmsJournal::NoBaseline),
        );
        assert_eq!(
            categories(&r),
            vec![Category::NoTicket, Category::Unfinished]
        );
        assert_eq!((r.findings[0].seq, r.findings[1].seq), (2, 3));
    }

    fn vms_entry(seq: u64, at: &str, target: &str, request_id: Option<&str>) -> VmsJournalEntry {
        VmsJournalEntry {
            seq,
            at: ts(at),
            user: "eve".into(),
            action: "camera.update".into(),
            target: target.into(),
            result: "success".into(),
            request_id: request_id.map(String::from),
            on_behalf_of: None,
        }
    }

    #[test]
    fn out_of_band_by_request_id() {
        let entries = seal_all(vec![clean()]);
        let vms = VmsJournal::Read {
            entries: vec![
                vms_entry(1, "2026-11-10T02:30:01Z", "hall-01", Some("req-1")),
                vms_entry(2, "2026-11-12T09:00:00Z", "hall-02", None),
                vms_entry(3, "2026-11-12T09:01:00Z", "hall-02", Some("forged")),
                vms_entry(4, "2026-10-12T09:01:00Z", "hall-02", None),
            ],
            request_ids: true,
        };
        let r = run(&entries, &facts(vms));
        assert_eq!(
            r.findings.iter().map(|f| f.seq).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(r.findings.iter().all(|f| f.source == Source::Vms));
        assert_eq!(r.findings[0].message, "no request id: not sent by vmsops");
        assert_eq!(r.vms_entries, 3);
    }

    #[test]
    fn out_of_band_by_target_and_time_without_request_ids() {
        let entries = seal_all(vec![clean()]);
        let vms = VmsJournal::Read {
            entries: vec![
                vms_entry(1, "2026-11-10T02:33:00Z", "hall-01", None),
                vms_entry(2, "2026-11-10T02:45:00Z", "hall-01", None),
                vms_entry(3, "2026-11-10T02:31:00Z", "hall-02", None),
            ],
            request_ids: false,
        };
        let r = run(&entries, &facts(vms));
        assert_eq!(
            r.findings.iter().map(|f| f.seq).collect::<Vec<_>>(),
            vec![3, 2]
        );
    }

    #[test]
    fn what_was_not_checked_is_said() {
        let entries = seal_all(vec![clean()]);
        let r = run(
            &entries,
            &facts(VmsJournal::NotKept {
                product: product_name("zoneminder"),
            }),
        );
        assert_eq!(r.anomalies(), 0);
        assert_eq!(
            r.notes,
            vec!["paris-hq: ZoneMinder keeps no administration journal: out-of-band changes are visible only as drift (`vmsops drift`)"]
        );
        let r = run(
            &entries,
            &facts(VmsJournal::Unavailable {
                reason: "connection refused".into(),
            }),
        );
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].contains("connection refused"));
    }

    #[test]
    fn a_broken_journal_is_an_anomaly() {
        let entries = seal_all(vec![clean()]);
        let known = HashSet::new();
        let r = review(&ReviewInput {
            month: MONTH.parse().expect("month"),
            entries: &entries,
            journal_break: Some("entry #3 was changed".into()),
            known_request_ids: &known,
            sites: &[],
        });
        assert_eq!(r.anomalies(), 1);
    }

    #[test]
    fn months() {
        let m: Month = "2026-12".parse().expect("month");
        assert_eq!(m.to_string(), "2026-12");
        assert_eq!(m.start(), ts("2026-12-01T00:00:00Z"));
        assert_eq!(m.end(), ts("2027-01-01T00:00:00Z"));
        for bad in [
            "2026-13", "2026-1", "26-11", "2026/11", "november", "2026-00",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }

    #[test]
    fn generic_identities() {
        let g = vec!["admin".to_string(), "Support".to_string()];
        for (who, want) in [
            ("admin", true),
            ("ADMIN", true),
            ("admin@client.example", true),
            ("Someone <support@client.example>", true),
            ("Admin <claire@client.example>", true),
            ("claire.martin", false),
            ("Claire <claire.admin@client.example>", false),
            ("administrator", false),
        ] {
            assert_eq!(is_generic_identity(who, &g), want, "{who}");
        }
    }
}
