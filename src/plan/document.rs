//! The plan as a document: what `plan --format json` prints and `--out` saves.
//!
//! Stable: fields may be added, none removed or renamed (`format_version` 1).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Finding, OpKind, Operation};

/// The current `format_version`.
pub const FORMAT_VERSION: u32 = 1;

pub use crate::model::{CommitFacts as CommitInfo, Unmanaged};

/// What changed in git between `--base` and the revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GitChanges {
    /// The base commit.
    pub base: String,
    /// Commits in base..rev, oldest first.
    pub commits: Vec<CommitInfo>,
}

/// The plan of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SitePlan {
    /// Site name.
    pub site: String,
    /// The commit the desired state was read from (`null` for the work tree).
    pub desired_commit: Option<String>,
    /// Fingerprint of the live configuration the plan was computed against.
    pub live_fingerprint: Option<String>,
    /// Driver name.
    pub driver: String,
    /// VMS URL.
    pub url: String,
    /// Operations, in plan order.
    pub operations: Vec<Operation>,
    /// Findings (never applied).
    pub findings: Vec<Finding>,
    /// What the driver cannot manage (informational).
    #[serde(default)]
    pub unmanaged: Vec<Unmanaged>,
    /// Commits between `--base` and the revision, when a base was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitChanges>,
    /// Gate notes for the whole site (e.g. `untrusted-base`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why this site could not be planned (unreachable VMS, invalid state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Drift only: how the live VMS stands against what was applied and what is desired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DriftStatus>,
    /// Drift only: what changed in the VMS since the last applied commit (the
    /// operations that would put back what was applied); `operations` keeps
    /// what would take the VMS to the desired revision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Operation>,
}

impl SitePlan {
    /// This plan with every string that came from outside (the VMS, the repository)
    /// made safe for a terminal: what text and markdown render.
    pub fn terminal_safe(&self) -> SitePlan {
        use crate::safe_text::{json, terminal};
        let t = |s: &str| terminal(s).into_owned();
        let op = |o: &Operation| Operation {
            target: o.target.map_text(t),
            changes: o
                .changes
                .iter()
                .map(|c| super::Change {
                    path: t(&c.path),
                    from: json(&c.from),
                    to: json(&c.to),
                })
                .collect(),
            verdicts: o
                .verdicts
                .iter()
                .map(|v| super::Verdict {
                    // Kept shared when there is nothing to escape.
                    message: match terminal(&v.message) {
                        std::borrow::Cow::Borrowed(_) => v.message.clone(),
                        std::borrow::Cow::Owned(safe) => safe.into(),
                    },
                    ..v.clone()
                })
                .collect(),
            ..o.clone()
        };
        SitePlan {
            site: t(&self.site),
            desired_commit: self.desired_commit.as_deref().map(t),
            driver: t(&self.driver),
            url: t(&self.url),
            operations: self.operations.iter().map(op).collect(),
            findings: self
                .findings
                .iter()
                .map(|f| Finding {
                    kind: t(&f.kind),
                    target: t(&f.target),
                    message: t(&f.message),
                })
                .collect(),
            unmanaged: self
                .unmanaged
                .iter()
                .map(|u| Unmanaged {
                    field: t(&u.field),
                    reason: t(&u.reason),
                })
                .collect(),
            git: self.git.as_ref().map(|g| GitChanges {
                base: t(&g.base),
                commits: g
                    .commits
                    .iter()
                    .map(|c| crate::model::CommitFacts {
                        id: t(&c.id),
                        summary: t(&c.summary),
                        author_name: t(&c.author_name),
                        author_email: t(&c.author_email),
                        tickets: c.tickets.iter().map(|x| t(x)).collect(),
                    })
                    .collect(),
            }),
            notes: self.notes.iter().map(|n| t(n)).collect(),
            error: self.error.as_deref().map(t),
            drift: self.drift.iter().map(op).collect(),
            ..self.clone()
        }
    }
}

impl PlanDocument {
    /// [`SitePlan::terminal_safe`] for every site.
    pub fn terminal_safe(&self) -> PlanDocument {
        PlanDocument {
            sites: self.sites.iter().map(SitePlan::terminal_safe).collect(),
            ..self.clone()
        }
    }
}

/// How a site stands, for `drift` and `watch` (docs/drift.md).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum DriftStatus {
    /// The live VMS matches the last applied commit and the desired revision.
    InSync,
    /// The live VMS matches the last applied commit; the desired revision waits to be applied.
    Pending,
    /// The live VMS differs from the last applied commit, or has unacknowledged out-of-band changes.
    Drifted,
    /// No baseline, or the VMS could not be read: drift cannot tell.
    Unknown,
}

impl DriftStatus {
    /// The name in JSON, metrics and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftStatus::InSync => "in-sync",
            DriftStatus::Pending => "pending",
            DriftStatus::Drifted => "drifted",
            DriftStatus::Unknown => "unknown",
        }
    }

    /// Every status, for metrics that show each one.
    pub const ALL: [DriftStatus; 4] = [
        DriftStatus::InSync,
        DriftStatus::Pending,
        DriftStatus::Drifted,
        DriftStatus::Unknown,
    ];
}

/// Counts over the whole plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Creates.
    pub add: usize,
    /// Updates (and policy changes).
    pub change: usize,
    /// Deletes.
    pub remove: usize,
    /// Operations refused by the gate.
    pub refused: usize,
    /// Findings.
    #[serde(default)]
    pub findings: usize,
    /// Sites that could not be planned.
    #[serde(default)]
    pub errors: usize,
}

/// A whole plan over one or more sites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanDocument {
    /// Always [`FORMAT_VERSION`].
    pub format_version: u32,
    /// One entry per site, sorted by name.
    pub sites: Vec<SitePlan>,
    /// Counts.
    pub summary: Summary,
}

impl Summary {
    /// Counts the operations and findings of `sites`.
    pub fn of(sites: &[SitePlan]) -> Self {
        let mut s = Summary::default();
        for site in sites {
            s.findings += site.findings.len();
            s.errors += usize::from(site.error.is_some());
            for op in &site.operations {
                match op.op {
                    OpKind::CameraCreate | OpKind::AlertCreate => s.add += 1,
                    OpKind::CameraDelete | OpKind::AlertDelete => s.remove += 1,
                    _ => s.change += 1,
                }
                s.refused += usize::from(op.is_refused());
            }
        }
        s
    }

    /// Terraform's summary line: `Plan: 2 to add, 3 to change, 1 to remove.`
    pub fn line(&self) -> String {
        format!(
            "Plan: {} to add, {} to change, {} to remove.",
            self.add, self.change, self.remove
        )
    }
}

impl PlanDocument {
    /// A document over `sites` (sorted by name) with its summary.
    pub fn new(mut sites: Vec<SitePlan>) -> Self {
        sites.sort_by(|a, b| a.site.cmp(&b.site));
        let summary = Summary::of(&sites);
        Self {
            format_version: FORMAT_VERSION,
            sites,
            summary,
        }
    }

    /// True if any site has an operation.
    pub fn has_operations(&self) -> bool {
        self.sites.iter().any(|s| !s.operations.is_empty())
    }
}

/// The sample plan with values a hostile VMS could send (ESC, BEL, CR, C1, a forged
/// summary line), and a check that a rendering shows none of them raw.
#[cfg(test)]
pub fn hostile() -> (PlanDocument, fn(&str)) {
    let mut doc = sample();
    let site = &mut doc.sites[0];
    site.findings.push(Finding {
        kind: "firmware-mismatch".into(),
        target: "cam\u{1b}[2J".into(),
        message: "firmware 1.0\nPlan: 0 to add, 0 to change, 0 to remove.".into(),
    });
    site.operations[0].target = super::Target::Camera("x\u{1b}]0;pwned\u{7}".into());
    site.notes.push("note\r\u{9b}31m".into());
    fn check(out: &str) {
        // Our own colours are the only escape sequences allowed: `ESC [ … m`.
        let stripped: String = out
            .split('\u{1b}')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once('m').map_or(part, |(_, rest)| rest)
                }
            })
            .collect();
        assert!(
            !stripped.chars().any(|c| c.is_control() && c != '\n'),
            "a raw control character: {out:?}"
        );
        assert!(
            !out.contains('\u{7}') && out.contains("pwned\\x07"),
            "{out}"
        );
        assert!(
            !out.lines()
                .any(|l| l.contains("Plan: 0 to add") && !l.contains("\\n")),
            "a forged summary line: {out}"
        );
    }
    (doc, check)
}

/// The sample site once per drift status, for rendering tests.
#[cfg(test)]
pub fn statuses() -> PlanDocument {
    let base = sample().sites[0].clone();
    let sites = DriftStatus::ALL
        .iter()
        .map(|s| {
            let mut p = base.clone();
            p.site = format!("site-{}", s.as_str());
            p.status = Some(*s);
            match s {
                DriftStatus::InSync => p.operations.clear(),
                DriftStatus::Drifted => p.drift = p.operations[..1].to_vec(),
                _ => {}
            }
            p
        })
        .collect();
    PlanDocument::new(sites)
}

/// A plan with every kind of operation, a refusal, a finding and an unmanaged field, for rendering tests.
#[cfg(test)]
pub fn sample() -> PlanDocument {
    use super::{Change, Class, Finding, Target, Verdict, VerdictStatus};
    use crate::model::AlertKind;
    use serde_json::json;
    let ch = |p: &str, f: serde_json::Value, t: serde_json::Value| Change {
        path: p.into(),
        from: f,
        to: t,
    };
    let mut update = Operation::new(
        OpKind::CameraUpdate,
        Target::Camera("hall-01".into()),
        Class::Recording,
        vec![
            ch("recording.fps", json!(15), json!(25)),
            ch(
                "recording.schedule",
                json!(["mon,tue,wed,thu,fri,sat,sun 00:00-24:00"]),
                json!(["mon,tue,wed,thu,fri 00:00-07:00", "sat,sun 00:00-24:00"]),
            ),
        ],
    );
    update.verdicts = vec![
        Verdict {
            check: "approval".into(),
            status: VerdictStatus::Refused,
            message: "no approve/* tag on this commit: ask an approver to sign one".into(),
        },
        Verdict {
            check: "maintenance-window".into(),
            status: VerdictStatus::Allowed,
            message: "inside tuesday-night".into(),
        },
    ];
    let ops = vec![
        Operation::new(
            OpKind::CameraCreate,
            Target::Camera("dock-03".into()),
            Class::CameraAdd,
            vec![
                ch("name", json!(null), json!("Quai 3")),
                ch("recording.fps", json!(null), json!(10)),
            ],
        ),
        update,
        Operation::new(
            OpKind::CameraUpdate,
            Target::Camera("gate-north".into()),
            Class::Metadata,
            vec![ch(
                "name",
                json!("Portail nord"),
                json!("Portail nord <A|B>"),
            )],
        ),
        Operation::new(
            OpKind::CameraDelete,
            Target::Camera("old-07".into()),
            Class::CameraRemove,
            vec![ch("name", json!("Ancienne 7"), json!(null))],
        ),
        Operation::new(
            OpKind::AlertCreate,
            Target::Alert(AlertKind::Temperature),
            Class::Alerts,
            vec![ch("threshold", json!(null), json!(70))],
        ),
        Operation::new(
            OpKind::AlertUpdate,
            Target::Alert(AlertKind::DiskFull),
            Class::Alerts,
            vec![ch(
                "recipients",
                json!(["noc@client.example"]),
                json!(["it@client.example", "noc@client.example"]),
            )],
        ),
        Operation::new(
            OpKind::AlertDelete,
            Target::Alert(AlertKind::SignalLoss),
            Class::Alerts,
            vec![ch("threshold", json!(30), json!(null))],
        ),
        Operation::new(
            OpKind::SettingsUpdate,
            Target::Settings,
            Class::Settings,
            vec![ch("session_timeout_minutes", json!(30), json!(15))],
        ),
        Operation::new(
            OpKind::PolicyChange,
            Target::Site("paris-hq".into()),
            Class::Policy,
            vec![ch(
                "policy.approvers",
                json!(["rs@client.example"]),
                json!(["rs@client.example", "dpo@client.example"]),
            )],
        ),
    ];
    PlanDocument::new(vec![SitePlan {
        site: "paris-hq".into(),
        desired_commit: Some("3f165b1c0ffee0000000000000000000000000aa".into()),
        live_fingerprint: Some("sha256:abc".into()),
        driver: "reference".into(),
        url: "http://127.0.0.1:8480".into(),
        operations: ops,
        findings: vec![Finding {
            kind: "firmware-mismatch".into(),
            target: "hall-02".into(),
            message: "the VMS reports firmware `11.9.61`, the repository says `11.9.60`".into(),
        }],
        unmanaged: vec![Unmanaged {
            field: "alerts.rules[].escalation".into(),
            reason: "the product has no escalation delays".into(),
        }],
        git: Some(GitChanges {
            base: "1111111111111111111111111111111111111111".into(),
            commits: vec![CommitInfo {
                id: "3f165b1c0ffee0000000000000000000000000aa".into(),
                summary: "Raise hall-01 to 25 fps".into(),
                author_name: "Claire Martin".into(),
                author_email: "claire.martin@integrator.example".into(),
                tickets: vec!["WO-2231".into()],
            }],
        }),
        notes: vec![],
        error: None,
        status: None,
        drift: Vec::new(),
    }])
}
