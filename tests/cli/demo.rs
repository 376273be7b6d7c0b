//! `vmsops demo`: the README's first command does the whole job.

use crate::fixture::vmsops;

fn the_demo_runs_plan_gate_apply_drift_and_the_journal() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = vmsops()
        .env_remove("VMSOPS_NOW")
        .args(["demo", "--dir", &dir.path().display().to_string()])
        .output()
        .expect("demo runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "paris-hq: 10 cameras in 4 files, 0 errors, 0 warnings",
        "Plan: 13 to add, 1 to change, 0 to remove.",
        "verify: hall-01 healthy",
        "paris-hq: applied: 14 succeeded.",
        "No changes: the VMS matches the desired state.",
        "out-of-band hall-02: camera.update by `tech`",
        "paris-hq: refused by the gate; nothing was changed.",
        "hash chain intact",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from:\n{text}");
    }
    // Kept with --dir: the repository, the journal and a snapshot are there to explore.
    assert!(dir.path().join("sites-repo/.git").exists());
    assert!(dir.path().join("state/journal.jsonl").exists());
    assert_eq!(
        std::fs::read_dir(dir.path().join("state/snapshots/paris-hq"))
            .expect("snapshots")
            .count(),
        1
    );
}

crate::trials! {
    fn the_demo_runs_plan_gate_apply_drift_and_the_journal,
}
