//! `apply --verify` against `vmsops sim --connect-ms … --unreachable-host …`: every
//! created or changed camera is watched until healthy; a degraded one is journaled,
//! named, and rolled back with `--auto-rollback`.

use serde_json::Value;

use super::approved::{Approved, Operator, IN_WINDOW};
use super::{assert_code, live_config, sim_at};

const DEAD: &str = "dead-01.cams.paris-hq.example";

fn verify_entries(journal: &[Value]) -> Vec<&Value> {
    journal.iter().filter(|e| e["action"] == "verify").collect()
}

/// A sim whose streams connect after 200 ms, one host never answering.
fn sim(dir: &tempfile::TempDir) -> crate::support::SimProcess {
    sim_at(
        "127.0.0.1:0",
        &dir.path().join("vms.json"),
        &["--connect-ms", "200", "--unreachable-host", DEAD],
    )
}

/// The approved change of hall-01's stream to the host that never answers.
fn dead_stream_change(repo: &Approved) {
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "rtsp://hall-01.cams.paris-hq.example/axis-media/media.amp",
        &format!("rtsp://{DEAD}/axis-media/media.amp"),
    );
    repo.commit("hall-01 on the new encoder", Some("WO-7"));
    repo.approve("wo-7");
}

fn healthy_cameras_pass_and_a_dead_stream_is_rolled_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let sim = sim(&dir);
    let repo = Approved::at(&sim.url);
    let op = Operator::at(IN_WINDOW);
    let first = op.apply(
        &repo,
        &["--base", "HEAD", "--verify", "--verify-timeout", "10s"],
    );
    assert_code(&first, 0, "every new camera connects");
    assert!(first.out.contains("verify: hall-01 healthy"), "{first}");
    let journal = op.journal();
    let verified = verify_entries(&journal);
    assert_eq!(verified.len(), 10, "one verdict per created camera");
    // The example's disabled cameras are fine as disabled.
    assert!(
        verified.iter().all(|e| e["result"] == "success"
            && (e["detail"]["health"] == "healthy" || e["detail"]["health"] == "disabled")),
        "{verified:?}"
    );
    assert!(verified.iter().any(|e| e["detail"]["health"] == "healthy"));

    let before = live_config(&sim);
    dead_stream_change(&repo);
    let failed = op.apply(
        &repo,
        &["--verify", "--verify-timeout", "2s", "--auto-rollback"],
    );
    assert_code(&failed, 1, "a degraded camera");
    assert!(failed.out.contains("verify: hall-01 degraded"), "{failed}");
    assert!(
        failed.out.contains("rolled back: hall-01 degraded"),
        "{failed}"
    );
    assert_eq!(live_config(&sim), before, "the VMS is the snapshot again");
    let journal = op.journal();
    let last = verify_entries(&journal).pop().expect("verdict").clone();
    assert_eq!(
        (last["target"].as_str(), last["result"].as_str()),
        (Some("hall-01"), Some("failure"))
    );
    assert!(
        last["detail"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("disconnected")),
        "{last}"
    );
    let restore: Vec<&Value> = journal
        .iter()
        .filter(|e| e["action"] == "restore")
        .collect();
    assert_eq!(restore.last().expect("restore")["result"], "success");
    assert_code(&op.verify(), 0, "audit verify");
}

fn without_auto_rollback_the_change_stays_and_the_apply_says_which_camera() {
    let dir = tempfile::tempdir().expect("tmp");
    let sim = sim(&dir);
    let repo = Approved::at(&sim.url);
    let op = Operator::at(IN_WINDOW);
    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    dead_stream_change(&repo);
    let out = op.apply(&repo, &["--verify", "--verify-timeout", "1s"]);
    assert_code(&out, 1, "a degraded camera");
    assert!(
        out.out.contains("but hall-01 degraded; the change stays"),
        "{out}"
    );
    // Recorded as applied: nothing is left to apply.
    let again = op.apply(&repo, &[]);
    assert_code(&again, 0, "nothing to do");
    assert!(again.out.contains("no changes"), "{again}");
}

crate::trials! {
    fn healthy_cameras_pass_and_a_dead_stream_is_rolled_back,
    fn without_auto_rollback_the_change_stays_and_the_apply_says_which_camera,
}
