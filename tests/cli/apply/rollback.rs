//! `apply --auto-rollback` with two state directories on one site (two laptops
//! without the shared store): the rollback puts back only what its own apply
//! wrote, with `If-Match` on the versions that apply's writes produced, and
//! leaves alone (and names) what someone else changed since.

use std::time::Duration;

use serde_json::{json, Value};

use super::approved::{operation_entries, Approved, Operator, IN_WINDOW, SITE};
use super::{assert_code, live_config, sim_at};
use crate::support::schema::parse_valid;

const DEAD: &str = "dead-01.cams.paris-hq.example";
/// The other machine's VMS account.
const OTHER: &str = "mdurand";
const OTHER_TOKEN: &str = "tok-mdurand-3b9e";

/// The cameras of the `standard` profile that keep its fps (hall-01 sets its own).
const STANDARD_FPS: [&str; 5] = [
    "hall-02",
    "reception-01",
    "parking-ramp",
    "gate-north",
    "fence-east",
];

/// The approved change: the `standard` profile at 12 fps and hall-01 on a stream that never answers.
fn fps_and_dead_stream(repo: &Approved) {
    repo.edit("sites/paris-hq/site.yaml", "    fps: 15\n", "    fps: 12\n");
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "rtsp://hall-01.cams.paris-hq.example/axis-media/media.amp",
        &format!("rtsp://{DEAD}/axis-media/media.amp"),
    );
    repo.commit(
        "Standard at 12 fps, hall-01 on the new encoder",
        Some("WO-8"),
    );
    repo.approve("wo-8");
}

/// The operations `plan` lists for the site.
fn planned(op: &Operator, repo: &Approved) -> Vec<String> {
    let o = op.run(&["plan", "--repo", &repo.arg(), "--format", "json"]);
    let doc = parse_valid("plan", &o.out);
    doc["sites"][0]["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .map(|o| o["target"].as_str().expect("target").to_string())
        .collect()
}

/// The camera `id` of a configuration.
fn camera<'a>(config: &'a mut Value, id: &str) -> &'a mut Value {
    config["cameras"]
        .as_array_mut()
        .expect("cameras")
        .iter_mut()
        .find(|c| c["id"] == id)
        .expect("the camera")
}

/// The summary's lines about the rollback, for the snapshot below.
fn rollback_lines(out: &str) -> String {
    out.lines()
        .filter(|l| l.contains("rolled back") || l.contains("Rolled back"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// While the apply waits for hall-01's dead stream (`--verify`), the other machine
/// changes hall-02 (which this apply wrote) and parking-n1 (which it did not): the
/// rollback puts back every other camera the apply changed, leaves both as the
/// other machine left them, and names hall-02 with who changed it.
fn a_rollback_never_undoes_another_machines_later_change() {
    let dir = tempfile::tempdir().expect("tmp");
    let sim = sim_at(
        "127.0.0.1:0",
        &dir.path().join("vms.json"),
        &[
            "--connect-ms",
            "200",
            "--unreachable-host",
            DEAD,
            "--token",
            &format!("{OTHER}:{OTHER_TOKEN}"),
        ],
    );
    let repo = Approved::at(&sim.url);
    let op = Operator::at(IN_WINDOW);
    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    let before = live_config(&sim);
    fps_and_dead_stream(&repo);
    let targets = planned(&op, &repo);
    let mut expected_targets: Vec<&str> = STANDARD_FPS.to_vec();
    expected_targets.push("hall-01");
    expected_targets.sort_unstable();
    let mut sorted = targets.clone();
    sorted.sort();
    assert_eq!(sorted, expected_targets, "the change's operations");

    let seen = op.journal().len();
    let child = op.spawn_apply(
        &repo,
        &[
            "--verify",
            "--verify-timeout",
            "8s",
            "--auto-rollback",
            "--parallelism",
            "1",
        ],
    );
    // Every operation ended: the apply now watches hall-01 until the deadline.
    op.wait_until(Duration::from_secs(60), "the apply's operations", |op| {
        let journal = op.journal();
        operation_entries(&journal[seen.min(journal.len())..])
            .iter()
            .filter(|e| e["result"] == "success")
            .count()
            == targets.len()
    });
    sim.set_fps_as(OTHER_TOKEN, "hall-02", 5);
    sim.set_fps_as(OTHER_TOKEN, "parking-n1", 7);
    let failed = super::approved::Out::of(child.wait_with_output().expect("the apply ends"));
    assert_code(&failed, 1, "a degraded camera, rolled back");

    assert!(
        failed
            .out
            .contains("not rolled back: hall-02 changed by mdurand since"),
        "{failed}"
    );
    crate::snapshot::settings().bind(|| {
        insta::assert_snapshot!("apply-rollback-changed-since", rollback_lines(&failed.out));
    });

    // The VMS: the snapshot, except what the other machine did after it.
    let mut expected = before;
    camera(&mut expected, "hall-02")["recording"]["fps"] = json!(5);
    camera(&mut expected, "parking-n1")["recording"]["fps"] = json!(7);
    assert_eq!(
        live_config(&sim),
        expected,
        "only this apply's writes undone"
    );

    // The journal: one rollback operation per object this apply wrote, but hall-02,
    // which is journaled as skipped, naming who changed it; nothing for parking-n1.
    let journal = op.journal();
    let start = journal
        .iter()
        .rposition(|e| e["action"] == "restore" && e["result"] == "started")
        .expect("the rollback is journaled");
    assert_eq!(journal[start]["detail"]["method"], "per-object");
    let undone: Vec<&str> = operation_entries(&journal[start..])
        .iter()
        .filter(|e| e["result"] == "success")
        .map(|e| e["target"].as_str().expect("target"))
        .collect();
    let mut undone_sorted = undone.clone();
    undone_sorted.sort_unstable();
    let mut want: Vec<&str> = expected_targets
        .iter()
        .copied()
        .filter(|t| *t != "hall-02")
        .collect();
    want.sort_unstable();
    assert_eq!(undone_sorted, want, "exactly the objects this apply wrote");
    let skipped: Vec<&Value> = journal
        .iter()
        .filter(|e| e["action"] == "rollback.skip")
        .collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["target"], "hall-02");
    assert_eq!(skipped[0]["result"], "failure");
    assert_eq!(skipped[0]["detail"]["changed_by"], OTHER);
    let end = journal
        .iter()
        .rfind(|e| e["action"] == "restore")
        .expect("end");
    assert_eq!(end["result"], "success");
    assert_eq!(end["detail"]["operations"], want.len());
    assert_code(&op.verify(), 0, "audit verify");

    // The VMS journal: the rollback wrote neither hall-02 nor parking-n1 after the other machine.
    let vms = super::block_on(sim.http().journal());
    let last_other = vms
        .iter()
        .rposition(|e| e["user"] == OTHER)
        .expect("the other machine's changes");
    assert!(
        vms[last_other + 1..]
            .iter()
            .all(|e| e["target"] != "hall-02" && e["target"] != "parking-n1"),
        "{vms:?}"
    );
    assert!(
        vms.iter().all(|e| e["action"] != "config.import"),
        "no full import"
    );
}

/// `--fail-after 2:1`: two updates go through, the third fails (the VMS journals it as
/// failed, so it changed nothing); the rollback puts back exactly those two, and the
/// JSON report lists them.
fn a_rollback_after_a_failure_puts_back_exactly_what_the_apply_changed() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("vms.json");
    let healthy = sim_at("127.0.0.1:0", &state, &[]);
    let addr = healthy.addr().to_string();
    let op = Operator::at(IN_WINDOW);
    let repo = Approved::at(&healthy.url);
    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    repo.edit("sites/paris-hq/site.yaml", "    fps: 15\n", "    fps: 12\n");
    repo.commit("Standard profile at 12 fps", Some("WO-2"));
    repo.approve("wo-2");
    let before = live_config(&healthy);
    drop(healthy);

    let faulty = sim_at(&addr, &state, &["--fail-after", "2:1"]);
    let vms_before = super::block_on(faulty.http().journal()).len();
    let failed = op.apply(
        &repo,
        &["--auto-rollback", "--parallelism", "1", "--format", "json"],
    );
    assert_code(&failed, 1, "the failed apply");
    let doc = parse_valid("apply", &failed.out);
    let site = &doc["sites"][0];
    assert_eq!(site["site"], SITE);
    assert_eq!(site["rolled_back"], true, "{site}");
    let succeeded: Vec<&str> = site["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .filter(|o| o["result"] == "succeeded")
        .map(|o| o["target"].as_str().expect("target"))
        .collect();
    assert_eq!(succeeded.len(), 2, "{site}");
    let rollback = &site["rollback"];
    assert_eq!(rollback["method"], "per-object", "{rollback}");
    let mut rolled: Vec<&str> = rollback["rolled_back"]
        .as_array()
        .expect("rolled_back")
        .iter()
        .map(|o| o["target"].as_str().expect("target"))
        .collect();
    rolled.sort_unstable();
    let mut succeeded = succeeded;
    succeeded.sort_unstable();
    assert_eq!(rolled, succeeded, "exactly the two updates");
    assert_eq!(rollback["not_rolled_back"], json!([]));
    assert_eq!(live_config(&faulty), before);

    // On the VMS: after the injected failure, only those two were written.
    let vms = super::block_on(faulty.http().journal());
    let failure = vms[vms_before..]
        .iter()
        .position(|e| e["result"] == "failure")
        .expect("the injected failure")
        + vms_before;
    let mut after: Vec<&str> = vms[failure + 1..]
        .iter()
        .map(|e| e["target"].as_str().expect("target"))
        .collect();
    after.sort_unstable();
    assert_eq!(after, succeeded, "{vms:?}");
    assert_code(&op.verify(), 0, "audit verify");
}

/// A camera the apply created is deleted by the rollback, with `If-Match` on the
/// version its creation produced (`--fail-after 1:1`: the creation goes through,
/// the first update fails).
fn a_camera_the_apply_created_is_deleted_by_the_rollback() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("vms.json");
    let healthy = sim_at("127.0.0.1:0", &state, &[]);
    let addr = healthy.addr().to_string();
    let op = Operator::at(IN_WINDOW);
    let repo = Approved::at(&healthy.url);
    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "  - id: reception-01\n",
        "  - id: hall-03\n    name: \"Hall d'entrée — ascenseurs\"\n    vendor: Axis\n    model: P3265-LVE\n    firmware: \"11.9.60\"\n    stream_url: rtsp://hall-03.cams.paris-hq.example/axis-media/media.amp\n    profile: standard\n  - id: reception-01\n",
    );
    repo.edit("sites/paris-hq/site.yaml", "    fps: 15\n", "    fps: 12\n");
    repo.commit("hall-03, and the standard profile at 12 fps", Some("WO-9"));
    repo.approve("wo-9");
    let before = live_config(&healthy);
    drop(healthy);

    let faulty = sim_at(&addr, &state, &["--fail-after", "1:1"]);
    let failed = op.apply(
        &repo,
        &["--auto-rollback", "--parallelism", "1", "--format", "json"],
    );
    assert_code(&failed, 1, "the failed apply");
    let doc = parse_valid("apply", &failed.out);
    let rollback = &doc["sites"][0]["rollback"];
    assert_eq!(
        rollback["rolled_back"],
        json!([{"op": "camera.delete", "target": "hall-03"}]),
        "{rollback}"
    );
    assert_eq!(live_config(&faulty), before, "hall-03 is gone again");
    let vms = super::block_on(faulty.http().journal());
    let last = vms.last().expect("entries");
    assert_eq!(
        (&last["action"], &last["target"], &last["result"]),
        (
            &json!("camera.delete"),
            &json!("hall-03"),
            &json!("success")
        ),
        "{vms:?}"
    );
    assert_code(&op.verify(), 0, "audit verify");
}

crate::trials! {
    fn a_rollback_never_undoes_another_machines_later_change,
    fn a_rollback_after_a_failure_puts_back_exactly_what_the_apply_changed,
    fn a_camera_the_apply_created_is_deleted_by_the_rollback,
}
