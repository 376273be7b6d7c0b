//! Fault injection flags.

use std::time::Instant;

use crate::support::{camera, SimProcess};

async fn create_statuses(sim: &SimProcess, n: usize) -> Vec<u16> {
    let http = sim.http();
    let mut out = Vec::new();
    for i in 0..n {
        let r = http
            .json("POST", "/api/v1/cameras", &camera(&format!("c-{i}")), &[])
            .await;
        assert!(r.json["error"].is_string() || r.status == 201, "{}", r.text);
        out.push(r.status);
    }
    out
}

async fn latency_delays_every_request() {
    let sim = SimProcess::start(&["--latency-ms", "300"]);
    let http = sim.http();
    for path in ["/api/v1/health", "/api/v1/cameras"] {
        let start = Instant::now();
        assert_eq!(http.get(path).await.status, 200);
        assert!(
            start.elapsed().as_millis() >= 300,
            "{path}: {:?}",
            start.elapsed()
        );
    }
}

async fn fail_rate_one_answers_503_to_mutations_only() {
    let sim = SimProcess::start(&["--fail-rate", "1"]);
    assert_eq!(create_statuses(&sim, 3).await, [503, 503, 503]);
    let http = sim.http();
    assert_eq!(http.get("/api/v1/cameras").await.status, 200);
    let journal = http.journal().await;
    assert_eq!(journal.len(), 3);
    assert!(journal.iter().all(|e| e["result"] == "failure"));
    assert_eq!(http.get("/api/v1/cameras/c-0").await.status, 404);
}

async fn fail_rate_half_fails_some_and_passes_some() {
    let sim = SimProcess::start(&["--fail-rate", "0.5"]);
    let statuses = create_statuses(&sim, 40).await;
    let failed = statuses.iter().filter(|s| **s == 503).count();
    // 40 draws at p = 0.5: all-or-nothing has probability 2^-39.
    assert!(failed > 0 && failed < 40, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 503 || *s == 201));
}

async fn fail_after_n_fails_every_later_mutation() {
    let sim = SimProcess::start(&["--fail-after", "2"]);
    assert_eq!(create_statuses(&sim, 5).await, [201, 201, 500, 500, 500]);
}

async fn fail_after_n_m_fails_only_a_window() {
    let sim = SimProcess::start(&["--fail-after", "1:2"]);
    assert_eq!(create_statuses(&sim, 5).await, [201, 500, 500, 201, 201]);
    let r = sim.http().get("/api/v1/cameras").await;
    let ids: Vec<&str> = r.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["c-0", "c-3", "c-4"],
        "failed mutations changed nothing"
    );
}

fn bad_fault_flags_are_refused() {
    for args in [["--fail-rate", "1.5"], ["--fail-after", "x:1"]] {
        let (status, _, stderr) = crate::support::SimArgs::default().args(args).run_to_exit();
        assert_ne!(status.code(), Some(0), "{args:?}");
        assert!(stderr.contains(args[0]), "{stderr}");
    }
}

crate::trials! {
    async fn latency_delays_every_request,
    async fn fail_rate_one_answers_503_to_mutations_only,
    async fn fail_rate_half_fails_some_and_passes_some,
    async fn fail_after_n_fails_every_later_mutation,
    async fn fail_after_n_m_fails_only_a_window,
    fn bad_fault_flags_are_refused,
}
