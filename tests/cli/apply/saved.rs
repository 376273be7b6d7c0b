//! Saved plans as scripts use them: `plan --out - | apply -`, and `plan --ticket`
//! (a saved plan's staleness and the base it records: `a_stale_plan_is_refused`).

use std::process::Stdio;

use serde_json::Value;

use super::assert_code;
use crate::apply::approved::{Approved, Operator, Out, OPERATOR};
use crate::support::SimProcess;

/// `apply PLAN` of the example, a first apply (so with `--base HEAD`).
fn apply_saved(op: &Operator, repo: &Approved, plan: &str) -> std::process::Command {
    op.command(&[
        "apply",
        plan,
        "--repo",
        &repo.arg(),
        "--operator",
        OPERATOR,
        "--base",
        "HEAD",
    ])
}

/// `plan --out -` writes only the saved plan to stdout (its rendering to stderr), and
/// `apply -` reads it from stdin: the pipe applies (a first apply names its base).
fn plan_out_dash_pipes_into_apply_dash() {
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let op = Operator::new();
    let mut plan = op
        .save_plan(&repo, "-")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn plan");
    let saved = plan.stdout.take().expect("piped stdout");
    let applied = apply_saved(&op, &repo, "-")
        .stdin(saved)
        .output()
        .expect("apply runs");
    let planned = Out::of(plan.wait_with_output().expect("plan ends"));
    let applied = Out::of(applied);
    assert_code(&planned, 0, "plan --out -");
    assert!(
        planned.err.contains("to add"),
        "the rendering on stderr: {planned}"
    );
    assert_code(&applied, 0, "apply -");
    assert!(applied.out.contains("applied: 14 succeeded."), "{applied}");
    assert_code(&op.drift(&repo), 0, "drift after the pipe");

    // Nothing but the plan on stdout: it parses whole, as `apply -` needs.
    let again = op.run(&["plan", "--repo", &repo.arg(), "--out", "-"]);
    assert_code(&again, 0, "plan --out - after the apply");
    let doc = crate::support::schema::parse_valid("plan", &again.out);
    assert_eq!(doc["format_version"], 1);
    assert!(!again.err.is_empty(), "the rendering went to stderr");
}

/// `apply -` with something else on stdin says what it expected.
fn apply_dash_with_no_plan_on_stdin_says_so() {
    let repo = crate::fixture::GitRepo::example_at("http://127.0.0.1:9");
    let op = Operator::new();
    let out = op.run(&["apply", "-", "--repo", &repo.arg(), "--operator", OPERATOR]);
    assert_code(&out, 1, "empty stdin");
    assert!(
        out.err
            .contains("standard input is not a plan saved by `vmsops plan --out`"),
        "{out}"
    );
}

/// `plan --ticket ID` answers the justification check the way `apply --ticket` does.
fn plan_takes_a_ticket() {
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let base = repo.head();
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "recording: { fps: 25 }",
        "recording: { fps: 20 }",
    );
    repo.commit("hall-01 at 20 fps", None);
    let op = Operator::new();
    let justification = |extra: &[&str]| -> Value {
        let mut args = vec!["plan", "--format", "json", "--base", &base];
        let r = repo.arg();
        args.extend(["--repo", &r]);
        args.extend(extra);
        let o = op.run(&args);
        assert_code(&o, 0, "plan");
        let doc = crate::support::schema::parse_valid("plan", &o.out);
        doc["sites"][0]["operations"]
            .as_array()
            .expect("operations")
            .iter()
            .flat_map(|o| o["verdicts"].as_array().expect("verdicts").clone())
            .find(|v| v["check"] == "justification")
            .expect("a justification verdict")
    };
    let without = justification(&[]);
    assert_eq!(without["status"], "refused", "{without}");
    assert!(
        without["message"]
            .as_str()
            .is_some_and(|m| m.contains("--ticket")),
        "{without}"
    );
    let with = justification(&["--ticket", "WO-7"]);
    assert_eq!(with["status"], "allowed", "{with}");
    assert!(
        with["message"].as_str().is_some_and(|m| m.contains("WO-7")),
        "{with}"
    );
}

/// A plan another version wrote (another `format_version`) is refused, not guessed at.
fn a_plan_of_another_format_version_is_refused() {
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let op = Operator::new();
    let path = op.state().join("p.json");
    let p = path.to_str().expect("utf-8");
    assert_code(
        &Out::of(op.save_plan(&repo, p).output().expect("plan runs")),
        0,
        "plan --out",
    );
    let mut plan: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("saved")).expect("json");
    plan["format_version"] = 2.into();
    std::fs::write(&path, plan.to_string()).expect("write");
    let out = Out::of(apply_saved(&op, &repo, p).output().expect("apply runs"));
    assert_code(&out, 1, "format_version 2");
    assert!(
        out.err.contains("format_version 2") && out.err.contains("make the plan again"),
        "{out}"
    );
}

crate::trials! {
    fn plan_out_dash_pipes_into_apply_dash,
    fn apply_dash_with_no_plan_on_stdin_says_so,
    fn plan_takes_a_ticket,
    fn a_plan_of_another_format_version_is_refused,
}
