//! Gate scenarios on real git repositories with real SSH-signed tags: the
//! attacks on approval, generic authors, whole changes, restore, emergencies.

use git2::Oid;

use super::testrepo::{Key, Person, TestRepo};
use crate::desired::model::{ApprovalSignatures, Site};
use crate::gate::tests::*;
use crate::gate::*;
use crate::git::{approval_tags, commits_between};
use crate::model::{Class, Recordings};
use crate::plan::{OpKind, Operation, Verdict, VerdictStatus};

const RS: Person = ("Rose Sécurité", "rs@client.example");
const JM: Person = ("Jeanne Martin", "jm@client.example");
const ML: Person = ("Marc Lorie", "ml@client.example");
const ADMIN: Person = ("Admin", "admin@site.example");

fn site_yaml(approvers: &[&str], signatures: &str) -> String {
    format!(
        "apiVersion: vmsops/v1\nkind: Site\nname: paris-hq\n\
         vms: {{driver: reference, url: 'http://127.0.0.1:8480', token_env: VMSOPS_TOKEN}}\n\
         policy:\n  approvers: [{}]\n  approval_signatures: {signatures}\n  \
         retention: {{min_days: 7, max_days: 30}}\n  regulatory_retention_days: 30\n\
         maintenance_windows:\n  - {{name: tuesday-night, days: [tue], start: '02:00', end: '05:00', timezone: Europe/Paris}}\n",
        approvers.join(", ")
    )
}

fn signers_file(lines: &[(&str, &Key)]) -> String {
    lines
        .iter()
        .map(|(email, key)| format!("{email} namespaces=\"git\" {}\n", key.public))
        .collect()
}

/// base (trusted, by JM) → mid (by JM) → rev (by ML: fps 25, and ML made an approver).
struct Scene {
    git: TestRepo,
    rs: Key,
    jm: Key,
    base: Oid,
    mid: Oid,
    rev: Oid,
    base_site: Site,
    base_signers: String,
    rev_site: Site,
    rev_signers: String,
}

impl Scene {
    fn new() -> Self {
        let git = TestRepo::new();
        let (rs, rs_ecdsa, rs_rsa) = (
            git.key("rs", "ed25519"),
            git.key("rs-ecdsa", "ecdsa"),
            git.key("rs-rsa", "rsa"),
        );
        let (jm, ml) = (git.key("jm", "ed25519"), git.key("ml", "ed25519"));
        let base_site_text = site_yaml(&["rs@client.example"], "ssh");
        let base_signers = signers_file(&[
            ("rs@client.example", &rs),
            ("rs@client.example", &rs_ecdsa),
            ("rs@client.example", &rs_rsa),
            ("jm@client.example", &jm),
        ]);
        let base = git.commit(
            JM,
            &[
                ("site.yaml", &base_site_text),
                ("policy/allowed_signers", &base_signers),
            ],
            "paris-hq: site and policy",
        );
        let mid = git.commit(
            JM,
            &[("cameras/hall.yaml", "fps: 15\n")],
            "hall-01 at 15 fps\n\nTicket: CR-1",
        );
        let rev_site_text = site_yaml(&["rs@client.example", "ml@client.example"], "ssh");
        let rev_signers = format!(
            "{base_signers}{}",
            signers_file(&[("ml@client.example", &ml)])
        );
        let rev = git.commit(
            ML,
            &[
                ("cameras/hall.yaml", "fps: 25\n"),
                ("site.yaml", &rev_site_text),
                ("policy/allowed_signers", &rev_signers),
            ],
            "hall-01 at 25 fps",
        );
        let (r, m) = (rev.to_string(), mid.to_string());
        git.tag("approve/good", &r, RS, Some(&rs));
        git.tag("approve/ecdsa", &r, RS, Some(&rs_ecdsa));
        git.tag("approve/rsa", &r, RS, Some(&rs_rsa));
        git.tag("approve/case", &r, ("Rose", "RS@Client.Example"), Some(&rs));
        git.tag("approve/self", &r, ML, Some(&ml));
        git.tag("approve/unsigned", &r, ("Marc Lorie", RS.1), None);
        git.tag("approve/borrowed", &r, ("Marc Lorie", RS.1), Some(&jm));
        git.tag("approve/parent", &m, RS, Some(&rs));
        // A lightweight tag that names the approver: no tagger, no signature.
        git.lightweight("approve/rs@client.example", &r);
        git.tag("approve/nested", "approve/good", RS, Some(&rs));
        // An approval on a branch that rev does not contain.
        git.reset(base);
        let other = git.commit(RS, &[("other.txt", "x")], "elsewhere");
        git.tag("approve/elsewhere", &other.to_string(), RS, Some(&rs));
        let parse = |t: &str| serde_norway::from_str::<Site>(t).expect("scene site");
        Self {
            base_site: parse(&base_site_text),
            rev_site: parse(&rev_site_text),
            git,
            rs,
            jm,
            base,
            mid,
            rev,
            base_signers,
            rev_signers,
        }
    }

    fn tags(&self) -> Vec<TagFacts> {
        approval_tags(&self.git.repo, self.rev).expect("gather tags")
    }
}

/// The approval verdict on a recording operation, with `site`/`signers` as the trusted policy.
fn approval_with(
    scene: &Scene,
    site: &Site,
    signers: Option<&str>,
    tags: &[TagFacts],
) -> (Verdict, Option<Approval>) {
    let f = fixture();
    let rev = scene.rev.to_string();
    let mut input = GateInput::new(
        Mode::Apply,
        &site.policy,
        &site.maintenance_windows,
        &rev,
        NOW.parse().expect("time"),
        &f.caps,
    );
    input.allowed_signers = signers;
    input.tags = tags;
    input.operator = Some("jm");
    input.ticket = Some("CR-1");
    let mut ops = [op(OpKind::CameraUpdate, "hall-01", Class::Recording)];
    let outcome = evaluate(&input, &mut ops);
    let v = ops[0]
        .verdicts
        .iter()
        .find(|v| &*v.check == check::APPROVAL)
        .expect("approval verdict")
        .clone();
    (v, outcome.approval)
}

#[test]
fn approval_tags_are_gathered_with_their_kind_target_and_signature() {
    let s = Scene::new();
    let tags = s.tags();
    let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "approve/borrowed",
            "approve/case",
            "approve/ecdsa",
            "approve/good",
            "approve/nested",
            "approve/parent",
            "approve/rs@client.example",
            "approve/rsa",
            "approve/self",
            "approve/unsigned"
        ],
        "approve/elsewhere is on another branch"
    );
    let get = |n: &str| tags.iter().find(|t| t.name == n).expect(n);
    let rev = s.rev.to_string();
    let good = get("approve/good");
    assert_eq!(
        (good.kind, good.target.as_str(), good.commit.as_str()),
        (TagKind::Annotated, rev.as_str(), rev.as_str())
    );
    assert_eq!(good.tagger.as_ref().unwrap().email, RS.1);
    assert!(good
        .signature
        .as_deref()
        .unwrap()
        .starts_with("-----BEGIN SSH SIGNATURE-----"));
    assert!(good
        .payload
        .starts_with(format!("object {rev}\n").as_bytes()));
    assert!(!String::from_utf8_lossy(&good.payload).contains("SSH SIGNATURE"));
    let light = get("approve/rs@client.example");
    assert_eq!(
        (light.kind, light.tagger.as_ref()),
        (TagKind::Lightweight, None)
    );
    let nested = get("approve/nested");
    assert_eq!(nested.commit, rev);
    assert_ne!(nested.target, rev, "a tag of a tag names the inner tag");
    assert_eq!(get("approve/parent").commit, s.mid.to_string());
    assert_eq!(get("approve/unsigned").signature, None);
}

/// Tags (by suffix), trusted policy and signers, expected status, message fragment, why.
type ApprovalCase<'a> = (
    &'a [&'a str],
    (&'a Site, Option<&'a str>),
    VerdictStatus,
    &'a str,
    &'a str,
);

#[test]
fn approval_attacks_and_controls() {
    let s = Scene::new();
    let all = s.tags();
    let pick = |names: &[&str]| -> Vec<TagFacts> {
        all.iter()
            .filter(|t| names.iter().any(|n| t.name == format!("approve/{n}")))
            .cloned()
            .collect()
    };
    let mut unsigned_ok = s.base_site.clone();
    unsigned_ok.policy.approval_signatures = ApprovalSignatures::None;
    let base = (&s.base_site, Some(s.base_signers.as_str()));
    let rev = (&s.rev_site, Some(s.rev_signers.as_str()));
    let none = (&unsigned_ok, Some(s.base_signers.as_str()));
    use VerdictStatus::*;
    #[rustfmt::skip]
    let cases: Vec<ApprovalCase> = vec![
        (&["good"], base, Allowed, "approved by rs@client.example with tag approve/good", "an approver's signed tag"),
        (&["ecdsa"], base, Allowed, "SSH signature verified", "ECDSA key"),
        (&["rsa"], base, Allowed, "SSH signature verified", "RSA key"),
        (&["case"], base, Allowed, "approved by RS@Client.Example", "emails compare without case"),
        (&["self"], base, Refused, "ml@client.example, who is not an approver", "self-approval: the trusted base does not list the author"),
        (&["self"], rev, Allowed, "approved by ml@client.example", "control: the revision's own policy would let it approve itself"),
        (&["unsigned"], base, Refused, "approve/unsigned is not signed", "tagger claims the approver's email without a signature"),
        (&["unsigned"], none, Allowed, "not authenticated", "control: approval_signatures none"),
        (&["borrowed"], base, Refused, "do not give to rs@client.example", "signed with a key allowed_signers gives to jm"),
        (&["parent"], base, Refused, "approve/parent approves commit", "approval of the parent; commits after it"),
        (&["rs@client.example"], base, Refused, "lightweight tags don't count", "lightweight tag"),
        (&["rs@client.example"], none, Refused, "lightweight tags don't count", "lightweight tag, even unsigned policy"),
        (&["nested"], base, Refused, "tag of another tag", "tag of a tag"),
        (&[], base, Refused, "has none", "no tag"),
        (&["rs@client.example", "self", "good"], base, Allowed, "approve/good", "one valid tag among others"),
        (&["good"], (&s.base_site, None), Refused, "no allowed signers file", "trusted base without signers"),
    ];
    for (names, (site, signers), want, fragment, why) in cases {
        let (v, approval) = approval_with(&s, site, signers, &pick(names));
        assert_eq!(v.status, want, "{why}: {}", v.message);
        assert!(v.message.contains(fragment), "{why}: {}", v.message);
        assert_eq!(approval.is_some(), want == Allowed, "{why}");
    }
    let (v, _) = approval_with(
        &s,
        base.0,
        base.1,
        &pick(&["self", "rs@client.example", "parent"]),
    );
    for each in [
        "approve/self",
        "approve/rs@client.example",
        "approve/parent",
    ] {
        assert!(
            v.message.contains(each),
            "every tag says why: {}",
            v.message
        );
    }
    assert!(v
        .message
        .contains(&format!("git tag -s approve/NAME {}", s.rev)));
}

#[test]
fn signatures_must_verify_for_git_under_keys_valid_now() {
    let s = Scene::new();
    let good = s
        .tags()
        .into_iter()
        .find(|t| t.name == "approve/good")
        .unwrap();
    let rs_line = |options: &str| format!("rs@client.example {options} {}\n", s.rs.public);
    let mut altered = good.clone();
    altered
        .payload
        .extend_from_slice(b"and also delete everything\n");
    let mut wrong_namespace = good.clone();
    wrong_namespace.signature = Some(s.git.sign(&s.rs, "file", &good.payload));
    let mut right_namespace = good.clone();
    right_namespace.signature = Some(s.git.sign(&s.rs, "git", &good.payload));
    let mut garbage = good.clone();
    garbage.signature =
        Some("-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n".into());
    use VerdictStatus::*;
    #[rustfmt::skip]
    let cases = [
        (&good, rs_line("namespaces=\"git\""), Allowed, "verified"),
        (&good, rs_line("namespaces=\"file,git\""), Allowed, "verified"),
        (&right_namespace, rs_line(""), Allowed, "verified"),
        (&altered, rs_line(""), Refused, "does not verify"),
        (&wrong_namespace, rs_line(""), Refused, "does not verify"),
        (&garbage, rs_line(""), Refused, "cannot be read"),
        (&good, rs_line("namespaces=\"file\""), Refused, "give no key to rs@client.example"),
        (&good, rs_line("cert-authority"), Refused, "give no key"),
        (&good, rs_line("valid-before=\"20250401\""), Refused, "not valid after 20250401"),
        (&good, rs_line("valid-after=\"20250409\""), Refused, "not valid before 20250409"),
        (&good, rs_line("valid-after=\"20250101\",valid-before=\"20260101\""), Allowed, "verified"),
        (&good, format!("jm@client.example {}\n", s.rs.public), Refused, "give no key to rs@client.example"),
        (&good, format!("*@client.example {}\n", s.rs.public), Allowed, "verified"),
        (&good, format!("rs@client.example {}\n", s.jm.public), Refused, "do not give to"),
    ];
    for (tag, signers, want, fragment) in cases {
        let (v, _) = approval_with(&s, &s.base_site, Some(&signers), std::slice::from_ref(tag));
        assert_eq!(v.status, want, "{signers}: {}", v.message);
        assert!(v.message.contains(fragment), "{signers}: {}", v.message);
    }
}

#[test]
fn a_commit_by_a_generic_identity_is_refused_unless_emergency() {
    let git = TestRepo::new();
    let base = git.commit(JM, &[("site.yaml", "a")], "base");
    git.commit(JM, &[("site.yaml", "b")], "named\n\nTicket: CR-7");
    let rev = git.commit(ADMIN, &[("site.yaml", "c")], "quick fix");
    let commits = commits_between(&git.repo, base, rev).expect("commits");
    assert_eq!(commits.len(), 2);
    let f = fixture();
    let rev = rev.to_string();
    let mut input = f.input(Mode::Apply);
    input.rev = &rev;
    input.commits = &commits;
    input.operator = Some("jm");
    let mut ops = [op(OpKind::AlertUpdate, "signal_loss", Class::Alerts)];
    let outcome = evaluate(&input, &mut ops);
    assert_eq!(
        status_of(&ops[0], check::NOMINATIVE),
        Some(VerdictStatus::Refused)
    );
    assert!(message_of(&ops[0], check::NOMINATIVE).contains("Admin <admin@site.example>"));
    assert_eq!(outcome.ticket.as_deref(), Some("CR-7"));
    assert!(outcome.is_refused(&ops));

    input.emergency = Some("recorder down, night shift");
    let outcome = evaluate(&input, &mut ops);
    assert_eq!(
        status_of(&ops[0], check::NOMINATIVE),
        Some(VerdictStatus::Warning)
    );
    assert!(
        message_of(&ops[0], check::NOMINATIVE).starts_with("emergency: recorder down, night shift")
    );
    assert_eq!(
        outcome.emergency_used.as_deref(),
        Some("recorder down, night shift")
    );
    assert!(!outcome.is_refused(&ops));
}

fn whole_change() -> Vec<Operation> {
    vec![
        op(OpKind::PolicyChange, "paris-hq", Class::Policy),
        op(OpKind::CameraCreate, "lobby-01", Class::CameraAdd),
        op(OpKind::CameraUpdate, "hall-01", Class::Recording),
        op(OpKind::CameraUpdate, "hall-02", Class::Metadata),
        op(OpKind::AlertUpdate, "signal_loss", Class::Alerts),
        op(OpKind::SettingsUpdate, "settings", Class::Settings),
        op(OpKind::CameraDelete, "old-01", Class::CameraRemove),
    ]
}

fn whole_fixture() -> Fixture {
    let mut f = fixture();
    f.cameras.extend([
        DesiredCamera {
            id: "lobby-01".into(),
            vendor: "Axis".into(),
            model: "P3265-LVE".into(),
            firmware: "11.10.0".into(),
            retention_days: Some(14),
        },
        DesiredCamera {
            id: "hall-02".into(),
            vendor: "Axis".into(),
            model: "P3265-LVE".into(),
            firmware: "11.9.60".into(),
            retention_days: Some(30),
        },
    ]);
    f
}

#[test]
fn each_operation_gets_the_checks_of_its_class() {
    let s = Scene::new();
    let tags = s.tags();
    let f = whole_fixture();
    let rev = s.rev.to_string();
    let base = s.base.to_string();
    let commits = commits_between(&s.git.repo, s.base, s.rev).expect("commits");
    let mut input = f.input(Mode::Apply);
    input.rev = &rev;
    input.base = Some(&base);
    input.descends_from_base = Some(true);
    input.commits = &commits;
    input.tags = &tags;
    input.allowed_signers = Some(&s.base_signers);
    input.operator = Some("jm@client.example");
    input.alerts_reviewed_on = Some("2025-04-01".parse().unwrap());
    let mut ops = whole_change();
    let outcome = evaluate(&input, &mut ops);
    use VerdictStatus::*;
    let common = [
        ("ancestry", Allowed),
        ("nominative", Allowed),
        ("justification", Allowed),
    ];
    let with = |extra: &[(&'static str, VerdictStatus)]| {
        let mut v = common.to_vec();
        v.extend_from_slice(extra);
        v
    };
    let expected = [
        with(&[("approval", Allowed)]),
        with(&[("retention-policy", Allowed), ("homologation", Allowed)]),
        with(&[
            ("approval", Allowed),
            ("maintenance-window", Allowed),
            ("retention-policy", Allowed),
        ]),
        with(&[("retention-policy", Allowed)]),
        with(&[("alert-review", Allowed)]),
        with(&[("approval", Allowed)]),
        with(&[("recordings-kept", Allowed)]),
    ];
    for (op, want) in ops.iter().zip(expected) {
        assert_eq!(checks(op), want, "{} {}", op.op.as_str(), op.target);
    }
    assert_eq!(
        outcome.approval,
        Some(Approval {
            tag: "approve/case".into(),
            tagger: "RS@Client.Example".into(),
            target: rev.clone()
        }),
        "the first valid tag by name"
    );
    assert_eq!(
        outcome.ticket.as_deref(),
        Some("CR-1"),
        "from mid's trailer"
    );
    assert!(!outcome.is_refused(&ops));
    assert!(refusals(&outcome, &ops).is_empty());

    // Evaluating again replaces the verdicts.
    let again = ops.clone();
    evaluate(&input, &mut ops);
    assert_eq!(ops, again);
    one_refusal_per_reason(input, &mut ops);
}

/// Outside the window, with no ticket, no approval: one refusal per reason.
fn one_refusal_per_reason(mut input: GateInput<'_>, ops: &mut [Operation]) {
    input.now = "2025-04-09T12:00:00Z".parse().unwrap();
    input.tags = &[];
    input.commits = &[];
    input.ticket = Some("");
    let outcome = evaluate(&input, ops);
    let r = refusals(&outcome, ops);
    let summary: Vec<(&str, usize)> = r
        .iter()
        .map(|r| (r.check.as_str(), r.targets.len()))
        .collect();
    assert_eq!(
        summary,
        [
            ("justification", 7),
            ("approval", 3),
            ("maintenance-window", 1)
        ]
    );
    assert_eq!(r[1].targets, ["paris-hq", "hall-01", "settings"]);
}

#[test]
fn an_emergency_bypasses_the_window_and_generic_identities_only() {
    let mut f = whole_fixture();
    f.caps.deletes_recordings_with_camera = true;
    f.cameras[1].firmware = "11.9.59".into();
    f.cameras[0].retention_days = Some(90);
    let recordings = [Recordings {
        camera_id: "old-01".into(),
        oldest: Some("2025-03-01T00:00:00Z".parse().unwrap()),
        newest: Some("2025-04-07T00:00:00Z".parse().unwrap()),
        bytes: 10,
    }];
    let mut input = f.input(Mode::Apply);
    input.now = "2025-04-09T12:00:00Z".parse().unwrap();
    input.operator = Some("root");
    input.ticket = Some("INC-9");
    input.recordings = &recordings;
    input.emergency = Some("fire in the server room");
    let mut ops = whole_change();
    let outcome = evaluate(&input, &mut ops);
    use VerdictStatus::*;
    let by_check =
        |c: &str| -> Vec<VerdictStatus> { ops.iter().filter_map(|o| status_of(o, c)).collect() };
    assert!(by_check("nominative").iter().all(|s| *s == Warning));
    assert_eq!(by_check("maintenance-window"), [Warning]);
    assert_eq!(by_check("approval"), [Refused, Refused, Refused]);
    assert_eq!(by_check("homologation"), [Refused]);
    assert_eq!(by_check("retention-policy"), [Allowed, Refused, Allowed]);
    assert_eq!(by_check("recordings-kept"), [Refused]);
    assert!(message_of(&ops[6], "recordings-kept").contains("until 2025-05-07"));
    assert_eq!(
        outcome.emergency_used.as_deref(),
        Some("fire in the server room")
    );
    assert!(outcome.is_refused(&ops));
}

#[test]
fn restore_needs_a_named_operator_and_a_ticket_only() {
    let f = fixture();
    // (operator, ticket, expected refused?)
    let cases = [
        (Some("jm"), Some("INC-3"), false),
        (Some("jm"), Some(""), true),
        (Some("admin"), Some("INC-3"), true),
        (None, Some("INC-3"), true),
    ];
    for (operator, ticket, refused) in cases {
        let mut input = f.input(Mode::Restore);
        input.now = "2025-04-09T12:00:00Z".parse().unwrap(); // outside the window
        input.operator = operator;
        input.ticket = ticket;
        let outcome = evaluate(&input, &mut []);
        let ids: Vec<&str> = outcome.verdicts.iter().map(|v| &*v.check).collect();
        assert_eq!(ids, ["nominative", "justification"]);
        assert_eq!(outcome.is_refused(&[]), refused, "{operator:?} {ticket:?}");
        assert_eq!(refusals(&outcome, &[]).is_empty(), !refused);
        let mut ops = [camera_op(OpKind::CameraUpdate, "hall-01")];
        evaluate(&input, &mut ops);
        assert!(ops[0]
            .verdicts
            .iter()
            .all(|v| &*v.check == "nominative" || &*v.check == "justification"));
        assert_ne!(status_of(&ops[0], "nominative"), None);
    }
}

#[test]
fn without_a_trusted_base_plan_warns_and_apply_refuses() {
    let f = fixture();
    for (mode, want) in [
        (Mode::Plan, VerdictStatus::Warning),
        (Mode::Apply, VerdictStatus::Refused),
    ] {
        let mut input = f.input(mode);
        input.policy_source = PolicySource::Revision;
        input.operator = Some("jm");
        input.ticket = Some("CR-1");
        let mut ops = [op(OpKind::CameraUpdate, "hall-02", Class::Metadata)];
        evaluate(&input, &mut ops);
        assert_eq!(&*ops[0].verdicts[0].check, check::UNTRUSTED_BASE);
        assert_eq!(ops[0].verdicts[0].status, want);
        assert_eq!(ops[0].is_refused(), want == VerdictStatus::Refused);
    }
}

#[test]
fn a_diverged_revision_is_refused() {
    let git = TestRepo::new();
    let root = git.commit(JM, &[("site.yaml", "a")], "root");
    let base = git.commit(JM, &[("site.yaml", "b")], "applied");
    git.reset(root);
    let rev = git.commit(JM, &[("site.yaml", "c")], "other branch");
    let descends = crate::git::descends_from(&git.repo, rev, base).unwrap();
    let f = fixture();
    let (rev, base) = (rev.to_string(), base.to_string());
    let mut input = f.input(Mode::Apply);
    input.rev = &rev;
    input.base = Some(&base);
    input.descends_from_base = Some(descends);
    let mut ops = [op(OpKind::CameraUpdate, "hall-02", Class::Metadata)];
    evaluate(&input, &mut ops);
    assert_eq!(
        status_of(&ops[0], check::ANCESTRY),
        Some(VerdictStatus::Refused)
    );
    assert!(message_of(&ops[0], check::ANCESTRY).contains("rebase"));
}

#[test]
fn desired_cameras_carry_their_effective_retention() {
    let site: Site = serde_norway::from_str(&format!(
        "{}recording_profiles:\n  std: {{resolution: 1920x1080, fps: 15, retention_days: 30, schedule: [{{days: [mon], from: '00:00', to: '24:00'}}]}}\n",
        site_yaml(&["rs@client.example"], "ssh")
    ))
    .unwrap();
    let cam: crate::desired::model::Camera = serde_norway::from_str(
        "{id: a, name: A, vendor: Axis, model: M, firmware: '1.2', stream_url: 'rtsp://a', profile: std, recording: {retention_days: 12}}",
    )
    .unwrap();
    let d = DesiredCamera::of(&site, &cam);
    assert_eq!(
        (d.id.as_str(), d.firmware.as_str(), d.retention_days),
        ("a", "1.2", Some(12))
    );
}
