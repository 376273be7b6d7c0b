//! Hostile request bodies: 4xx JSON errors, never a crash.

use crate::support::{camera, SimProcess};

async fn malformed_mistyped_and_oversized_bodies_are_4xx_json() {
    // The import limit as a product states it (64 MiB by default), lowered to keep the test small.
    let sim = SimProcess::start(&["--max-import-bytes", "4194304"]);
    let http = sim.http();
    let health = http.get("/api/v1/health").await;
    assert_eq!(
        health.json["max_import_bytes"], 4_194_304,
        "{}",
        health.text
    );
    let big_name = "x".repeat(300 << 10);
    let mut oversized = camera("big");
    oversized["name"] = serde_json::json!(big_name);
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        ("POST", "/api/v1/cameras", b"{\"id\": ".to_vec(), 400),
        ("POST", "/api/v1/cameras", b"".to_vec(), 400),
        ("POST", "/api/v1/cameras", b"[1, 2, 3]".to_vec(), 422),
        (
            "POST",
            "/api/v1/cameras",
            b"\"just a string\"".to_vec(),
            422,
        ),
        ("POST", "/api/v1/cameras", b"{\"id\": 5}".to_vec(), 422),
        ("POST", "/api/v1/cameras", vec![0xff, 0xfe, 0x00], 400),
        (
            "POST",
            "/api/v1/cameras",
            oversized.to_string().into_bytes(),
            413,
        ),
        (
            "PUT",
            "/api/v1/settings",
            b"{\"session_timeout_minutes\": -3}".to_vec(),
            422,
        ),
        (
            "PUT",
            "/api/v1/settings",
            b"{\"session_timeout_minutes\": 1e99}".to_vec(),
            422,
        ),
        (
            "PUT",
            "/api/v1/alert-rules/disk_full",
            b"{\"threshold\": null}".to_vec(),
            422,
        ),
        (
            "PUT",
            "/api/v1/config",
            b"{\"format\": \"reference-vms/v1\"}".to_vec(),
            422,
        ),
        ("PUT", "/api/v1/config", vec![b' '; 5 << 20], 413),
    ];
    for (method, path, body, status) in cases {
        let r = http
            .send(method, path, Some(body), &[("if-match", "*")])
            .await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.text);
        assert!(r.json["error"].is_string(), "{method} {path}: {}", r.text);
        assert!(r.journal_seq().is_some(), "{method} {path}: journaled");
    }
    // The config limit is larger: a 2 MiB import is fine.
    let cameras = (0..6000)
        .map(|i| camera(&format!("c-{i:04}")))
        .collect::<Vec<_>>();
    let body = serde_json::json!({"format": "reference-vms/v1", "cameras": cameras,
        "alert_rules": [], "settings": {"session_timeout_minutes": 30}});
    let bytes = body.to_string().into_bytes();
    assert!(bytes.len() > 256 << 10);
    let r = http.send("PUT", "/api/v1/config", Some(bytes), &[]).await;
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(300)]);
    assert_eq!(http.get("/api/v1/health").await.status, 200, "still alive");
    // By default, sized for the largest supported configuration (100,000 cameras).
    let default = SimProcess::start(&[]);
    let health = default.http().get("/api/v1/health").await;
    assert_eq!(health.json["max_import_bytes"], 64 << 20, "{}", health.text);
}

crate::trials! {
    async fn malformed_mistyped_and_oversized_bodies_are_4xx_json,
}
