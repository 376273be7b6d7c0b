//! `vmsops apply` end to end, through the binary, against a real `vmsops sim`:
//! failures at every operation, a transient failure, a killed apply, two
//! applies at once, the automatic rollback, stale plans and the gate's refusals.
//!
//! Each test checks what an operator relies on after the fact: the exit code,
//! the snapshot taken before the first change, a journal that says exactly
//! what happened and still verifies, and a re-run that converges.

pub mod approved;
mod json;
mod restore_at_scale;
mod rollback;
mod saved;
mod streamed;
mod verify;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::store::TestStore;
use crate::support::{SimArgs, SimProcess};
use approved::{operation_entries, Approved, Operator, Out, OPERATOR};

/// Operations of the example's first apply: 10 cameras, 3 alert rules, the settings.
const FIRST_APPLY_OPERATIONS: usize = 14;

/// Friday 27 November 2026 at noon: outside every maintenance window of the example.
const OUT_OF_WINDOW: &str = crate::fixture::NOW;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// A sim keeping its state in `state`, at `addr`, with extra flags.
fn sim_at(addr: &str, state: &std::path::Path, flags: &[&str]) -> SimProcess {
    SimArgs::default()
        .addr(addr)
        .args(["--state", state.to_str().expect("utf-8 path")])
        .args(flags)
        .start()
}

/// `GET /api/v1/config` without what changes on every write or read (versions, `exported_at`).
fn live_config(sim: &SimProcess) -> Value {
    let r = block_on(sim.http().get("/api/v1/config"));
    assert_eq!(r.status, 200, "{}", r.text);
    without_versions(r.json)
}

fn without_versions(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("version");
                m.remove("exported_at");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// The results journaled for each operation, by request id, in journal order.
fn results_by_request(journal: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in operation_entries(journal) {
        let id = e["detail"]["request_id"].as_str().expect("request id");
        by.entry(id.into())
            .or_default()
            .push(e["result"].as_str().expect("result").into());
    }
    by
}

/// What the journal says about the operations: (succeeded, failed), each started then ended once.
fn journaled_outcomes(journal: &[Value]) -> (usize, usize) {
    let by = results_by_request(journal);
    let mut counts = (0, 0);
    for (id, results) in &by {
        match results.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["started", "success"] => counts.0 += 1,
            ["started", "failure"] => counts.1 += 1,
            _ => panic!("operation {id}: journaled {results:?}"),
        }
    }
    counts
}

/// The request ids the VMS journaled (it journals failed mutations too).
fn vms_request_ids(sim: &SimProcess) -> Vec<String> {
    let mut ids: Vec<String> = block_on(sim.http().journal())
        .iter()
        .filter_map(|e| e["request_id"].as_str().map(String::from))
        .collect();
    ids.sort();
    ids
}

fn assert_code(o: &Out, code: i32, what: &str) {
    assert_eq!(o.code, code, "{what}:\n{o}");
}

/// The snapshot a failed apply took is of the VMS before the first change: here, an empty one.
fn assert_snapshot_of_the_empty_vms(op: &Operator, k: usize) {
    let snapshots = op.snapshots();
    assert_eq!(snapshots.len(), 1, "k={k}: one snapshot: {snapshots:?}");
    let id = snapshots[0]["id"].as_str().expect("id");
    let export = without_versions(op.snapshot_export(id));
    assert_eq!(export["cameras"], json!([]), "k={k}");
    assert_eq!(export["alert_rules"], json!([]), "k={k}");
    assert_eq!(export["settings"]["session_timeout_minutes"], 30, "k={k}");
    let journal = op.journal();
    let taken = journal
        .iter()
        .position(|e| e["action"] == "snapshot.create" && e["snapshot"] == id)
        .expect("the snapshot is journaled");
    let first_op = journal.iter().position(|e| e["detail"]["op"].is_string());
    assert!(
        first_op.is_none_or(|f| taken < f),
        "k={k}: the snapshot is journaled before the first operation"
    );
}

/// `--fail-after k` for every k: the apply stops at operation k+1, its snapshot
/// and journal say so exactly, the journal verifies, and once the VMS is healthy
/// again a second apply converges. One operation at a time, so "exactly" is exact.
fn a_failure_at_each_operation_is_journaled_exactly_and_a_rerun_converges() {
    let vms_states = tempfile::tempdir().expect("tmp");
    // Every sim of this test listens where the one repository points.
    let probe = SimProcess::start(&[]);
    let addr = probe.addr().to_string();
    let repo = Approved::at(&probe.url);
    let plan = Operator::new().run(&["plan", "--repo", &repo.arg(), "--format", "json"]);
    let plan = crate::support::schema::parse_valid("plan", &plan.out);
    let n = plan["sites"][0]["operations"]
        .as_array()
        .expect("operations")
        .len();
    assert_eq!(n, FIRST_APPLY_OPERATIONS);
    drop(probe);

    for k in 0..n {
        let state = vms_states.path().join(format!("vms-{k}.json"));
        let faulty = sim_at(&addr, &state, &["--fail-after", &k.to_string()]);
        let op = Operator::new();
        let failed = op.apply(&repo, &["--base", "HEAD", "--parallelism", "1"]);
        assert_code(&failed, 1, &format!("k={k}: the failed apply"));
        let summary = format!(
            "failed: {k} succeeded, 1 failed, {} not attempted.",
            n - k - 1
        );
        assert!(failed.out.contains(&summary), "k={k}: {failed}");
        assert_snapshot_of_the_empty_vms(&op, k);
        assert_code(&op.verify(), 0, &format!("k={k}: audit verify"));
        let journal = op.journal();
        assert_eq!(journaled_outcomes(&journal), (k, 1), "k={k}");
        // One at a time: each operation ends before the next starts.
        let results: Vec<&str> = operation_entries(&journal)
            .iter()
            .map(|e| e["result"].as_str().expect("result"))
            .collect();
        let mut serial = ["started", "success"].repeat(k);
        serial.extend(["started", "failure"]);
        assert_eq!(results, serial, "k={k}");
        // What vmsops journaled is what reached the VMS, the failed request included.
        let mut sent: Vec<String> = results_by_request(&journal).into_keys().collect();
        sent.sort();
        assert_eq!(vms_request_ids(&faulty), sent, "k={k}");
        drop(faulty);

        let _healthy = sim_at(&addr, &state, &[]);
        let again = op.apply(&repo, &["--base", "HEAD"]);
        assert_code(&again, 0, &format!("k={k}: the second apply"));
        assert!(
            again
                .out
                .contains(&format!("applied: {} succeeded.", n - k)),
            "k={k}: only what was left: {again}"
        );
        assert_code(&op.drift(&repo), 0, &format!("k={k}: drift after"));
        assert_code(&op.verify(), 0, &format!("k={k}: audit verify after"));
        assert_eq!(op.snapshots().len(), 2, "k={k}: one snapshot per apply");
    }
}

/// At the default parallelism, operations already sent when one fails still end,
/// each journaled as started then ended, and nothing new starts.
fn a_failure_with_operations_in_flight_journals_each_of_them_once() {
    let vms_states = tempfile::tempdir().expect("tmp");
    let probe = SimProcess::start(&[]);
    let addr = probe.addr().to_string();
    let repo = Approved::at(&probe.url);
    drop(probe);
    for k in [0, 6, 13] {
        let state = vms_states.path().join(format!("vms-{k}.json"));
        let faulty = sim_at(&addr, &state, &["--fail-after", &k.to_string()]);
        let op = Operator::new();
        let failed = op.apply(&repo, &["--base", "HEAD"]);
        assert_code(&failed, 1, &format!("k={k}: the failed apply"));
        assert_snapshot_of_the_empty_vms(&op, k);
        assert_code(&op.verify(), 0, &format!("k={k}: audit verify"));
        let journal = op.journal();
        let (succeeded, failures) = journaled_outcomes(&journal);
        assert_eq!(succeeded, k, "k={k}: the VMS let exactly k through");
        assert!(
            (1..=4).contains(&failures),
            "k={k}: at most --parallelism in flight: {failures}"
        );
        let mut sent: Vec<String> = results_by_request(&journal).into_keys().collect();
        sent.sort();
        assert_eq!(vms_request_ids(&faulty), sent, "k={k}");
        let not_attempted = FIRST_APPLY_OPERATIONS - succeeded - failures;
        assert!(
            failed.out.contains(&format!(
                "failed: {k} succeeded, {failures} failed, {not_attempted} not attempted."
            )),
            "k={k}: {failed}"
        );
        drop(faulty);
        let _healthy = sim_at(&addr, &state, &[]);
        assert_code(
            &op.apply(&repo, &["--base", "HEAD"]),
            0,
            &format!("k={k}: converge"),
        );
        assert_code(&op.drift(&repo), 0, &format!("k={k}: drift"));
    }
}

crate::for_each_store! {
    /// `--fail-after 2:1`: one failure, then the VMS answers again; re-running converges.
    fn a_transient_failure_fails_the_apply_and_a_rerun_converges(store: TestStore) {
        let sim = SimProcess::start(&["--fail-after", "2:1"]);
        let repo = Approved::at(&sim.url);
        let op = Operator::on(store, approved::IN_WINDOW);
        let failed = op.apply(&repo, &["--base", "HEAD"]);
        assert_code(&failed, 1, "the first apply");
        assert!(failed.out.contains("Re-run apply to converge"), "{failed}");
        let (succeeded, failures) = journaled_outcomes(&op.journal());
        assert!(succeeded >= 2 && failures == 1, "{succeeded} {failures}");
        let again = op.apply(&repo, &["--base", "HEAD"]);
        assert_code(&again, 0, "the re-run");
        assert_code(&op.drift(&repo), 0, "drift");
        assert_code(&op.verify(), 0, "audit verify");
        // The re-run sent only what the first one had not done.
        let (succeeded, failures) = journaled_outcomes(&op.journal());
        assert_eq!((succeeded, failures), (FIRST_APPLY_OPERATIONS, 1));
    }
}

crate::for_each_store! {
    /// SIGKILL mid-apply: the next apply says the previous one did not finish, converges,
    /// and the journal (with operations started and never ended) still verifies.
    fn an_apply_killed_midway_is_reported_and_the_next_one_converges(store: TestStore) {
        let sim = SimProcess::start(&["--latency-ms", "300"]);
        let repo = Approved::at(&sim.url);
        let op = Operator::on(store, approved::IN_WINDOW);
        let mut child = op.spawn_apply(&repo, &["--base", "HEAD"]);
        // Kill it once operations are under way (about a second in).
        op.wait_until(Duration::from_secs(30), "a first operation", |op| {
            !operation_entries(&op.journal()).is_empty()
        });
        // Half the latency: the first operations are sent and not yet answered.
        std::thread::sleep(Duration::from_millis(150));
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), None, "killed, not finished: {status:?}");
        assert!(
            op.lock_record().contains(OPERATOR),
            "the dead holder's record stays: {:?}",
            op.lock_record()
        );
        let before = results_by_request(&op.journal());
        assert!(
            before.values().any(|r| r == &["started"]),
            "killed with operations in flight: {before:?}"
        );
        assert!(before.len() < FIRST_APPLY_OPERATIONS, "{before:?}");

        let next = op.apply(&repo, &["--base", "HEAD"]);
        assert_code(&next, 0, "the next apply");
        assert!(
            next.out
                .contains(&format!("the previous apply by {OPERATOR} ("))
                && next.out.contains("did not finish"),
            "{next}"
        );
        assert_code(&op.verify(), 0, "audit verify");
        assert_code(&op.drift(&repo), 0, "drift");
        let journal = op.journal();
        assert!(
            journal
                .iter()
                .any(|e| e["action"] == "apply.unfinished" && e["result"] == "failure"),
            "the unfinished apply is journaled"
        );
        assert_eq!(op.lock_record(), "", "released cleanly this time");
    }
}

crate::for_each_store! {
    /// Two applies of one site at once: the second is refused naming the holder, or,
    /// given `--lock-timeout`, waits for the first and finds nothing left to do.
    fn a_second_apply_is_refused_naming_the_holder_or_waits_for_it(store: TestStore) {
        let sim = SimProcess::start(&["--latency-ms", "200"]);
        let repo = Approved::at(&sim.url);
        let op = Operator::on(store, approved::IN_WINDOW);
        let mut first = op.spawn_apply(&repo, &["--base", "HEAD"]);
        op.wait_until(Duration::from_secs(30), "the first apply's lock", |op| {
            op.lock_record().contains(OPERATOR)
        });

        let refused = op.apply(&repo, &["--base", "HEAD"]);
        assert_code(&refused, 1, "the apply that found the site locked");
        assert!(
            refused
                .all()
                .contains(&format!("locked by {OPERATOR} (apply")),
            "{refused}"
        );
        assert!(
            first.try_wait().expect("poll").is_none(),
            "the first apply still holds the lock"
        );
        let waited = op.apply(&repo, &["--base", "HEAD", "--lock-timeout", "60s"]);
        let first = first.wait_with_output().expect("first apply");
        assert_eq!(
            first.status.code(),
            Some(0),
            "{}{}",
            String::from_utf8_lossy(&first.stdout),
            String::from_utf8_lossy(&first.stderr)
        );
        assert_code(&waited, 0, "the apply that waited");
        assert!(waited.out.contains("no changes"), "{waited}");
        assert!(!waited.out.contains("did not finish"), "{waited}");
        let (succeeded, failures) = journaled_outcomes(&op.journal());
        assert_eq!((succeeded, failures), (FIRST_APPLY_OPERATIONS, 0));
        assert_code(&op.verify(), 0, "audit verify");
    }
}

/// A healthy first apply, then an approved change of the `standard` profile's fps
/// (several cameras) committed and tagged `approve/wo-2`.
fn applied_then_fps_change(sim: &SimProcess, op: &Operator) -> Approved {
    let repo = Approved::at(&sim.url);
    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    repo.edit("sites/paris-hq/site.yaml", "    fps: 15\n", "    fps: 12\n");
    repo.commit("Standard profile at 12 fps", Some("WO-2"));
    repo.approve("wo-2");
    repo
}

crate::for_each_store! {
    /// `--auto-rollback`: an apply failing midway restores its snapshot and says so;
    /// the live configuration is then the snapshot's export again.
    fn auto_rollback_restores_the_snapshot_after_a_failure(store: TestStore) {
        let dir = tempfile::tempdir().expect("tmp");
        let state = dir.path().join("vms.json");
        let healthy = sim_at("127.0.0.1:0", &state, &[]);
        let addr = healthy.addr().to_string();
        let op = Operator::on(store, approved::IN_WINDOW);
        let repo = applied_then_fps_change(&healthy, &op);
        let before = live_config(&healthy);
        drop(healthy);

        // Two changes go through, the third fails, then the VMS answers again (for the restore).
        let faulty = sim_at(&addr, &state, &["--fail-after", "2:1"]);
        let earlier = op.snapshots();
        let failed = op.apply(&repo, &["--auto-rollback", "--parallelism", "1"]);
        assert_code(&failed, 1, "the failed apply");
        assert!(
            failed.out.contains("failed: 2 succeeded, 1 failed,"),
            "{failed}"
        );
        let snapshot = op.snapshot_taken_since(&earlier);
        assert!(
            failed
                .out
                .contains(&format!("Rolled back to snapshot {snapshot}.")),
            "{failed}"
        );
        let export = without_versions(op.snapshot_export(&snapshot));
        assert_eq!(
            live_config(&faulty),
            export,
            "the VMS is the snapshot again"
        );
        assert_eq!(
            export, before,
            "the snapshot was taken before the first change"
        );
        let journal = op.journal();
        let restore: Vec<&Value> = journal
            .iter()
            .filter(|e| e["action"] == "restore")
            .collect();
        assert_eq!(restore.len(), 2, "restore started and ended");
        assert_eq!(restore[1]["result"], "success");
        assert_code(&op.verify(), 0, "audit verify");
        // The VMS is what was last applied again; the approved change waits: pending, not drift.
        let drift = op.run(&["drift", "--repo", &repo.arg(), "--format", "json"]);
        assert_code(&drift, 0, "the change is undone: pending again");
        let v = crate::support::schema::parse_valid("drift", &drift.out);
        assert_eq!(v["sites"][0]["status"], "pending", "{drift}");

        // The VMS is healthy again: the same apply now converges.
        assert_code(&op.apply(&repo, &[]), 0, "the re-run");
        assert_code(&op.drift(&repo), 0, "drift after the re-run");
    }
}

/// `--auto-rollback` against a VMS that keeps failing: the restore fails too, and
/// the summary says so and names the snapshot to restore by hand.
// Regression: a failed automatic rollback was reported like no rollback at all.
fn auto_rollback_that_fails_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("vms.json");
    let healthy = sim_at("127.0.0.1:0", &state, &[]);
    let addr = healthy.addr().to_string();
    let op = Operator::new();
    let repo = applied_then_fps_change(&healthy, &op);
    drop(healthy);

    let _faulty = sim_at(&addr, &state, &["--fail-after", "2"]);
    let earlier = op.snapshots();
    let failed = op.apply(&repo, &["--auto-rollback", "--parallelism", "1"]);
    assert_code(&failed, 1, "the failed apply");
    let snapshot = op.snapshot_taken_since(&earlier);
    assert!(!failed.out.contains("Rolled back to"), "{failed}");
    assert!(
        failed
            .out
            .contains(&format!("The rollback to snapshot {snapshot} failed")),
        "{failed}"
    );
    assert!(
        failed.out.contains(&format!("vmsops restore {snapshot}")),
        "{failed}"
    );
    let journal = op.journal();
    let last_restore = journal
        .iter()
        .rfind(|e| e["action"] == "restore")
        .expect("restore journaled");
    assert_eq!(last_restore["result"], "failure");
    assert_code(&op.verify(), 0, "audit verify");
}

/// A saved plan is refused once the VMS changed under it, once a new commit landed, or
/// when the base it records is not the one apply trusts (`--base`, else the last applied
/// commit): an unsigned file never chooses the policy that approves its own change.
// Regression: `apply PLAN.json` applied the plan's own commit, so a new commit never made it stale.
fn a_stale_plan_is_refused() {
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let op = Operator::new();
    let plan = op.state().join("p.json");
    let plan = plan.to_str().expect("utf-8");
    let save = |extra: &[&str]| {
        let r = repo.arg();
        let mut args = vec!["plan", "--repo", &r, "--out", plan];
        args.extend_from_slice(extra);
        let saved = op.run(&args);
        assert_code(&saved, 0, "plan --out");
    };
    let first = repo.head();

    // The VMS changed under the plan.
    save(&["--base", "HEAD"]);
    let r = block_on(sim.http().json(
        "PUT",
        "/api/v1/settings",
        &json!({"session_timeout_minutes": 20}),
        &[("if-match", "*")],
    ));
    assert_eq!(r.status, 200, "{}", r.text);
    let before = live_config(&sim);
    let stale = op.apply(&repo, &[plan, "--base", &first]);
    assert_code(&stale, 1, "a plan older than the live state");
    assert!(stale.all().contains("stale plan"), "{stale}");
    assert!(!stale.all().contains("made against base"), "{stale}");
    assert_eq!(live_config(&sim), before, "nothing was changed");
    assert!(op.snapshots().is_empty(), "not even a snapshot");

    // A first apply trusts a base only when given: the one the plan records is not enough.
    save(&["--base", "HEAD"]);
    let untrusted = op.apply(&repo, &[plan]);
    assert_code(&untrusted, 1, "the recorded base alone");
    assert!(
        untrusted.all().contains("nothing is applied yet"),
        "{untrusted}"
    );
    assert!(
        untrusted.all().contains("--base"),
        "says what to do: {untrusted}"
    );
    assert_eq!(live_config(&sim), before, "nothing was changed");

    // A new commit landed after the plan.
    let planned = repo.head();
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "Hall d'entrée — portes",
        "Hall d'entrée — portes principales",
    );
    repo.commit("Rename hall-01", Some("WO-2"));
    repo.approve("wo-2");
    let stale = op.apply(&repo, &[plan, "--base", &first]);
    assert_code(&stale, 1, "a plan of an older commit");
    assert!(stale.all().contains("stale plan"), "{stale}");
    assert!(
        stale
            .all()
            .contains(&format!("it was made for commit {planned}")),
        "{stale}"
    );
    assert_eq!(live_config(&sim), before, "nothing was changed");

    // A fresh plan applies, with the base given.
    save(&["--base", &first]);
    assert_code(
        &op.apply(&repo, &[plan, "--base", &first]),
        0,
        "a fresh plan, with its base",
    );
    assert_code(&op.drift(&repo), 0, "drift");

    // Later, a plan made against a base other than the last applied commit (here the
    // change itself) is refused; one made against the last applied commit applies as is.
    let applied = repo.head();
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "Hall d'entrée — portes principales",
        "Hall d'entrée — portes nord",
    );
    repo.commit("Rename hall-01 again", Some("WO-3"));
    repo.approve("wo-3");
    save(&["--base", "HEAD"]);
    let own = op.apply(&repo, &[plan]);
    assert_code(&own, 1, "a plan trusting its own commit");
    assert!(
        own.all().contains("and apply trusts"),
        "names the trusted base: {own}"
    );
    save(&[]);
    let fresh = op.apply(&repo, &[plan]);
    assert_code(&fresh, 0, "made against the last applied commit");
    assert_ne!(applied, repo.head());
    assert_code(&op.drift(&repo), 0, "drift");
}

/// An unapproved recording change outside any window without a ticket: every
/// refusal listed in one run, nothing changed, each refusal journaled.
fn an_unapproved_recording_change_is_refused_with_every_reason_at_once() {
    let sim = SimProcess::start(&[]);
    let mut op = Operator::new();
    let repo = Approved::at(&sim.url);
    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "recording: { fps: 25 }",
        "recording: { fps: 20 }",
    );
    repo.commit("hall-01 at 20 fps", None);
    op.set_now(OUT_OF_WINDOW);
    let before = live_config(&sim);
    let snapshots = op.snapshots().len();
    let refused = op.apply(&repo, &[]);
    assert_code(&refused, 3, "refused by the gate");
    assert!(
        refused
            .out
            .contains("refused by the gate; nothing was changed."),
        "{refused}"
    );
    for check in ["approval", "maintenance-window", "justification"] {
        assert!(
            refused.out.contains(&format!("✗ {check}")),
            "{check}: {refused}"
        );
    }
    assert_eq!(live_config(&sim), before, "the VMS is unchanged");
    assert_eq!(op.snapshots().len(), snapshots, "no snapshot either");
    let journal = op.journal();
    let refusals: Vec<&str> = journal
        .iter()
        .filter(|e| e["result"] == "refused")
        .map(|e| e["detail"]["check"].as_str().expect("check"))
        .collect();
    for check in ["approval", "maintenance-window", "justification"] {
        assert!(refusals.contains(&check), "{check}: {refusals:?}");
    }
    assert_code(&op.verify(), 0, "audit verify");
}

/// A commit by a generic identity is refused (`nominative`); `--emergency` lets it
/// through, journaled as an emergency, but never past the other checks.
fn a_generic_author_is_refused_unless_emergency() {
    let sim = SimProcess::start(&[]);
    let op = Operator::new();
    let repo = Approved::at(&sim.url);
    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    let admin = ("Admin", "admin@site.example");
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "Hall d'entrée — portes",
        "Hall d'entrée — portes principales",
    );
    repo.commit_as("Rename hall-01", Some("WO-3"), admin);
    let before = live_config(&sim);
    let refused = op.apply(&repo, &[]);
    assert_code(&refused, 3, "a generic author");
    assert!(refused.out.contains("✗ nominative"), "{refused}");
    assert_eq!(live_config(&sim), before, "the VMS is unchanged");

    let reason = "Camera name wrong on the guard's wall; WO-3 escalated by phone";
    let emergency = op.apply(&repo, &["--emergency", "--reason", reason]);
    assert_code(&emergency, 0, "an emergency");
    assert!(emergency.out.contains("EMERGENCY"), "{emergency}");
    let journal = op.journal();
    let applied = journal
        .iter()
        .rfind(|e| e["action"] == "apply")
        .expect("apply journaled");
    assert_eq!(applied["result"], "success");
    assert_eq!(applied["emergency"], reason);
    let ops = operation_entries(&journal);
    let last = ops.last().expect("the rename");
    assert_eq!(last["target"], "hall-01");
    assert_eq!(last["emergency"], reason);
    assert_code(&op.drift(&repo), 0, "drift");

    // An emergency is no approval: an unapproved recording change stays refused.
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "recording: { fps: 25 }",
        "recording: { fps: 20 }",
    );
    repo.commit_as("hall-01 at 20 fps", Some("WO-3"), admin);
    let before = live_config(&sim);
    let refused = op.apply(&repo, &["--emergency", "--reason", reason]);
    assert_code(&refused, 3, "an emergency without approval");
    assert!(refused.out.contains("✗ approval"), "{refused}");
    assert!(!refused.out.contains("✗ nominative"), "{refused}");
    assert_eq!(live_config(&sim), before, "the VMS is unchanged");
    assert_code(&op.verify(), 0, "audit verify");
}

fn a_successful_apply_leaves_a_git_note_on_the_applied_commit() {
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let op = Operator::new();
    let out = op.apply(&repo, &["--base", "HEAD"]);
    assert_code(&out, 0, "apply");
    let git = git2::Repository::open(repo.repo.path()).expect("repo");
    let head = git
        .head()
        .expect("head")
        .peel_to_commit()
        .expect("commit")
        .id();
    let note = git
        .find_note(Some("refs/notes/vmsops"), head)
        .expect("a note on the applied commit");
    let text = note.message().expect("utf-8 note");
    assert!(text.contains("applied to site paris-hq"), "{text}");
    assert!(
        text.contains("approved by rs@client.example (approve/wo-1)"),
        "{text}"
    );
    assert!(text.contains("snapshot "), "{text}");
    // A refused apply leaves no note: only what was applied is noted.
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "recording: { fps: 25 }",
        "recording: { fps: 30 }",
    );
    repo.commit("hall-01 at 30 fps", Some("WO-9"));
    assert_code(&op.apply(&repo, &[]), 3, "unapproved apply");
    let head = git
        .head()
        .expect("head")
        .peel_to_commit()
        .expect("commit")
        .id();
    assert!(git.find_note(Some("refs/notes/vmsops"), head).is_err());
}

crate::for_each_store! {
    /// `restore` brings the VMS back to the snapshot taken before the first apply,
    /// keeps a snapshot of what it replaced, refuses a generic operator (exit 3,
    /// nothing changed), and the journal still verifies.
    fn restore_brings_back_a_snapshot_and_refuses_a_generic_operator(store: TestStore) {
        let sim = SimProcess::start(&[]);
        let repo = Approved::at(&sim.url);
        let op = Operator::on(store, approved::IN_WINDOW);
        let empty = live_config(&sim);
        assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
        let before_apply = op.snapshots()[0]["id"].as_str().expect("id").to_string();
        let repo_arg = repo.arg();
        let restore = |operator: &str| {
            op.run(&[
                "restore", &before_apply, "--operator", operator, "--ticket", "WO-9", "--yes",
                "--repo", &repo_arg,
            ])
        };
        let refused = restore("admin");
        assert_code(&refused, 3, "a generic operator");
        assert_eq!(op.snapshots().len(), 1, "nothing was changed: {refused}");
        let done = restore("claire.martin");
        assert_code(&done, 0, "the restore");
        assert!(done.out.contains(&format!("restored snapshot {before_apply}")), "{done}");
        assert_eq!(live_config(&sim), empty, "the VMS is the snapshot again");
        assert_eq!(op.snapshots().len(), 2, "the replaced state was kept first");
        assert_code(&op.verify(), 0, "audit verify");
        assert_code(&op.drift(&repo), 2, "drift sees the undone apply");
    }
}

/// State on a fresh path: every folder vmsops creates is 0700, the journal, lock,
/// records and snapshots 0600, whatever was there before.
// Regression: journal.jsonl and lock files were 0644, state folders 0755.
fn state_files_and_folders_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let tmp = tempfile::tempdir().expect("tmp");
    let state = tmp.path().join("nested/state");
    let out = crate::fixture::vmsops()
        .env("VMSOPS_TOKEN", crate::support::TOKEN)
        .env("VMSOPS_STATE_DIR", &state)
        .env("VMSOPS_NOW", approved::IN_WINDOW)
        .args([
            "apply",
            "--repo",
            &repo.arg(),
            "--operator",
            OPERATOR,
            "--base",
            "HEAD",
        ])
        .output()
        .expect("apply");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    let mut checked = 0;
    let mut stack = vec![tmp.path().join("nested")];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            assert_eq!(mode(&p), 0o700, "{}", p.display());
            stack.extend(
                std::fs::read_dir(&p)
                    .expect("dir")
                    .map(|e| e.expect("entry").path()),
            );
        } else {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
        checked += 1;
    }
    for f in [
        "journal.jsonl",
        "locks/paris-hq.lock",
        "sites/paris-hq/applied.json",
    ] {
        assert!(state.join(f).exists(), "{f}");
    }
    assert!(checked >= 8, "{checked} paths checked");
}

/// The state on a 32 KiB tmpfs: the disk fills mid-apply. The summary still says what
/// happened, the real cause (ENOSPC) is shown, no torn line is left, and once there is
/// room again (a remount) the next apply converges.
// Regression: ENOSPC was hidden behind "the last line is incomplete", with no summary.
fn a_full_disk_mid_apply_is_reported_and_the_next_apply_converges() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=32k", "tmpfs"])
        .arg(tmp.path())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: mounting a small tmpfs needs root (mount -t tmpfs)");
        return;
    }
    struct Unmount<'a>(&'a std::path::Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(tmp.path());
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let apply = || {
        let out = crate::fixture::vmsops()
            .env("VMSOPS_TOKEN", crate::support::TOKEN)
            .env("VMSOPS_STATE_DIR", tmp.path())
            .env("VMSOPS_NOW", approved::IN_WINDOW)
            .args([
                "apply",
                "--repo",
                &repo.arg(),
                "--operator",
                OPERATOR,
                "--base",
                "HEAD",
                "--parallelism",
                "1",
            ])
            .output()
            .expect("apply");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, all) = apply();
    assert_eq!(code, 1, "{all}");
    assert!(
        all.contains("No space left on device"),
        "the real cause: {all}"
    );
    assert!(
        all.contains("failed:") && all.contains("succeeded"),
        "a summary: {all}"
    );
    let verify = crate::fixture::vmsops()
        .env("VMSOPS_STATE_DIR", tmp.path())
        .args(["audit", "verify"])
        .output()
        .expect("verify");
    assert!(
        verify.status.success(),
        "no torn line: {}",
        String::from_utf8_lossy(&verify.stdout)
    );

    let grown = std::process::Command::new("mount")
        .args(["-o", "remount,size=4m"])
        .arg(tmp.path())
        .status()
        .is_ok_and(|s| s.success());
    assert!(grown, "remount with room");
    let (code, all) = apply();
    assert_eq!(code, 0, "the next apply converges: {all}");
}

/// What a signal interrupts mid-way: an apply, or a restore going object by object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MidWay {
    Apply,
    Restore,
}

crate::for_each_store! {
    /// SIGINT mid-apply: nothing new starts, what was in flight ends and is journaled, the
    /// summary says "interrupted", the lock is released, exit 1; the next apply converges.
    // Regression: Ctrl-C killed apply like kill -9 (operations left started, no summary).
    fn an_interrupted_apply_finishes_what_is_in_flight_and_releases_the_lock(store: TestStore) {
        interrupted_mid_way(store, MidWay::Apply);
    }
}

crate::for_each_store! {
    /// SIGINT during a per-object restore: likewise, and its `restore` entry ends in failure
    /// saying how many operations were sent; the next restore converges.
    // Regression: a per-object restore ignored SIGINT/SIGTERM and sent every operation.
    fn an_interrupted_restore_finishes_what_is_in_flight_and_releases_the_lock(store: TestStore) {
        interrupted_mid_way(store, MidWay::Restore);
    }
}

/// Interrupts `what` once its first operation is journaled, then checks what it left.
fn interrupted_mid_way(store: TestStore, what: MidWay) {
    // An import limit below any export: the restore goes object by object.
    let sim = SimProcess::start(&["--latency-ms", "300", "--max-import-bytes", "10"]);
    let repo = Approved::at(&sim.url);
    let op = Operator::on(store, approved::IN_WINDOW);
    let mut empty = String::new();
    let (child, before) = match what {
        MidWay::Apply => (
            op.spawn_apply(&repo, &["--base", "HEAD", "--parallelism", "2"]),
            0,
        ),
        MidWay::Restore => {
            let first = op.apply(&repo, &["--base", "HEAD", "--parallelism", "16"]);
            assert_code(&first, 0, "the first apply");
            // The snapshot of the empty VMS: putting it back undoes all 14 operations.
            empty = op.snapshots()[0]["id"].as_str().expect("id").to_string();
            let before = op.journal().len();
            (op.spawn_restore(&empty, &repo), before)
        }
    };
    op.wait_until(Duration::from_secs(30), "a first operation", |op| {
        !operation_entries(&op.journal()[before..]).is_empty()
    });
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
    let out = child.wait_with_output().expect("wait");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{all}");
    let journal = op.journal();
    let by_request = results_by_request(&journal[before..]);
    assert!(
        by_request.values().all(|r| r.len() == 2),
        "every started operation has its end: {by_request:?}"
    );
    assert!(by_request.len() < FIRST_APPLY_OPERATIONS, "{by_request:?}");
    match what {
        MidWay::Apply => {
            assert!(
                all.contains("interrupted:") && all.contains("not attempted"),
                "{all}"
            );
        }
        MidWay::Restore => {
            let ended = journal
                .iter()
                .rfind(|e| e["action"] == "restore")
                .expect("the restore's end");
            assert_eq!(ended["result"], "failure", "{ended}");
            let why = ended["detail"]["error"].as_str().expect("why");
            let counted = format!(
                "interrupted: {} of {FIRST_APPLY_OPERATIONS} per-object operation(s) sent",
                by_request.len()
            );
            assert!(why.starts_with(&counted), "{why}");
            assert!(
                all.contains(&counted) && all.contains("partly restored"),
                "{all}"
            );
        }
    }
    assert_eq!(op.lock_record(), "", "the lock was released");
    assert_code(&op.verify(), 0, "audit verify");
    let next = match what {
        MidWay::Apply => op.apply(&repo, &["--base", "HEAD"]),
        MidWay::Restore => op.restore(&empty, &repo, &[]),
    };
    assert_code(&next, 0, "the next run");
    assert!(!next.out.contains("did not finish"), "{next}");
}

/// The journal is anchored outside itself: cut, rewritten (hashes recomputed) or deleted,
/// `audit verify` names the anchor it contradicts, and apply refuses rather than start over.
// Regression: a cut or rewritten journal verified "intact", and a deleted one restarted at #1.
fn a_cut_rewritten_or_deleted_journal_is_caught_by_its_anchors() {
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let op = Operator::new();
    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    let path = op.state().join("journal.jsonl");
    let good = std::fs::read_to_string(&path).expect("journal");
    let lines: Vec<&str> = good.lines().collect();

    // Cut: the last entries removed.
    std::fs::write(&path, lines[..lines.len() - 3].join("\n") + "\n").expect("cut");
    let cut = op.verify();
    assert_code(&cut, 1, "a cut journal");
    assert!(
        cut.out.contains("entries were removed from the end"),
        "{cut}"
    );

    // Rewritten: the last entry edited and its hash recomputed, so the chain itself holds.
    let mut last = vmsops::audit::Entry::from_line(lines[lines.len() - 1]).expect("entry");
    last.operator = Some("someone.else".into());
    last.hash = last.compute_hash();
    let mut forged: Vec<String> = lines[..lines.len() - 1]
        .iter()
        .map(|l| l.to_string())
        .collect();
    forged.push(last.to_line());
    std::fs::write(&path, forged.join("\n") + "\n").expect("rewrite");
    let rewritten = op.verify();
    assert_code(&rewritten, 1, "a rewritten journal");
    assert!(
        rewritten.out.contains("the journal was rewritten"),
        "{rewritten}"
    );
    let with_notes = op.run(&["audit", "verify", "--repo", &repo.arg()]);
    assert_code(&with_notes, 1, "the git note disagrees too");

    // Deleted: apply refuses, naming the anchor, and changes nothing.
    std::fs::remove_file(&path).expect("delete");
    let refused = op.apply(&repo, &["--base", "HEAD"]);
    assert_code(&refused, 1, "apply on a deleted journal");
    assert!(refused.all().contains("it was cut or deleted"), "{refused}");
    assert!(!path.exists(), "no new chain was started");

    // Put back: everything verifies again, against the state and the notes.
    std::fs::write(&path, &good).expect("restore");
    assert_code(
        &op.run(&["audit", "verify", "--repo", &repo.arg()]),
        0,
        "verify after restore",
    );
}

/// SIGINT during a restore, before its import is sent: nothing is changed, the
/// state it would have replaced is kept, exit 1 saying so.
fn an_interrupted_restore_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("vms.json");
    let fast = sim_at("127.0.0.1:0", &state, &[]);
    let addr = fast.addr().to_string();
    let repo = Approved::at(&fast.url);
    let op = Operator::new();
    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    let id = op.snapshots()[0]["id"].as_str().expect("id").to_string();
    drop(fast);
    // The same VMS, now slow: the export (the snapshot of the current state) takes 1.5 s.
    let sim = sim_at(&addr, &state, &["--latency-ms", "1500"]);
    let before = live_config(&sim);
    let child = Command::new(assert_cmd::cargo::cargo_bin("vmsops"))
        .args([
            "restore",
            &id,
            "--operator",
            OPERATOR,
            "--ticket",
            "WO-9",
            "--yes",
            "--repo",
            &repo.arg(),
        ])
        .env("VMSOPS_TOKEN", crate::support::TOKEN)
        .env("VMSOPS_STATE_DIR", op.state())
        .env("VMSOPS_NOW", approved::IN_WINDOW)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("restore");
    // Interrupt during the export.
    std::thread::sleep(Duration::from_millis(600));
    assert!(Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill")
        .success());
    let out = child.wait_with_output().expect("wait");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("interrupted before the import; nothing was changed"),
        "{all}"
    );
    assert_eq!(live_config(&sim), before, "the VMS is unchanged");
    assert_code(&op.verify(), 0, "audit verify");
}

/// Without an operator (no `--operator`, no `VMSOPS_OPERATOR`, or only blanks) neither
/// apply nor restore locks, snapshots or journals anything: nobody would answer for it.
fn apply_and_restore_without_an_operator_change_nothing() {
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let op = Operator::new();
    let message = "error: no operator was given: name yourself with --operator or VMSOPS_OPERATOR";
    let repo_arg = repo.arg();
    for args in [
        &["apply", "--repo", &repo_arg, "--base", "HEAD"][..],
        &[
            "apply",
            "--repo",
            &repo_arg,
            "--base",
            "HEAD",
            "--operator",
            "  ",
        ],
    ] {
        let o = op.run(args);
        assert_code(&o, 1, "apply without an operator");
        assert!(o.err.contains(message), "{o}");
        assert!(o.out.is_empty(), "{o}");
    }
    assert!(op.journal().is_empty(), "nothing journaled");
    assert!(op.snapshots().is_empty(), "no snapshot");

    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    let id = op.snapshots()[0]["id"].as_str().expect("id").to_string();
    let entries = op.journal().len();
    let o = op.run(&[
        "restore", &id, "--ticket", "WO-9", "--yes", "--repo", &repo_arg,
    ]);
    assert_code(&o, 1, "restore without an operator");
    assert!(o.err.contains(message), "{o}");
    assert_eq!(op.journal().len(), entries, "nothing journaled");
    assert_eq!(op.snapshots().len(), 1, "no snapshot of the current state");
}

crate::trials! {
    mod json,
    mod rollback,
    mod restore_at_scale,
    mod saved,
    mod streamed,
    mod verify,
    fn a_failure_at_each_operation_is_journaled_exactly_and_a_rerun_converges,
    fn a_failure_with_operations_in_flight_journals_each_of_them_once,
    mod a_transient_failure_fails_the_apply_and_a_rerun_converges,
    mod an_apply_killed_midway_is_reported_and_the_next_one_converges,
    mod a_second_apply_is_refused_naming_the_holder_or_waits_for_it,
    mod auto_rollback_restores_the_snapshot_after_a_failure,
    fn auto_rollback_that_fails_says_so,
    fn a_stale_plan_is_refused,
    fn an_unapproved_recording_change_is_refused_with_every_reason_at_once,
    fn a_generic_author_is_refused_unless_emergency,
    fn a_successful_apply_leaves_a_git_note_on_the_applied_commit,
    mod restore_brings_back_a_snapshot_and_refuses_a_generic_operator,
    fn state_files_and_folders_are_readable_by_their_owner_only,
    fn a_full_disk_mid_apply_is_reported_and_the_next_apply_converges,
    mod an_interrupted_apply_finishes_what_is_in_flight_and_releases_the_lock,
    mod an_interrupted_restore_finishes_what_is_in_flight_and_releases_the_lock,
    fn a_cut_rewritten_or_deleted_journal_is_caught_by_its_anchors,
    fn an_interrupted_restore_changes_nothing,
    fn apply_and_restore_without_an_operator_change_nothing,
}
