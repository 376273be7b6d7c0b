//! Recordings per camera: growing spans that survive deletion, and seeds.

use serde_json::json;

use crate::support::{etag, SimProcess};

fn ts(v: &serde_json::Value) -> jiff::Timestamp {
    v.as_str().expect("timestamp").parse().expect("RFC 3339")
}

async fn recordings_grow_while_enabled_and_survive_deletion() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    assert_eq!(http.get("/api/v1/cameras/a/recordings").await.status, 404);
    let v = http.create_camera("a").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = http.get("/api/v1/cameras/a/recordings").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["camera_id"], "a");
    let (oldest, newest) = (ts(&r.json["oldest"]), ts(&r.json["newest"]));
    assert!(newest > oldest);
    assert!(r.json["bytes"].as_u64() > Some(0), "{}", r.text);
    let r = http
        .send(
            "DELETE",
            "/api/v1/cameras/a",
            None,
            &[("if-match", &etag(v))],
        )
        .await;
    assert_eq!(r.status, 204);
    let frozen = http.get("/api/v1/cameras/a/recordings").await.json;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let later = http.get("/api/v1/cameras/a/recordings").await.json;
    assert_eq!(frozen, later, "frozen at deletion");
    assert_eq!(ts(&later["oldest"]), oldest);

    let mut disabled = crate::support::camera("off");
    disabled["enabled"] = json!(false);
    assert_eq!(
        http.json("POST", "/api/v1/cameras", &disabled, &[])
            .await
            .status,
        201
    );
    let r = http.get("/api/v1/cameras/off/recordings").await;
    assert_eq!(
        (r.json["oldest"].is_null(), r.json["bytes"].as_u64()),
        (true, Some(0))
    );
}

async fn seeded_recordings_are_served_for_deleted_cameras() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seed = dir.path().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"old-cam": {"oldest": "2024-01-01T00:00:00Z", "newest": "2024-03-01T00:00:00Z", "bytes": 123456}}"#,
    )
    .expect("write");
    let sim = SimProcess::start(&["--seed-recordings", seed.to_str().expect("utf-8")]);
    let r = sim.http().get("/api/v1/cameras/old-cam/recordings").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json,
        json!({"camera_id": "old-cam", "oldest": "2024-01-01T00:00:00Z",
               "newest": "2024-03-01T00:00:00Z", "bytes": 123456})
    );

    std::fs::write(&seed, r#"{"x": {"oldest": "yesterday"}}"#).expect("write");
    let (status, _, stderr) = crate::support::SimArgs::default()
        .args(["--seed-recordings", seed.to_str().expect("utf-8")])
        .run_to_exit();
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("--seed-recordings"), "{stderr}");
}

crate::trials! {
    async fn recordings_grow_while_enabled_and_survive_deletion,
    async fn seeded_recordings_are_served_for_deleted_cameras,
}
