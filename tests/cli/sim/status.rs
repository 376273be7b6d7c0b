//! `GET /api/v1/cameras/{id}/status`: emulated stream health (`--connect-ms`, `--unreachable-host`).

use std::time::Duration;

use serde_json::json;

use crate::support::{camera, etag, SimProcess};

const CONNECT_MS: u64 = 300;

async fn streams_connect_after_the_delay_restart_on_a_stream_change_and_fail_on_a_dead_host() {
    let sim = SimProcess::start(&[
        "--connect-ms",
        &CONNECT_MS.to_string(),
        "--unreachable-host",
        "dead-01.cams.example",
    ]);
    let http = sim.http();
    let ok = http.create_camera("hall-01").await;
    http.create_camera("dead-01").await;
    let status = |id: &'static str| {
        let http = http.clone();
        async move {
            let r = http.get(&format!("/api/v1/cameras/{id}/status")).await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.json
        }
    };
    let first = status("hall-01").await;
    assert_eq!(first["state"], "connecting", "{first}");
    assert_eq!(
        (first["fps"].as_u64(), first["recording"].as_bool()),
        (Some(0), Some(false))
    );
    assert_eq!(first["camera_id"], "hall-01");
    let settle = || tokio::time::sleep(Duration::from_millis(CONNECT_MS + 200));
    settle().await;
    let up = status("hall-01").await;
    assert_eq!(up["state"], "connected", "{up}");
    assert_eq!(
        (up["fps"].as_u64(), up["recording"].as_bool()),
        (Some(15), Some(true))
    );
    assert!(up["since"]
        .as_str()
        .is_some_and(|s| s > first["since"].as_str().unwrap_or("")));
    let dead = status("dead-01").await;
    assert_eq!(
        (dead["state"].as_str(), dead["fps"].as_u64()),
        (Some("disconnected"), Some(0))
    );

    // A name is not the stream: still connected. An fps change restarts it.
    let mut renamed = camera("hall-01");
    renamed["name"] = json!("Lobby");
    let r = http
        .json(
            "PUT",
            "/api/v1/cameras/hall-01",
            &renamed,
            &[("if-match", &etag(ok))],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(status("hall-01").await["state"], "connected");
    let mut faster = renamed.clone();
    faster["recording"]["fps"] = json!(25);
    let v = r.json["version"].as_u64().expect("version");
    let r = http
        .json(
            "PUT",
            "/api/v1/cameras/hall-01",
            &faster,
            &[("if-match", &etag(v))],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(status("hall-01").await["state"], "connecting");
    settle().await;
    assert_eq!(status("hall-01").await["fps"], 25);

    // Disabled: disabled. Unknown: 404.
    let mut off = faster.clone();
    off["enabled"] = json!(false);
    let v = r.json["version"].as_u64().expect("version");
    let r = http
        .json(
            "PUT",
            "/api/v1/cameras/hall-01",
            &off,
            &[("if-match", &etag(v))],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(status("hall-01").await["state"], "disabled");
    let missing = http.get("/api/v1/cameras/nope/status").await;
    assert_eq!(missing.status, 404, "{}", missing.text);
}

crate::trials! {
    async fn streams_connect_after_the_delay_restart_on_a_stream_change_and_fail_on_a_dead_host,
}
