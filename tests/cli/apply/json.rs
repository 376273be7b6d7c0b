//! `--format json` of the commands that change or check things: apply, snapshot
//! create/show/prune, restore, audit verify, drift ack. Each prints one document
//! on stdout (nothing else), valid against its committed schema.

use serde_json::Value;

use super::assert_code;
use crate::apply::approved::{Approved, Operator, Out, OPERATOR, SITE};
use crate::support::schema::parse_valid;
use crate::support::SimProcess;

/// `ARGS --format json`, which must exit `code` and print a valid `kind` document.
fn json(op: &Operator, kind: &str, args: &[&str], code: i32) -> Value {
    let o: Out = op.run(&[args, &["--format", "json"]].concat());
    assert_code(&o, code, kind);
    parse_valid(kind, &o.out)
}

fn each_result_is_one_document_valid_against_its_schema() {
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let op = Operator::new();
    let r = repo.arg();

    // A generic identity: refused, with the check that refused it.
    let apply_as = |operator: &str, code: i32| {
        json(
            &op,
            "apply",
            &[
                "apply",
                "--repo",
                &r,
                "--operator",
                operator,
                "--base",
                "HEAD",
            ],
            code,
        )
    };
    let refused = apply_as("admin", 3);
    assert_eq!(refused["sites"][0]["outcome"], "refused", "{refused}");
    assert!(
        refused["sites"][0]["refusals"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f["check"] == "nominative")),
        "{refused}"
    );

    let applied = apply_as(OPERATOR, 0);
    let site = &applied["sites"][0];
    assert_eq!(site["outcome"], "applied", "{applied}");
    let ops = site["operations"].as_array().expect("operations");
    assert_eq!(ops.len(), super::FIRST_APPLY_OPERATIONS);
    assert!(ops.iter().all(|o| o["result"] == "succeeded"), "{applied}");
    let before_apply = site["snapshot"].as_str().expect("a snapshot").to_string();

    let shown = json(&op, "snapshot", &["snapshot", "show", &before_apply], 0);
    assert_eq!(
        (shown["id"].as_str(), shown["site"].as_str()),
        (Some(before_apply.as_str()), Some(SITE))
    );
    assert_eq!(
        shown["contents"]["cameras"], 0,
        "taken before the first change"
    );
    let created = json(
        &op,
        "snapshot",
        &[
            "snapshot",
            "create",
            "--site",
            SITE,
            "--operator",
            OPERATOR,
            "--repo",
            &r,
        ],
        0,
    );
    assert_eq!(created["contents"]["cameras"], 10, "{created}");

    sim.set_fps_as(crate::support::TOKEN, "hall-02", 5);
    let acked = json(
        &op,
        "drift-ack",
        &[
            "drift",
            "ack",
            "--site",
            SITE,
            "--operator",
            OPERATOR,
            "--reason",
            "tuning",
            "--repo",
            &r,
        ],
        0,
    );
    assert_eq!(acked["acknowledged"], true, "{acked}");

    let restored = op.restore(&before_apply, &repo, &["--format", "json"]);
    assert_code(&restored, 0, "restore");
    let restored = parse_valid("restore", &restored.out);
    assert_eq!(restored["outcome"], "restored", "{restored}");
    assert!(restored["before"].is_string(), "{restored}");

    let verified = json(&op, "audit-verify", &["audit", "verify"], 0);
    assert_eq!(verified["intact"], true, "{verified}");

    // Every snapshot is inside its retention: listed as kept, none removed.
    let pruned = json(
        &op,
        "snapshot-prune",
        &["snapshot", "prune", "--older-than", "0s"],
        0,
    );
    assert_eq!(pruned["removed"], serde_json::json!([]), "{pruned}");
    assert_eq!(
        pruned["kept"].as_array().map(Vec::len),
        Some(op.snapshots().len())
    );
}

/// A site that fails after another one changed: stdout still holds the document of what
/// was done, the error goes to stderr, exit 1.
fn a_site_failing_after_one_that_changed_still_prints_the_document() {
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    // Sites run in name order: zurich-dc, whose VMS is down, after paris-hq.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let site = repo.read("sites/paris-hq/site.yaml");
    repo.write(
        "sites/zurich-dc/site.yaml",
        site.replace("name: paris-hq", "name: zurich-dc")
            .replace(&sim.url, &dead),
    );
    repo.commit("Zurich", Some("WO-9"));
    repo.approve("wo-9");
    let op = Operator::new();
    let r = repo.arg();
    let o = op.run(&[
        "apply",
        "--repo",
        &r,
        "--operator",
        OPERATOR,
        "--base",
        "HEAD",
        "--format",
        "json",
    ]);
    assert_code(&o, 1, "the second site's VMS is down");
    let v = parse_valid("apply", &o.out);
    let sites = v["sites"].as_array().expect("sites");
    assert_eq!(sites.len(), 1, "{v}");
    assert_eq!(sites[0]["site"], SITE, "{v}");
    assert!(o.err.contains("zurich-dc"), "{o}");
}

crate::trials! {
    fn each_result_is_one_document_valid_against_its_schema,
    fn a_site_failing_after_one_that_changed_still_prints_the_document,
}
