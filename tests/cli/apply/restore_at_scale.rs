//! The safety net when a configuration is larger than the VMS imports at once:
//! `restore` and `--auto-rollback` go through per-object operations, say so, and
//! journal each of them; a configuration above the reference VMS's old 8 MiB cap
//! is restored by one full import.

use serde_json::{json, Value};

use super::approved::{Approved, Operator, IN_WINDOW, OPERATOR};
use super::{applied_then_fps_change, assert_code, block_on, live_config, sim_at};
use crate::support::{camera, SimProcess};

/// An import limit the example site's export (10 cameras) is well above.
const SMALL_LIMIT: &str = "2048";

/// The `restore` journal entries, started then ended.
fn restore_entries(journal: &[Value]) -> Vec<&Value> {
    journal
        .iter()
        .filter(|e| e["action"] == "restore")
        .collect()
}

crate::for_each_store! {
    /// A snapshot larger than the VMS's stated import limit is restored through
    /// per-object operations: the output says so, each operation is journaled with
    /// the snapshot's id, and the VMS is the snapshot again.
    fn a_snapshot_over_the_import_limit_is_restored_object_by_object(store: TestStore) {
        let dir = tempfile::tempdir().expect("tmp");
        let sim = sim_at("127.0.0.1:0", &dir.path().join("vms.json"), &["--max-import-bytes", SMALL_LIMIT]);
        let op = Operator::on(store, IN_WINDOW);
        let repo = applied_then_fps_change(&sim, &op);
        let before = live_config(&sim);
        let earlier = op.snapshots();
        assert_code(&op.apply(&repo, &[]), 0, "the fps change");
        let snapshot = op.snapshot_taken_since(&earlier);
        assert_ne!(live_config(&sim), before, "the change is applied");

        let done = op.restore(&snapshot, &repo, &[]);
        assert_code(&done, 0, "the restore");
        assert!(done.out.contains("per-object operation(s)"), "{done}");
        assert!(done.out.contains(&format!("({SMALL_LIMIT} bytes)")), "{done}");
        assert_eq!(live_config(&sim), before, "the VMS is the snapshot again");

        let journal = op.journal();
        let restore = restore_entries(&journal);
        assert_eq!(restore.len(), 2, "restore started and ended");
        assert_eq!(restore[0]["detail"]["method"], "per-object");
        assert_eq!(restore[1]["result"], "success");
        let sent = restore[1]["detail"]["operations"].as_u64().expect("operations");
        assert!(sent > 0, "{}", restore[1]);
        let updates: Vec<&Value> = journal
            .iter()
            .filter(|e| e["action"] == "camera.update" && e["detail"]["agent"] == "restore")
            .collect();
        assert_eq!(updates.len() as u64, 2 * sent, "each operation started and ended");
        assert!(updates.iter().all(|e| e["snapshot"] == snapshot.as_str()));
        assert_code(&op.verify(), 0, "audit verify");
    }
}

/// `--auto-rollback` with a VMS whose import limit the snapshot exceeds: the
/// rollback goes object by object and the VMS is the snapshot again.
fn auto_rollback_over_the_import_limit_goes_object_by_object() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("vms.json");
    let healthy = sim_at("127.0.0.1:0", &state, &["--max-import-bytes", SMALL_LIMIT]);
    let addr = healthy.addr().to_string();
    let op = Operator::at(IN_WINDOW);
    let repo = applied_then_fps_change(&healthy, &op);
    let before = live_config(&healthy);
    drop(healthy);

    // Two changes go through, the third fails once, then the VMS answers again (for the rollback).
    let faulty = sim_at(
        &addr,
        &state,
        &["--fail-after", "2:1", "--max-import-bytes", SMALL_LIMIT],
    );
    let failed = op.apply(&repo, &["--auto-rollback", "--parallelism", "1"]);
    assert_code(&failed, 1, "the failed apply");
    assert!(failed.out.contains("Rolled back to snapshot"), "{failed}");
    assert_eq!(
        live_config(&faulty),
        before,
        "the VMS is the snapshot again"
    );
    let journal = op.journal();
    let restore = restore_entries(&journal);
    assert_eq!(restore.len(), 2, "restore started and ended");
    assert_eq!(restore[0]["detail"]["method"], "per-object");
    assert_eq!(restore[1]["result"], "success");
    assert_code(&op.verify(), 0, "audit verify");
}

/// 25,000 cameras (about 9.5 MiB of export, above the reference VMS's old 8 MiB cap):
/// snapshot, then restore by one full import.
fn a_configuration_above_the_old_import_cap_is_restored_whole() {
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let op = Operator::at(IN_WINDOW);
    assert_code(&op.apply(&repo, &["--base", "HEAD"]), 0, "the first apply");
    let many: Vec<Value> = (0..25_000)
        .map(|i| {
            let mut c = camera(&format!("gen-{i:05}"));
            c["name"] = json!(format!(
                "Generated camera {i} with a name long enough to count"
            ));
            c
        })
        .collect();
    block_on(sim.http().import_cameras(many));
    let big = live_config(&sim);
    let bytes = serde_json::to_vec(&big).expect("json").len();
    assert!(bytes > 8 << 20, "the export is {bytes} bytes");
    let snap = op.run(&[
        "snapshot",
        "create",
        "--site",
        "paris-hq",
        "--operator",
        OPERATOR,
        "--repo",
        &repo.arg(),
    ]);
    assert_code(&snap, 0, "snapshot create");
    let id = snap.out.split_whitespace().nth(1).expect("id").to_string();
    block_on(sim.http().import_cameras(vec![camera("hall-01")]));

    let done = op.restore(&id, &repo, &[]);
    assert_code(&done, 0, "the restore");
    assert!(!done.out.contains("per-object"), "one import: {done}");
    assert_eq!(live_config(&sim), big, "the VMS is the snapshot again");
    assert_code(&op.verify(), 0, "audit verify");
}

crate::trials! {
    mod a_snapshot_over_the_import_limit_is_restored_object_by_object,
    fn auto_rollback_over_the_import_limit_goes_object_by_object,
    fn a_configuration_above_the_old_import_cap_is_restored_whole,
}
