//! Full export and import.

use serde_json::json;

use crate::support::{camera, etag, SimProcess};

async fn export_then_import_restores_with_new_versions_and_keeps_recordings() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    http.create_camera("a").await;
    http.create_camera("b").await;
    let rule = json!({"threshold": 90, "recipients": ["noc@x.example"]});
    assert_eq!(
        http.json("PUT", "/api/v1/alert-rules/disk_full", &rule, &[])
            .await
            .status,
        201
    );
    let export = http.get("/api/v1/config").await;
    assert_eq!(export.status, 200);
    assert_eq!(export.json["format"], "reference-vms/v1");
    assert!(export.json["exported_at"].is_string());
    assert_eq!(export.json["cameras"].as_array().map(Vec::len), Some(2));
    assert!(export.json["cameras"][0]["version"].is_u64());
    let revision = export.header("etag").expect("etag");

    // Change things, then restore the export.
    let vb = export.json["cameras"][1]["version"]
        .as_u64()
        .expect("version");
    let r = http
        .send(
            "DELETE",
            "/api/v1/cameras/b",
            None,
            &[("if-match", &etag(vb))],
        )
        .await;
    assert_eq!(r.status, 204);
    http.create_camera("c").await;
    let r = http
        .json(
            "PUT",
            "/api/v1/config",
            &export.json,
            &[("if-match", &revision)],
        )
        .await;
    assert_eq!(r.status, 412, "the configuration changed since the export");
    let r = http.json("PUT", "/api/v1/config", &export.json, &[]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.journal_seq(),
        Some(7),
        "after 5 changes and the refused import"
    );

    let now = http.get("/api/v1/config").await.json;
    let ids: Vec<&str> = now["cameras"]
        .as_array()
        .expect("cameras")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    let old_max = export.json["cameras"][1]["version"]
        .as_u64()
        .expect("version");
    assert!(
        now["cameras"][0]["version"].as_u64() > Some(old_max),
        "versions bumped"
    );
    assert_eq!(now["alert_rules"][0]["kind"], "disk_full");
    // c was removed by the import; its recordings stay.
    let r = http.get("/api/v1/cameras/c/recordings").await;
    assert_eq!(r.status, 200);
    assert!(r.json["oldest"].is_string());
}

async fn an_invalid_import_changes_nothing() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    http.create_camera("keep").await;
    let mut bad = camera("x");
    bad["recording"]["fps"] = json!(500);
    let body = json!({"format": "reference-vms/v1", "cameras": [camera("dup"), camera("dup"), bad],
        "alert_rules": [{"threshold": 1, "recipients": []}], "settings": {"session_timeout_minutes": 30}});
    let r = http.json("PUT", "/api/v1/config", &body, &[]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let fields: Vec<&str> = r.json["detail"]
        .as_array()
        .expect("detail")
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "cameras[1].id",
            "cameras[2].recording.fps",
            "alert_rules[0].kind",
            "alert_rules[0].recipients"
        ]
    );
    let wrong_format = json!({"format": "other/v9", "cameras": [], "alert_rules": [],
        "settings": {"session_timeout_minutes": 30}});
    assert_eq!(
        http.json("PUT", "/api/v1/config", &wrong_format, &[])
            .await
            .status,
        422
    );
    assert_eq!(http.get("/api/v1/cameras/keep").await.status, 200);
}

crate::trials! {
    async fn export_then_import_restores_with_new_versions_and_keeps_recordings,
    async fn an_invalid_import_changes_nothing,
}
