//! `vmsops watch` end to end: a sim, a webhook receiver, a scrape of /metrics, SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::fixture::{GitRepo, NOW};
use crate::support::{SimProcess, TOKEN};

/// A webhook receiver: every POST body arrives on the channel; answers 200.
fn receiver() -> (String, mpsc::Receiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut reader = BufReader::new(s.try_clone().expect("clone"));
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            if reader.read_exact(&mut body).is_ok() {
                if let Ok(v) = serde_json::from_slice(&body) {
                    let _ = tx.send(v);
                }
            }
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (url, rx)
}

fn scrape(url: &str) -> String {
    scrape_accepting(url, "*/*")
}

/// The /metrics answer (headers and body) for a scraper sending `accept`.
fn scrape_accepting(url: &str, accept: &str) -> String {
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics");
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nhost: x\r\naccept: {accept}\r\nconnection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

/// `promtool check metrics` on a scrape's body: Prometheus's own linter, from its Debian package.
fn promtool_check(answer: &str) {
    let body = answer.split_once("\r\n\r\n").map_or(answer, |(_, b)| b);
    let mut child = match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => {
            assert!(
                std::env::var_os("VMSOPS_PROMTOOL_REQUIRED").is_none(),
                "VMSOPS_PROMTOOL_REQUIRED is set but promtool is not on PATH"
            );
            eprintln!("promtool check skipped: install promtool (Debian package prometheus)");
            return;
        }
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool check metrics: {}{}\n{body}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn watch_reports_transitions_serves_metrics_and_stops_on_sigterm() {
    let sim = SimProcess::start(&[]);
    let repo = GitRepo::example_at(&sim.url);
    let state = tempfile::tempdir().expect("state");
    // The site was applied at HEAD, with a baseline at the (empty) VMS journal's end,
    // and another vmsops user's request id is in the shared journal.
    let store = applied_at_head(state.path(), &repo, &sim.url);
    let mut restore = vmsops::audit::NewEntry::new(
        NOW.parse().expect("now"),
        vmsops::audit::Action::Restore,
        vmsops::audit::EntryResult::Started,
    );
    restore.detail = json!({"request_id": "watch-restores-1"})
        .as_object()
        .cloned();
    vmsops::audit::Journal::open(&store)
        .append(restore)
        .expect("journal");
    let (hook, received) = receiver();
    let spawn = || {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("vmsops"))
            .args([
                "watch",
                "--interval",
                "300ms",
                "--repo",
                &repo.arg(),
                "--metrics-addr",
                "127.0.0.1:0",
                "--webhook",
                &hook,
            ])
            .env("VMSOPS_TOKEN", TOKEN)
            .env("VMSOPS_STATE_DIR", state.path())
            .env("VMSOPS_NOW", NOW)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn watch");
        let url = metrics_url(&mut child);
        (child, url)
    };
    let (first_watch, metrics_url) = spawn();

    // Drift appears: the sim is empty, the site has 10 cameras.
    let msg = received
        .recv_timeout(Duration::from_secs(20))
        .expect("a webhook");
    crate::support::schema::assert_valid("webhook", &msg);
    assert_eq!(msg["transition"], "appeared");
    assert_eq!(msg["site"], "paris-hq");
    assert_eq!(msg["operations"], 14);
    assert!(msg["text"]
        .as_str()
        .expect("text")
        .contains("drift on site paris-hq"));
    assert_eq!(
        (msg["format_version"].as_u64(), msg["status"].as_str()),
        (Some(1), Some("drifted")),
        "{msg}"
    );
    // Not every cycle: nothing more while the drift stays the same.
    assert!(
        received.recv_timeout(Duration::from_millis(1200)).is_err(),
        "posted again without change"
    );

    let m = scrape(&metrics_url);
    assert!(
        m.contains("vmsops_drift_operations{site=\"paris-hq\"} 14"),
        "{m}"
    );
    assert!(
        m.contains("vmsops_check_duration_seconds_count{site=\"paris-hq\"}"),
        "{m}"
    );
    assert!(
        m.contains("vmsops_last_check_timestamp_seconds{site=\"paris-hq\"}"),
        "{m}"
    );
    assert!(
        m.contains("vmsops_site_status{site=\"paris-hq\",status=\"drifted\"} 1")
            && m.contains("vmsops_site_status{site=\"paris-hq\",status=\"in-sync\"} 0")
            && m.contains("vmsops_site_last_check_success{site=\"paris-hq\"} 1")
            && m.contains("vmsops_build_info{version="),
        "{m}"
    );
    // Every health is exported, at 0 when no camera has it (this VMS has none yet).
    assert!(
        m.contains("vmsops_camera_health{site=\"paris-hq\",health=\"healthy\"} 0")
            && m.contains("vmsops_camera_health{site=\"paris-hq\",health=\"degraded\"} 0"),
        "{m}"
    );

    assert!(m.contains("text/plain; version=0.0.4"), "{m}");
    let om = scrape_accepting(&metrics_url, "application/openmetrics-text; version=1.0.0");
    assert!(
        om.contains("application/openmetrics-text") && om.contains("# EOF"),
        "{om}"
    );
    assert!(
        om.contains("vmsops_check_errors_total{site=\"paris-hq\"} 0"),
        "counters from the start: {om}"
    );

    // A restart keeps what was notified: no second "appeared" for the same drift.
    stop(first_watch);
    let (child, metrics_url) = spawn();
    assert!(
        received.recv_timeout(Duration::from_millis(1500)).is_err(),
        "a restarted watch repeated the notification"
    );

    // The VMS is brought back to what was applied (by another vmsops user, whose request id
    // is in the shared journal, so not out-of-band): the drift clears.
    let rt = tokio::runtime::Runtime::new().expect("rt");
    rt.block_on(async {
        let tree = vmsops::desired::Tree::open(repo.path(), "HEAD").expect("open");
        let desired = vmsops::desired::load(&tree, "HEAD", None).expect("load");
        let doc = &desired.sites[0];
        let site = doc.site.as_ref().expect("site");
        let comparable = vmsops::plan::comparable::ComparableConfig::from_desired(site, doc.cameras.iter().map(|c| &c.camera));
        let cameras: Vec<Value> = comparable
            .cameras
            .values()
            .map(|c| json!({"id": c.id, "name": c.name, "vendor": c.vendor, "model": c.model, "firmware": c.firmware,
                "stream_url": c.stream_url, "enabled": c.enabled,
                "recording": {"resolution": c.resolution, "fps": c.fps, "retention_days": c.retention_days,
                    "schedule": vmsops::model::schedule::entries(&c.schedule)}}))
            .collect();
        let rules: Vec<Value> = comparable.alerts.expect("alerts").values().map(|a| serde_json::to_value(a.to_rule()).expect("rule")).collect();
        let body = json!({"format": "reference-vms/v1", "cameras": cameras, "alert_rules": rules, "settings": {"session_timeout_minutes": 15}});
        let r = sim
            .http()
            .json("PUT", "/api/v1/config", &body, &[("x-request-id", "watch-restores-1")])
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    });
    let msg = received
        .recv_timeout(Duration::from_secs(20))
        .expect("a second webhook");
    crate::support::schema::assert_valid("webhook", &msg);
    assert_eq!(msg["transition"], "cleared", "{msg}");
    assert_eq!(
        (msg["status"].as_str(), msg["previous_status"].as_str()),
        (Some("in-sync"), Some("drifted")),
        "{msg}"
    );
    assert_eq!(msg["operations"], 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let m = scrape(&metrics_url);
        if m.contains("vmsops_drift_operations{site=\"paris-hq\"} 0") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "metrics never showed 0 operations:\n{m}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // SIGTERM: a clean stop, exit 0.
    stop(child);
}

/// A directory store where paris-hq was applied at HEAD of `repo`, with a baseline at
/// the (empty) VMS journal's end.
fn applied_at_head(
    state: &std::path::Path,
    repo: &GitRepo,
    url: &str,
) -> vmsops::state::StateStore {
    let r = git2::Repository::open(repo.path()).expect("repo");
    let head = r
        .head()
        .and_then(|h| h.peel_to_commit())
        .expect("HEAD")
        .id()
        .to_string();
    let store = vmsops::state::StateStore::resolve(Some(state), &|_| None).expect("state");
    let at = NOW.parse().expect("now");
    let applied = vmsops::state::Applied {
        commit: head,
        at,
        operator: "claire.martin".into(),
        agent: "cli".into(),
        journal_seq: None,
        journal_hash: None,
    };
    store.set_applied("paris-hq", &applied).expect("applied");
    let baseline = vmsops::state::Baseline {
        journal_cursor: Some("1".into()),
        at,
        reason: "first-apply".into(),
        url: url.to_string(),
        origin: None,
    };
    store.set_baseline("paris-hq", &baseline).expect("baseline");
    store
}

/// The metrics URL a watch prints as the first line of its stdout.
fn metrics_url(child: &mut std::process::Child) -> String {
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("line");
    first
        .trim()
        .strip_prefix("metrics on ")
        .expect("metrics line")
        .to_string()
}

/// SIGTERM, then the exit code must be 0 within ten seconds.
fn stop(mut child: std::process::Child) {
    stop_with_sigterm(&child);
    let deadline = Instant::now() + Duration::from_secs(10);
    let code = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s.code();
        }
        assert!(Instant::now() < deadline, "watch did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(code, Some(0));
}

fn one_unreachable_vms_is_counted_and_the_others_are_checked() {
    let sim = SimProcess::start(&[]);
    let repo = GitRepo::example_at(&sim.url);
    let site = repo.read("sites/paris-hq/site.yaml");
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    repo.write(
        "sites/lyon-dc/site.yaml",
        site.replace("name: paris-hq", "name: lyon-dc")
            .replace(&sim.url, &dead),
    );
    repo.commit_all("Lyon", "Claire Martin", "claire.martin@integrator.example");
    let state = tempfile::tempdir().expect("state");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("vmsops"))
        .args([
            "watch",
            "--interval",
            "200ms",
            "--repo",
            &repo.arg(),
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .env("VMSOPS_TOKEN", TOKEN)
        .env("VMSOPS_STATE_DIR", state.path())
        .env("VMSOPS_HTTP_TIMEOUT", "2s")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn watch");
    let metrics_url = metrics_url(&mut child);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let m = scrape(&metrics_url);
        if m.contains("vmsops_check_errors_total{site=\"lyon-dc\"}")
            && m.contains("vmsops_drift_operations{site=\"paris-hq\"} 14")
        {
            break;
        }
        assert!(Instant::now() < deadline, "{m}");
        std::thread::sleep(Duration::from_millis(100));
    }
    stop_with_sigterm(&child);
    let out = child.wait_with_output().expect("watch ends");
    let logs = String::from_utf8_lossy(&out.stderr);
    // Without -v: the start, each status change and each failed check, in words.
    assert!(
        logs.contains("watching ") && logs.contains("every 200ms"),
        "{logs}"
    );
    assert!(logs.contains("paris-hq: (first check) → unknown"), "{logs}");
    assert!(
        logs.contains("check failed") && logs.contains("lyon-dc"),
        "{logs}"
    );
    assert!(
        !logs.contains("Some(") && !logs.contains(" checked"),
        "no debug rendering, no per-cycle line: {logs}"
    );
}

fn stop_with_sigterm(child: &std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Runs `vmsops watch --apply` until `until` holds (checked every 100 ms), then stops it with SIGTERM.
fn watch_apply_until(
    op: &crate::apply::approved::Operator,
    repo: &crate::apply::approved::Approved,
    until: impl Fn() -> bool,
    at_most: Duration,
) -> String {
    let child = Command::new(assert_cmd::cargo::cargo_bin("vmsops"))
        .args([
            "watch",
            "--apply",
            "--interval",
            "200ms",
            "--repo",
            &repo.arg(),
        ])
        .env("VMSOPS_TOKEN", TOKEN)
        .env("VMSOPS_STATE_DIR", op.state())
        .env("VMSOPS_NOW", crate::apply::approved::IN_WINDOW)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn watch --apply");
    let deadline = Instant::now() + at_most;
    while !until() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Give a waiting loop one more cycle to say why it waits.
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("watch stops");
    assert_eq!(
        out.status.code(),
        Some(0),
        "watch --apply must stop cleanly"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn fps_of(sim: &SimProcess, id: &str) -> u64 {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    rt.block_on(async {
        sim.http().get(&format!("/api/v1/cameras/{id}")).await.json["recording"]["fps"]
            .as_u64()
            .unwrap_or(0)
    })
}

fn watch_apply_applies_approved_changes_in_the_approvers_name_and_waits_for_the_others() {
    use crate::apply::approved::{Approved, Operator, APPROVER};
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let op = Operator::new();
    // The first apply names its trusted base; the loop then follows the branch.
    let first = op.apply(&repo, &["--base", "HEAD"]);
    assert_eq!(first.code, 0, "{first}");
    assert_eq!(fps_of(&sim, "hall-01"), 25);

    // An approved recording change, inside the window: the loop applies it.
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "recording: { fps: 25 }",
        "recording: { fps: 20 }",
    );
    repo.commit("hall-01 at 20 fps", Some("WO-2"));
    repo.approve("wo-2");
    // What the loop applies, it verifies: it keeps running until the changed camera's
    // verdict is journaled (stopped earlier, a loaded machine would cut the verification).
    let verified = |o: &Operator| {
        o.journal()
            .iter()
            .any(|e| e["action"] == "verify" && e["target"] == "hall-01")
    };
    watch_apply_until(
        &op,
        &repo,
        || fps_of(&sim, "hall-01") == 20 && verified(&op),
        Duration::from_secs(30),
    );
    assert_eq!(fps_of(&sim, "hall-01"), 20);
    let journal = op.journal();
    let update = journal
        .iter()
        .find(|e| e["action"] == "camera.update" && e["result"] == "success")
        .expect("the loop's update is journaled");
    assert_eq!(
        update["operator"], APPROVER.1,
        "accountable: the approval's tagger"
    );
    assert_eq!(update["detail"]["agent"], "watch");
    assert_eq!(update["approval"]["tag"], "approve/wo-2");
    assert_eq!(update["detail"]["window"], "tuesday-night");
    assert!(verified(&op), "the loop's verify entry");
    let journal = op.journal();
    let verdict = journal
        .iter()
        .find(|e| e["action"] == "verify" && e["target"] == "hall-01")
        .expect("verified");
    assert_eq!(
        (
            verdict["result"].as_str(),
            verdict["detail"]["agent"].as_str()
        ),
        (Some("success"), Some("watch"))
    );

    // An unapproved change: the loop waits, says why, and changes nothing.
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "recording: { fps: 20 }",
        "recording: { fps: 30 }",
    );
    repo.commit("hall-01 at 30 fps", Some("WO-3"));
    let before = op.journal().len();
    // A few cycles (200 ms each) are enough to see it wait.
    let logs = watch_apply_until(&op, &repo, || false, Duration::from_secs(2));
    assert!(
        logs.contains("the gate does not allow it yet") && logs.contains("approval"),
        "{logs}"
    );
    assert_eq!(fps_of(&sim, "hall-01"), 20);
    assert_eq!(
        op.journal().len(),
        before,
        "waiting is not journaled every cycle"
    );
    assert_eq!(op.verify().code, 0);
}

/// A revision whose commit names no author email has nobody to answer for it: the loop
/// says so and applies nothing, even with an approval (it never acts as an empty operator).
fn watch_apply_skips_a_revision_that_names_no_one() {
    use crate::apply::approved::{Approved, Operator};
    let sim = SimProcess::start(&[]);
    let repo = Approved::at(&sim.url);
    let op = Operator::new();
    let first = op.apply(&repo, &["--base", "HEAD"]);
    assert_eq!(first.code, 0, "{first}");
    repo.edit(
        "sites/paris-hq/cameras/entrance.yaml",
        "recording: { fps: 25 }",
        "recording: { fps: 20 }",
    );
    // libgit2 refuses to write an empty email; git writes `Claire Martin <>`.
    let committed = Command::new("git")
        .current_dir(repo.repo.path())
        .args([
            "-c",
            "user.name=Claire Martin",
            "-c",
            "user.email=claire@client.example",
        ])
        .args(["commit", "-qam", "hall-01 at 20 fps\n\nTicket: WO-2"])
        .args(["--author", "Claire Martin <>"])
        .status()
        .expect("git runs");
    assert!(committed.success());
    repo.approve("wo-2");
    let before = op.journal().len();
    let logs = watch_apply_until(&op, &repo, || false, Duration::from_secs(2));
    assert!(
        logs.contains("no one is accountable") && logs.contains("paris-hq"),
        "{logs}"
    );
    assert_eq!(fps_of(&sim, "hall-01"), 25, "nothing applied");
    assert_eq!(op.journal().len(), before, "nothing journaled");
}

/// What a watch serves on /metrics, once it has seen drift, passes `promtool check metrics`.
fn the_metrics_pass_promtool_check() {
    let sim = SimProcess::start(&[]);
    let repo = GitRepo::example_at(&sim.url);
    let state = tempfile::tempdir().expect("state");
    applied_at_head(state.path(), &repo, &sim.url);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("vmsops"))
        .args([
            "watch",
            "--interval",
            "300ms",
            "--repo",
            &repo.arg(),
            "--metrics-addr",
            "127.0.0.1:0",
        ])
        .env("VMSOPS_TOKEN", TOKEN)
        .env("VMSOPS_STATE_DIR", state.path())
        .env("VMSOPS_NOW", NOW)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn watch");
    let url = metrics_url(&mut child);
    let deadline = Instant::now() + Duration::from_secs(20);
    let m = loop {
        let m = scrape(&url);
        if m.contains("vmsops_drift_operations{site=\"paris-hq\"} 14") {
            break m;
        }
        assert!(Instant::now() < deadline, "no drift seen: {m}");
        std::thread::sleep(Duration::from_millis(100));
    };
    promtool_check(&m);
    stop(child);
}

crate::trials! {
    fn watch_reports_transitions_serves_metrics_and_stops_on_sigterm,
    fn the_metrics_pass_promtool_check needs Promtool,
    fn one_unreachable_vms_is_counted_and_the_others_are_checked,
    fn watch_apply_applies_approved_changes_in_the_approvers_name_and_waits_for_the_others,
    fn watch_apply_skips_a_revision_that_names_no_one,
}
