//! import, plan and drift against a real `vmsops sim`, through the binary.

use serde_json::{json, Value};

use crate::fixture::{insta_settings, vmsops, GitRepo};
use crate::support::{camera, SimProcess, TOKEN};

/// Runs vmsops with the sim's token in `VMSOPS_TOKEN` and a state directory.
fn run_with(state: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    run_at(("VMSOPS_STATE_DIR", state.display().to_string()), args)
}

/// Runs vmsops with the state location `(variable, value)`.
fn run_at((var, value): (&str, String), args: &[&str]) -> (i32, String, String) {
    let out = vmsops()
        .env("VMSOPS_TOKEN", TOKEN)
        .env(var, value)
        .args(args)
        .output()
        .expect("vmsops runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

/// A VMS already in service: cameras, alert rules, and the procedure's session timeout.
fn seed(sim: &SimProcess) {
    let mut night = camera("dock-01");
    night["recording"]["schedule"] = json!([{"days": ["mon", "tue"], "from": "0:00", "to": "7:00"}, {"days": ["tue", "mon"], "from": "20:00", "to": "24:00"}]);
    let body = json!({
        "format": "reference-vms/v1",
        "cameras": [camera("hall-01"), camera("hall-02"), night],
        "alert_rules": [{"kind": "disk_full", "threshold": 90, "recipients": ["noc@client.example"], "escalation": [{"after_minutes": 30, "recipients": ["it@client.example"]}]}],
        "settings": {"session_timeout_minutes": 15},
    });
    rt().block_on(async {
        let r = sim.http().json("PUT", "/api/v1/config", &body, &[]).await;
        assert_eq!(r.status, 200, "{}", r.text);
    });
}

fn import_then_validate_and_drift_is_clean() {
    let sim = SimProcess::start(&[]);
    seed(&sim);
    let repo = GitRepo::new();
    let state = tempfile::tempdir().expect("state");
    let (code, out, err) = run_with(
        state.path(),
        &[
            "import",
            "--site",
            "hq",
            "--url",
            &sim.url,
            "--out",
            &repo.arg(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("imported 3 cameras, 1 alert rules"), "{out}");
    assert!(state.path().join("sites/hq/baseline.json").exists());
    repo.commit_all(
        "Import hq",
        "Claire Martin",
        "claire.martin@integrator.example",
    );
    let (code, out, _) = run_with(state.path(), &["validate", "--repo", &repo.arg()]);
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = run_with(state.path(), &["drift", "--repo", &repo.arg()]);
    assert_eq!(code, 0, "import then drift must be clean:\n{out}{err}");
    assert!(out.contains("No changes"), "{out}");
    // Importing twice into the same place is refused, changing nothing.
    let (code, _, err) = run_with(
        state.path(),
        &[
            "import",
            "--site",
            "hq",
            "--url",
            &sim.url,
            "--out",
            &repo.arg(),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    // The same import as one JSON document, nothing else on stdout.
    let elsewhere = tempfile::tempdir().expect("out");
    let out_dir = elsewhere.path().to_str().expect("utf-8");
    let args = [
        "import", "--site", "hq", "--url", &sim.url, "--out", out_dir,
    ];
    let (code, out, err) = run_with(state.path(), &[&args[..], &["--format", "json"]].concat());
    assert_eq!(code, 0, "{err}");
    let doc = crate::support::schema::parse_valid("import", &out);
    assert_eq!(
        (doc["site"].as_str(), doc["cameras"].as_u64()),
        (Some("hq"), Some(3))
    );
}

crate::for_each_store! {
    /// import records the baseline; a change made with another account is out-of-band.
    fn drift_reports_out_of_band_changes_since_the_baseline(store: TestStore) {
        let sim = SimProcess::start(&["--token", "eve:eve-token"]);
        seed(&sim);
        let repo = GitRepo::new();
        let (code, out, err) = store.run(
            &[
                "import",
                "--site",
                "hq",
                "--url",
                &sim.url,
                "--out",
                &repo.arg(),
            ],
        );
        assert_eq!(code, 0, "{out}{err}");
        repo.commit_all(
            "Import hq",
            "Claire Martin",
            "claire.martin@integrator.example",
        );
        // Someone changes a camera directly in the VMS, with their own account.
        sim.set_fps_as("eve-token", "hall-02", 5);
        let (code, out, err) = store.run(
            &["drift", "--repo", &repo.arg(), "--format", "json"],
        );
        assert_eq!(code, 2, "{out}{err}");
        let v = crate::support::schema::parse_valid("drift", &out);
        let site = &v["sites"][0];
        assert_eq!(site["operations"][0]["op"], "camera.update");
        assert_eq!(
            site["operations"][0]["changes"][0],
            json!({"path": "recording.fps", "from": 5, "to": 15})
        );
        let oob: Vec<&Value> = site["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["kind"] == "out-of-band")
            .collect();
        assert_eq!(oob.len(), 1, "{out}");
        assert!(
            oob[0]["message"]
                .as_str()
                .expect("msg")
                .contains("camera.update by `eve`"),
            "{out}"
        );
    }
}

fn plan_of_the_example_site_in_three_formats() {
    let sim = SimProcess::start(&[]);
    seed(&sim);
    let repo = GitRepo::example_at(&sim.url);
    let state = tempfile::tempdir().expect("state");
    let (code, text, err) = run_with(state.path(), &["plan", "--repo", &repo.arg()]);
    assert_eq!(code, 0, "{text}{err}");
    assert!(
        text.contains("Plan: 9 to add, 4 to change, 0 to remove."),
        "{text}"
    );
    let (code, json_out, _) = run_with(
        state.path(),
        &[
            "plan",
            "--repo",
            &repo.arg(),
            "--format",
            "json",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(code, 2);
    let (code, md, _) = run_with(
        state.path(),
        &["plan", "--repo", &repo.arg(), "--format", "markdown"],
    );
    assert_eq!(code, 0);
    insta_settings().bind(|| {
        insta::assert_snapshot!("plan-example-text", text);
        insta::assert_snapshot!("plan-example-json", json_out);
        insta::assert_snapshot!("plan-example-markdown", md);
    });
}

fn saved_plan_records_commit_and_fingerprint() {
    let sim = SimProcess::start(&[]);
    let repo = GitRepo::example_at(&sim.url);
    let state = tempfile::tempdir().expect("state");
    let out_file = state.path().join("plan.json");
    let (code, _, err) = run_with(
        state.path(),
        &[
            "plan",
            "--repo",
            &repo.arg(),
            "--out",
            &out_file.display().to_string(),
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let saved = crate::support::schema::parse_valid(
        "plan",
        &std::fs::read_to_string(&out_file).expect("saved"),
    );
    assert_eq!(saved["format_version"], 1);
    assert_eq!(
        saved["sites"][0]["desired_commit"]
            .as_str()
            .expect("commit")
            .len(),
        40
    );
    assert!(saved["sites"][0]["live_fingerprint"]
        .as_str()
        .expect("fp")
        .starts_with("sha256:"));
    assert_eq!(saved["summary"]["add"], 13);
}

fn no_difference_exits_zero_even_with_detailed_exitcode() {
    let sim = SimProcess::start(&[]);
    seed(&sim);
    let repo = GitRepo::new();
    let state = tempfile::tempdir().expect("state");
    run_with(
        state.path(),
        &[
            "import",
            "--site",
            "hq",
            "--url",
            &sim.url,
            "--out",
            &repo.arg(),
        ],
    );
    repo.commit_all(
        "Import",
        "Claire Martin",
        "claire.martin@integrator.example",
    );
    let (code, out, _) = run_with(
        state.path(),
        &["plan", "--repo", &repo.arg(), "--detailed-exitcode"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Plan: 0 to add, 0 to change, 0 to remove."),
        "{out}"
    );
}

fn one_unreachable_vms_does_not_stop_the_others() {
    let sim = SimProcess::start(&[]);
    let repo = GitRepo::example_at(&sim.url);
    let site = repo.read("sites/paris-hq/site.yaml");
    // A second site whose VMS is down (a port nothing listens on).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    repo.write(
        "sites/lyon-dc/site.yaml",
        site.replace("name: paris-hq", "name: lyon-dc")
            .replace(&sim.url, &dead),
    );
    repo.commit_all("Lyon", "Claire Martin", "claire.martin@integrator.example");
    let state = tempfile::tempdir().expect("state");
    let (code, out, err) = run_with(
        state.path(),
        &["plan", "--repo", &repo.arg(), "--format", "json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v = crate::support::schema::parse_valid("plan", &out);
    let lyon = &v["sites"][0];
    let paris = &v["sites"][1];
    assert_eq!(lyon["site"], "lyon-dc");
    assert!(
        lyon["error"].as_str().expect("error").contains("127.0.0.1"),
        "{lyon}"
    );
    assert_eq!(
        paris["operations"].as_array().expect("ops").len(),
        14,
        "{paris}"
    );
    assert_eq!(v["summary"]["errors"], 1);
    // --shard splits the two sites between two runs; together they cover both.
    let names: Vec<String> = (0..2)
        .flat_map(|i| {
            let (_, out, _) = run_with(
                state.path(),
                &[
                    "plan",
                    "--repo",
                    &repo.arg(),
                    "--format",
                    "json",
                    "--shard",
                    &format!("{i}/2"),
                ],
            );
            let v = crate::support::schema::parse_valid("plan", &out);
            v["sites"]
                .as_array()
                .expect("sites")
                .iter()
                .map(|s| s["site"].as_str().expect("name").to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["lyon-dc", "paris-hq"], "{names:?}");
}

fn plan_with_base_lists_commits_tickets_and_policy_changes() {
    let sim = SimProcess::start(&[]);
    let repo = GitRepo::example_at(&sim.url);
    let base = repo.commit_all("noop", "Claire Martin", "claire.martin@integrator.example");
    let site = repo.read("sites/paris-hq/site.yaml");
    repo.write(
        "sites/paris-hq/site.yaml",
        site.replace(
            "regulatory_retention_days: 30",
            "regulatory_retention_days: 21",
        ),
    );
    repo.commit_all(
        "Shorter regulatory retention\n\nTicket: WO-2231",
        "Karim Benali",
        "karim.benali@integrator.example",
    );
    let state = tempfile::tempdir().expect("state");
    let (code, out, err) = run_with(
        state.path(),
        &[
            "plan",
            "--repo",
            &repo.arg(),
            "--base",
            &base,
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v = crate::support::schema::parse_valid("plan", &out);
    let s = &v["sites"][0];
    assert_eq!(s["git"]["commits"][0]["author"], "Karim Benali");
    assert_eq!(s["git"]["commits"][0]["tickets"], json!(["WO-2231"]));
    assert_eq!(s["operations"][0]["op"], "policy.change");
    assert_eq!(s["operations"][0]["class"], "policy");
    assert_eq!(
        s["operations"][0]["changes"],
        json!([{"path": "policy.regulatory_retention_days", "from": 30, "to": 21}])
    );
}

fn the_token_never_appears_even_at_trace_level() {
    let sim = SimProcess::start(&[]);
    seed(&sim);
    let repo = GitRepo::example_at(&sim.url);
    let out_repo = GitRepo::new();
    let state = tempfile::tempdir().expect("state");
    for args in [
        vec!["-vvv", "plan", "--repo", &repo.arg()],
        vec!["-vvv", "drift", "--repo", &repo.arg(), "--format", "json"],
        vec![
            "-vvv",
            "import",
            "--site",
            "x",
            "--url",
            &sim.url,
            "--out",
            &out_repo.arg(),
        ],
    ] {
        let out = vmsops()
            .env("VMSOPS_TOKEN", TOKEN)
            .env("VMSOPS_STATE_DIR", state.path())
            .env("RUST_LOG", "trace")
            .args(&args)
            .output()
            .expect("runs");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.len() > 200, "trace logs expected:\n{all}");
        assert!(!all.contains(TOKEN), "token leaked by {args:?}");
    }
    // A wrong token: the error names the variable and the status, never a token.
    let out = vmsops()
        .env("VMSOPS_TOKEN", "wrong-secret-value")
        .env("VMSOPS_STATE_DIR", state.path())
        .env("RUST_LOG", "trace")
        .args(["plan", "--repo", &repo.arg()])
        .output()
        .expect("runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(all.contains("401") && all.contains("VMSOPS_TOKEN"), "{all}");
    assert!(!all.contains("wrong-secret-value"), "{all}");
}

/// A VMS that answers every request 500 with the request's own headers in its error body.
fn echoing_vms() -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut reader = BufReader::new(s.try_clone().expect("clone"));
            let mut headers = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                headers.push_str(line.trim_end());
                headers.push(' ');
            }
            let body = json!({"error": format!("cannot parse request: {headers}")}).to_string();
            let _ = write!(
                s,
                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

// Regression: a VMS error body that repeats the Authorization header printed `Bearer <token>`.
fn a_vms_that_echoes_the_credential_never_gets_it_printed() {
    let url = echoing_vms();
    let repo = GitRepo::example_at(&url);
    let state = tempfile::tempdir().expect("state");
    let (code, out, err) = run_with(
        state.path(),
        &["-vvv", "plan", "--repo", &repo.arg(), "--format", "json"],
    );
    let all = format!("{out}{err}");
    assert_eq!(code, 1, "{all}");
    assert!(
        all.contains("cannot parse request"),
        "the VMS's message is shown: {all}"
    );
    assert!(all.contains("[redacted]"), "{all}");
    assert!(!all.contains(TOKEN), "the token was printed:\n{all}");
}

// Regression: a 2 GiB Content-Length was read up to the cap, and the GET retried three times.
fn an_oversized_answer_is_refused_before_it_is_read_and_not_retried() {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut reader = BufReader::new(s.try_clone().expect("clone"));
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2147483648\r\n\r\n{{\"items\": ["
            );
        }
    });
    let repo = GitRepo::example_at(&url);
    let state = tempfile::tempdir().expect("state");
    let started = std::time::Instant::now();
    let (code, out, err) = run_with(
        state.path(),
        &["plan", "--repo", &repo.arg(), "--format", "json"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("declares 2147483648 bytes"),
        "{out}{err}"
    );
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "no retry after a size refusal"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

crate::trials! {
    fn import_then_validate_and_drift_is_clean,
    mod drift_reports_out_of_band_changes_since_the_baseline,
    fn plan_of_the_example_site_in_three_formats,
    fn saved_plan_records_commit_and_fingerprint,
    fn no_difference_exits_zero_even_with_detailed_exitcode,
    fn one_unreachable_vms_does_not_stop_the_others,
    fn plan_with_base_lists_commits_tickets_and_policy_changes,
    fn the_token_never_appears_even_at_trace_level,
    fn a_vms_that_echoes_the_credential_never_gets_it_printed,
    fn an_oversized_answer_is_refused_before_it_is_read_and_not_retried,
}
