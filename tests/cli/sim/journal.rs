//! The VMS's own journal: every mutation attempt, with request ids.

use serde_json::json;

use crate::support::{camera, etag, SimProcess, USER};

async fn every_attempt_is_journaled_with_its_request_id_and_operator() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    let ids = [("x-request-id", "req-1"), ("x-on-behalf-of", "jdoe")];
    let ok = http
        .json("POST", "/api/v1/cameras", &camera("a"), &ids)
        .await;
    assert_eq!((ok.status, ok.journal_seq()), (201, Some(1)));
    let dup = http
        .json(
            "POST",
            "/api/v1/cameras",
            &camera("a"),
            &[
                ("x-request-id", "req-2"),
                ("x-on-behalf-of", "Renée Dupont"),
            ],
        )
        .await;
    assert_eq!((dup.status, dup.journal_seq()), (409, Some(2)));
    let bad = http
        .send("POST", "/api/v1/cameras", Some(b"{oops".to_vec()), &[])
        .await;
    assert_eq!((bad.status, bad.journal_seq()), (400, Some(3)));
    let stale = http
        .send(
            "DELETE",
            "/api/v1/cameras/a",
            None,
            &[("if-match", "\"999\"")],
        )
        .await;
    assert_eq!((stale.status, stale.journal_seq()), (412, Some(4)));
    let rule = json!({"threshold": 90, "recipients": ["noc@x.example"]});
    let r = http
        .json("PUT", "/api/v1/alert-rules/disk_full", &rule, &[])
        .await;
    assert_eq!(r.journal_seq(), Some(5));
    let v = ok.json["version"].as_u64().expect("version");
    let del = http
        .send(
            "DELETE",
            "/api/v1/cameras/a",
            None,
            &[("if-match", &etag(v))],
        )
        .await;
    assert_eq!((del.status, del.journal_seq()), (204, Some(6)));
    // Reads are not journaled.
    assert_eq!(http.get("/api/v1/cameras").await.journal_seq(), None);

    let journal = http.journal().await;
    let row = |e: &serde_json::Value| {
        (
            e["seq"].as_u64().unwrap_or(0),
            e["action"].as_str().unwrap_or("").to_string(),
            e["target"].as_str().unwrap_or("").to_string(),
            e["result"].as_str().unwrap_or("").to_string(),
            e["request_id"].as_str().map(String::from),
            e["on_behalf_of"].as_str().map(String::from),
        )
    };
    let rows: Vec<_> = journal.iter().map(row).collect();
    let s = |v: &str| v.to_string();
    assert_eq!(
        rows,
        [
            (
                1,
                s("camera.create"),
                s("a"),
                s("success"),
                Some(s("req-1")),
                Some(s("jdoe"))
            ),
            (
                2,
                s("camera.create"),
                s("a"),
                s("failure"),
                Some(s("req-2")),
                Some(s("Renée Dupont"))
            ),
            (3, s("camera.create"), s(""), s("failure"), None, None),
            (4, s("camera.delete"), s("a"), s("failure"), None, None),
            (
                5,
                s("alert.create"),
                s("disk_full"),
                s("success"),
                None,
                None
            ),
            (6, s("camera.delete"), s("a"), s("success"), None, None),
        ]
    );
    assert!(journal
        .iter()
        .all(|e| e["user"] == USER && e["at"].is_string()));
}

async fn the_journal_pages_with_since_and_is_read_only() {
    let sim = SimProcess::start(&[]);
    let http = sim.http();
    for i in 0..5 {
        http.create_camera(&format!("c-{i}")).await;
    }
    let r = http.get("/api/v1/journal?since=2&limit=2").await;
    let seqs: Vec<u64> = r.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["seq"].as_u64())
        .collect();
    assert_eq!(seqs, [2, 3]);
    assert_eq!(
        (r.json["next_seq"].as_u64(), r.json["last_seq"].as_u64()),
        (Some(4), Some(5))
    );
    let r = http.get("/api/v1/journal?since=6").await;
    assert_eq!(
        (
            r.json["items"].as_array().map(Vec::len),
            r.json["next_seq"].as_u64()
        ),
        (Some(0), Some(6))
    );
    assert_eq!(http.get("/api/v1/journal?since=x").await.status, 400);
    for method in ["POST", "PUT", "DELETE"] {
        let r = http
            .send(method, "/api/v1/journal", Some(b"{}".to_vec()), &[])
            .await;
        assert_eq!(r.status, 405, "{method}");
    }
    assert_eq!(http.journal().await.len(), 5);
}

crate::trials! {
    async fn every_attempt_is_journaled_with_its_request_id_and_operator,
    async fn the_journal_pages_with_since_and_is_read_only,
}
