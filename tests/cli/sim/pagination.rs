//! Paginated camera lists.

use std::collections::BTreeSet;

use crate::support::{camera, SimProcess};

async fn walks_2500_cameras_in_pages_of_1000() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    let ids: Vec<String> = (0..2500).map(|i| format!("cam-{i:05}")).collect();
    http.import_cameras(ids.iter().rev().map(|id| camera(id)).collect())
        .await;

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/cameras?limit=1000&cursor={c}"),
            None => "/api/v1/cameras?limit=1000".to_string(),
        };
        let r = http.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.json["items"].as_array().expect("items");
        sizes.push(items.len());
        seen.extend(
            items
                .iter()
                .map(|c| c["id"].as_str().expect("id").to_string()),
        );
        match r.json.get("next_cursor").and_then(|c| c.as_str()) {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(sizes, [1000, 1000, 500]);
    assert_eq!(seen, ids, "every camera once, sorted by id");
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 2500);
}

async fn default_limit_and_bad_parameters() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    http.import_cameras((0..150).map(|i| camera(&format!("c-{i:03}"))).collect())
        .await;
    let r = http.get("/api/v1/cameras").await;
    assert_eq!(r.json["items"].as_array().map(Vec::len), Some(100));
    assert!(r.json["next_cursor"].is_string());
    for bad in [
        "limit=1001",
        "limit=0",
        "limit=-1",
        "limit=many",
        "cursor=zz",
        "cursor=abc",
    ] {
        let r = http.get(&format!("/api/v1/cameras?{bad}")).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert!(r.json["error"].is_string(), "{bad}: {}", r.text);
    }
    // A cursor stays valid when the camera it points after is deleted.
    let first = http.get("/api/v1/cameras?limit=10").await;
    let cursor = first.json["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_string();
    let v = first.json["items"][9]["version"].as_u64().expect("version");
    let r = http
        .send(
            "DELETE",
            "/api/v1/cameras/c-009",
            None,
            &[("if-match", &format!("\"{v}\""))],
        )
        .await;
    assert_eq!(r.status, 204);
    let r = http
        .get(&format!("/api/v1/cameras?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(r.json["items"][0]["id"], "c-010");
}

crate::trials! {
    async fn walks_2500_cameras_in_pages_of_1000,
    async fn default_limit_and_bad_parameters,
}
