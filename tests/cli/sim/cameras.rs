//! Cameras: create, read, update, delete, versions and validation.

use serde_json::json;

use crate::support::{camera, etag, SimProcess};

async fn create_read_update_delete_with_versions() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    let r = http
        .json("POST", "/api/v1/cameras", &camera("hall-01"), &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let v1 = r.json["version"].as_u64().expect("version");
    assert_eq!(r.header("etag"), Some(etag(v1)));
    assert_eq!(
        r.header("location").as_deref(),
        Some("/api/v1/cameras/hall-01")
    );

    let r = http.get("/api/v1/cameras/hall-01").await;
    assert_eq!((r.status, r.header("etag")), (200, Some(etag(v1))));
    assert_eq!(r.json["name"], "Camera hall-01");

    let mut changed = camera("hall-01");
    changed["name"] = json!("Hall d'entrée");
    changed["recording"]["fps"] = json!(25);
    changed["version"] = json!("ignored, whatever its type");
    let r = http
        .json(
            "PUT",
            "/api/v1/cameras/hall-01",
            &changed,
            &[("if-match", &etag(v1))],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v2 = r.json["version"].as_u64().expect("version");
    assert!(v2 > v1);
    assert_eq!(r.json["recording"]["fps"], 25);

    // Regression guard: a stale ETag must not update or delete.
    let r = http
        .json(
            "PUT",
            "/api/v1/cameras/hall-01",
            &changed,
            &[("if-match", &etag(v1))],
        )
        .await;
    assert_eq!(r.status, 412, "{}", r.text);
    assert_eq!(r.json["detail"]["current_version"], v2);
    let r = http
        .send(
            "DELETE",
            "/api/v1/cameras/hall-01",
            None,
            &[("if-match", &etag(v1))],
        )
        .await;
    assert_eq!(r.status, 412);

    let r = http
        .send(
            "DELETE",
            "/api/v1/cameras/hall-01",
            None,
            &[("if-match", &etag(v2))],
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    assert_eq!(http.get("/api/v1/cameras/hall-01").await.status, 404);

    // A camera created again never reuses an old version.
    let v3 = http.create_camera("hall-01").await;
    assert!(v3 > v2);
}

async fn conflicts_and_preconditions() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    let v = http.create_camera("a").await;
    let r = http
        .json("POST", "/api/v1/cameras", &camera("a"), &[])
        .await;
    assert_eq!(r.status, 409, "{}", r.text);

    let r = http
        .json("PUT", "/api/v1/cameras/a", &camera("a"), &[])
        .await;
    assert_eq!(r.status, 428, "If-Match is required: {}", r.text);
    let r = http.send("DELETE", "/api/v1/cameras/a", None, &[]).await;
    assert_eq!(r.status, 428);
    let r = http
        .json(
            "PUT",
            "/api/v1/cameras/a",
            &camera("a"),
            &[("if-match", "not-an-etag")],
        )
        .await;
    assert_eq!(r.status, 400);
    let r = http
        .json(
            "PUT",
            "/api/v1/cameras/a",
            &camera("a"),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json["version"].as_u64() > Some(v));

    let r = http
        .json(
            "PUT",
            "/api/v1/cameras/zz",
            &camera("zz"),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, 404);
    let r = http
        .send(
            "DELETE",
            "/api/v1/cameras/zz",
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, 404);
}

async fn vendor_model_and_firmware_are_read_only() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    let v = http.create_camera("a").await;
    for field in ["vendor", "model", "firmware"] {
        let mut body = camera("a");
        body[field] = json!("Other");
        let r = http
            .json("PUT", "/api/v1/cameras/a", &body, &[("if-match", &etag(v))])
            .await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert_eq!(r.json["detail"][0]["field"], field);
    }
    let mut other_id = camera("b");
    other_id["name"] = json!("x");
    let r = http
        .json(
            "PUT",
            "/api/v1/cameras/a",
            &other_id,
            &[("if-match", &etag(v))],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
}

async fn invalid_cameras_are_422_with_every_problem() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    let cases: Vec<(&str, serde_json::Value)> = vec![
        (
            "recording.resolution",
            json!({"recording": {"resolution": "1920*1080"}}),
        ),
        ("recording.fps", json!({"recording": {"fps": 0}})),
        ("recording.fps", json!({"recording": {"fps": 121}})),
        (
            "recording.schedule[0].from",
            json!({"recording": {"schedule": [{"days": ["mon"], "from": "25:00", "to": "24:00"}]}}),
        ),
        (
            "recording.schedule[0].to",
            json!({"recording": {"schedule": [{"days": ["mon"], "from": "10:00", "to": "09:00"}]}}),
        ),
        (
            "recording.schedule[0].days[0]",
            json!({"recording": {"schedule": [{"days": ["funday"], "from": "00:00", "to": "24:00"}]}}),
        ),
        ("id", json!({"id": "Not An Id"})),
        ("stream_url", json!({"stream_url": "not a url"})),
        ("name", json!({"name": ""})),
        ("recording.fps", json!({"recording": {"fps": "fast"}})),
        ("enabled", json!({"enabled": "yes"})),
    ];
    for (field, patch) in cases {
        let mut body = camera("x");
        merge(&mut body, &patch);
        let r = http.json("POST", "/api/v1/cameras", &body, &[]).await;
        assert_eq!(r.status, 422, "{patch}: {}", r.text);
        let fields: Vec<&str> = r.json["detail"]
            .as_array()
            .expect("detail")
            .iter()
            .filter_map(|p| p["field"].as_str())
            .collect();
        assert!(fields.contains(&field), "{patch}: {fields:?}");
    }
    let r = http.get("/api/v1/cameras").await;
    assert_eq!(r.json["items"].as_array().map(Vec::len), Some(0));
}

fn merge(base: &mut serde_json::Value, patch: &serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

async fn alert_rules_and_settings_are_versioned_like_cameras() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    let r = http.get("/api/v1/settings").await;
    assert_eq!(r.json["session_timeout_minutes"], 30, "factory default");
    let sv = r.json["version"].as_u64().expect("version");
    assert_eq!(r.header("etag"), Some(etag(sv)));
    let body = json!({"session_timeout_minutes": 15});
    assert_eq!(
        http.json("PUT", "/api/v1/settings", &body, &[])
            .await
            .status,
        428
    );
    let r = http
        .json("PUT", "/api/v1/settings", &body, &[("if-match", &etag(sv))])
        .await;
    assert_eq!(
        (r.status, &r.json["session_timeout_minutes"]),
        (200, &json!(15))
    );
    let r = http
        .json("PUT", "/api/v1/settings", &body, &[("if-match", &etag(sv))])
        .await;
    assert_eq!(r.status, 412);
    let r = http
        .json(
            "PUT",
            "/api/v1/settings",
            &json!({"session_timeout_minutes": 0}),
            &[("if-match", "*")],
        )
        .await;
    assert_eq!(r.status, 422);

    let rule = json!({"threshold": 30, "recipients": ["noc@client.example"],
                      "escalation": [{"after_minutes": 15, "recipients": ["oncall@client.example"]}]});
    let r = http
        .json("PUT", "/api/v1/alert-rules/signal_loss", &rule, &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let rv = r.json["version"].as_u64().expect("version");
    let r = http
        .json("PUT", "/api/v1/alert-rules/signal_loss", &rule, &[])
        .await;
    assert_eq!(r.status, 412, "creating an existing rule: {}", r.text);
    let r = http
        .json(
            "PUT",
            "/api/v1/alert-rules/signal_loss",
            &rule,
            &[("if-match", &etag(rv))],
        )
        .await;
    assert_eq!(r.status, 200);
    let rv2 = r.json["version"].as_u64().expect("version");
    let r = http
        .json("PUT", "/api/v1/alert-rules/smoke", &rule, &[])
        .await;
    assert_eq!(r.status, 422);
    let r = http.get("/api/v1/alert-rules").await;
    assert_eq!(r.json["items"][0]["kind"], "signal_loss");
    let r = http.get("/api/v1/alert-rules/signal_loss").await;
    assert_eq!(r.header("etag"), Some(etag(rv2)));
    let r = http
        .send(
            "DELETE",
            "/api/v1/alert-rules/signal_loss",
            None,
            &[("if-match", &etag(rv))],
        )
        .await;
    assert_eq!(r.status, 412);
    let r = http
        .send(
            "DELETE",
            "/api/v1/alert-rules/signal_loss",
            None,
            &[("if-match", &etag(rv2))],
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        http.get("/api/v1/alert-rules/signal_loss").await.status,
        404
    );
}

async fn concurrent_writers_with_one_version_get_exactly_one_success() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    let creates = (0..16).map(|_| {
        let http = http.clone();
        async move {
            http.json("POST", "/api/v1/cameras", &camera("race"), &[])
                .await
                .status
        }
    });
    let mut statuses = futures_statuses(creates).await;
    statuses.sort();
    assert_eq!(statuses, [vec![201], vec![409; 15]].concat());

    let v = http.get("/api/v1/cameras/race").await.json["version"]
        .as_u64()
        .expect("version");
    let updates = (0..16).map(|i| {
        let http = http.clone();
        async move {
            let mut body = camera("race");
            body["name"] = json!(format!("writer {i}"));
            http.json(
                "PUT",
                "/api/v1/cameras/race",
                &body,
                &[("if-match", &etag(v))],
            )
            .await
            .status
        }
    });
    let mut statuses = futures_statuses(updates).await;
    statuses.sort();
    assert_eq!(statuses, [vec![200], vec![412; 15]].concat());
    assert_eq!(
        http.journal().await.len(),
        32,
        "every attempt journaled once"
    );
}

async fn futures_statuses(
    futures: impl Iterator<Item = impl std::future::Future<Output = u16> + Send + 'static>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

crate::trials! {
    async fn create_read_update_delete_with_versions,
    async fn conflicts_and_preconditions,
    async fn vendor_model_and_firmware_are_read_only,
    async fn invalid_cameras_are_422_with_every_problem,
    async fn alert_rules_and_settings_are_versioned_like_cameras,
    async fn concurrent_writers_with_one_version_get_exactly_one_success,
}
