//! The state file: a 2xx is durable, a restart resumes exactly.

use serde_json::json;

use crate::support::{etag, SimProcess};

async fn a_killed_sim_resumes_with_the_same_versions_journal_and_recordings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("vms-state.json");
    let state = state.to_str().expect("utf-8 path");
    let mut sim = SimProcess::start(&["--state", state]);
    let http = sim.http();
    assert_eq!(
        http.get("/api/v1/settings").await.json["session_timeout_minutes"],
        30
    );
    let va = http.create_camera("a").await;
    http.create_camera("b").await;
    let r = http
        .send(
            "DELETE",
            "/api/v1/cameras/a",
            None,
            &[("if-match", &etag(va))],
        )
        .await;
    assert_eq!(r.status, 204);
    let r = http
        .json(
            "PUT",
            "/api/v1/settings",
            &json!({"session_timeout_minutes": 12}),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(r.status, 200);
    let failed = http
        .json("POST", "/api/v1/cameras", &crate::support::camera("b"), &[])
        .await;
    assert_eq!(failed.status, 409);
    let before = (
        http.get("/api/v1/cameras").await.json,
        http.get("/api/v1/settings").await.json,
        http.get("/api/v1/alert-rules").await.json,
        http.journal().await,
        http.get("/api/v1/cameras/a/recordings").await.json,
    );
    sim.kill();

    let sim = SimProcess::start(&["--state", state]);
    let http = sim.http();
    let after = (
        http.get("/api/v1/cameras").await.json,
        http.get("/api/v1/settings").await.json,
        http.get("/api/v1/alert-rules").await.json,
        http.journal().await,
        http.get("/api/v1/cameras/a/recordings").await.json,
    );
    assert_eq!(after, before);
    assert_eq!(after.3.len(), 5, "the failed attempt is journaled too");
    // The next version continues after the last one.
    let vc = http.create_camera("c").await;
    assert!(vc > before.1["version"].as_u64().expect("version"));
    assert_eq!(http.journal().await.last().expect("entry")["seq"], 6);
}

async fn sigterm_stops_cleanly_and_keeps_the_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("s.json");
    let state = state.to_str().expect("utf-8 path");
    let mut sim = SimProcess::start(&["--state", state]);
    sim.http().create_camera("a").await;
    let status = sim.terminate();
    assert!(status.success(), "{status:?}: {}", sim.stderr());
    let sim = SimProcess::start(&["--state", state]);
    assert_eq!(sim.http().get("/api/v1/cameras/a").await.status, 200);
}

fn a_corrupt_state_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("s.json");
    std::fs::write(&state, "this is not a state file\n").expect("write");
    let (status, _, stderr) = crate::support::SimArgs::default()
        .args(["--state", state.to_str().expect("utf-8 path")])
        .run_to_exit();
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("corrupt at line 1"), "{stderr}");
}

crate::trials! {
    async fn a_killed_sim_resumes_with_the_same_versions_journal_and_recordings,
    async fn sigterm_stops_cleanly_and_keeps_the_state,
    fn a_corrupt_state_file_is_refused,
}
