//! The cost of one drift cycle against the length of the journal: 20 sites × 100 cameras.
//!
//! Each site has its own reference VMS (an in-process sim) holding exactly what
//! the repository declares, a baseline at the VMS journal's end and its last
//! applied commit at the revision, so every site is in sync. Two directory
//! state stores differ only by their journal: a fresh one (10 entries) and one
//! of 500,000 entries (`Journal::append_all`, 50,000 at a time), as years of
//! applies leave it. For each:
//! - `vmsops drift --format json` as a whole process under `/usr/bin/time`, 5
//!   runs: median CPU time (user + system). A one-shot drift has no memory
//!   across runs, so it reads the whole journal once (vmsops's request ids);
//! - `vmsops watch --interval 500ms` as a process, with its log on stderr: the
//!   CPU time (`/proc/PID/stat`) of its first cycle (start-up, whole journal)
//!   and of the next 20 cycles, read while it sleeps between them (a cycle's
//!   figure includes its sleep, which costs nothing measurable); mean (their
//!   total over 20: the ticks are 10 ms) and median;
//! - in process, `KnownRequestIds::refresh` (what a watch cycle reads of the
//!   journal): the first refresh, then the median of 31 refreshes each after 20
//!   new entries (an apply between two cycles); wall time, the sims idle.
//!
//! Target: a watch cycle with the 500,000-entry journal costs at most 1.5× one
//! with a fresh journal.
//! Run: `cargo bench --bench watch`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use vmsops::audit::{Action, EntryResult, Journal, NewEntry};
use vmsops::state::{Applied, Baseline, KnownRequestIds, StateStore};

mod support;
use support::TOKEN;
const SITES: usize = 20;
const CAMERAS: usize = 100;
const FRESH: usize = 10;
const LONG: usize = 500_000;
const BATCH: usize = 50_000;
const RUNS: usize = 5;
const CYCLES: usize = 20;
const REFRESHES: usize = 31;
/// The clock every command reads: the example's alert review is recent then.
const NOW: &str = "2026-11-27T10:00:00Z";
const TARGET: f64 = 1.5;

fn site_name(s: usize) -> String {
    format!("site-{s:02}")
}

/// An in-process sim holding site `s`'s cameras at 15 fps (as the `standard` profile
/// says), the example's alert rules and settings: the sim, and its journal's next
/// sequence number.
fn start_sim(rt: &tokio::runtime::Runtime, s: usize) -> (support::RunningSim, String) {
    let sim = support::serve_sim(rt, support::sim_config(Duration::ZERO, None), "127.0.0.1:0");
    let mut config = support::vms_config(0, 15);
    config["cameras"] = (0..CAMERAS)
        .map(|i| support::camera_json(s * CAMERAS + i, 15))
        .collect();
    support::import_config(rt, &sim.url, &config);
    let page: Value = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{}/api/v1/journal?limit=0", sim.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("journal")
            .json()
            .await
            .expect("journal page")
    });
    let next = page["last_seq"].as_u64().expect("last_seq") + 1;
    (sim, next.to_string())
}

/// The repository: one site per VMS, 100 cameras each, committed; returns the commit.
fn write_repo(dir: &Path, urls: &[String]) -> String {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let site = std::fs::read_to_string(format!("{manifest}/examples/sites/paris-hq/site.yaml"))
        .expect("site");
    std::fs::create_dir_all(dir.join("policy")).expect("mkdir");
    std::fs::copy(
        format!("{manifest}/examples/policy/allowed_signers"),
        dir.join("policy/allowed_signers"),
    )
    .expect("copy");
    for (s, url) in urls.iter().enumerate() {
        let root = dir.join("sites").join(site_name(s));
        std::fs::create_dir_all(root.join("cameras")).expect("mkdir");
        let text = site
            .replace("name: paris-hq", &format!("name: {}", site_name(s)))
            .replace("url: http://127.0.0.1:8480", &format!("url: {url}"));
        std::fs::write(root.join("site.yaml"), text).expect("write");
        let mut t = String::from("apiVersion: vmsops/v1\nkind: Cameras\ncameras:\n");
        for i in 0..CAMERAS {
            t.push_str(&support::camera_yaml(s * CAMERAS + i));
        }
        std::fs::write(root.join("cameras/zone.yaml"), t).expect("write");
    }
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=Bench", "-c", "user.email=bench@x.example"])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("git");
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "Bench fleet\n\nTicket: BENCH-1"]);
    git(&["rev-parse", "HEAD"])
}

/// Entries `from..to` of a journal of applies: each operation's start and end, with the
/// request id drift tells vmsops's changes by.
fn entries(from: usize, to: usize, commit: &str) -> Vec<NewEntry> {
    let t0: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().expect("ts");
    (from..to)
        .map(|k| {
            let op = k / 2;
            let ended = k % 2 == 1;
            let at = t0 + jiff::SignedDuration::from_secs(k as i64);
            let mut e = NewEntry::new(
                at,
                Action::CameraUpdate,
                if ended {
                    EntryResult::Success
                } else {
                    EntryResult::Started
                },
            );
            e.site = Some(site_name(op % SITES));
            e.operator = Some("claire.martin".into());
            e.target = Some(format!("cam-{:05}", op % (SITES * CAMERAS)));
            e.commit = Some(commit.to_string());
            e.authors = Some(vec![
                "Claire Martin <claire.martin@integrator.example>".into()
            ]);
            e.ticket = Some(format!("CHG-{}", op / 100));
            e.detail = json!({
                "request_id": format!("{op:012x}-bench"),
                "op": "camera.update",
                "class": "recording",
                "changes": [{"path": "recording.fps", "from": 15, "to": 12}],
                "window": "tuesday-night",
                "agent": "cli",
                "error": null,
            })
            .as_object()
            .cloned();
            e
        })
        .collect()
}

/// A state directory where every site was applied at `commit` from its VMS's journal end,
/// with a journal of `n` entries.
fn state_dir(n: usize, commit: &str, cursors: &[(String, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("state");
    let state = StateStore::resolve(Some(dir.path()), &|_| None).expect("state");
    let at: jiff::Timestamp = NOW.parse().expect("now");
    for (s, (url, cursor)) in cursors.iter().enumerate() {
        state
            .set_baseline(
                &site_name(s),
                &Baseline {
                    journal_cursor: Some(cursor.clone()),
                    at,
                    reason: "import".into(),
                    url: url.clone(),
                    origin: None,
                },
            )
            .expect("baseline");
        state
            .set_applied(
                &site_name(s),
                &Applied {
                    commit: commit.to_string(),
                    at,
                    operator: "claire.martin".into(),
                    agent: "cli".into(),
                    journal_seq: Some(n as u64),
                    journal_hash: None,
                },
            )
            .expect("applied");
    }
    let journal = Journal::open(&state);
    for from in (0..n).step_by(BATCH) {
        journal
            .append_all(entries(from, (from + BATCH).min(n), commit))
            .expect("append");
    }
    dir
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `vmsops drift --format json`, `RUNS` times: CPU seconds of each run; checks every site is in sync.
fn drift_cpu(repo: &Path, state: &Path) -> Vec<f64> {
    (0..RUNS)
        .map(|_| {
            let mut c = Command::new(env!("CARGO_BIN_EXE_vmsops"));
            c.args(["drift", "--format", "json", "--repo"])
                .arg(repo)
                .env("VMSOPS_TOKEN", TOKEN)
                .env("VMSOPS_STATE_DIR", state)
                .env("VMSOPS_NOW", NOW)
                .env_remove("RUST_LOG");
            let t = support::run_timed(&c);
            let doc: Value = serde_json::from_str(&t.stdout).expect("drift's JSON");
            let statuses: Vec<&str> = doc["sites"]
                .as_array()
                .expect("sites")
                .iter()
                .map(|s| s["status"].as_str().unwrap_or("?"))
                .collect();
            assert!(
                t.code == 0 && statuses.len() == SITES && statuses.iter().all(|s| *s == "in-sync"),
                "exit {}, statuses {statuses:?}",
                t.code
            );
            t.cpu
        })
        .collect()
}

/// The kernel's clock ticks per second (what `/proc/PID/stat` counts in).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU seconds (user + system) process `pid` has used so far, its finished threads included.
fn process_cpu(pid: u32, ticks: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').expect("comm") + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let n = |i: usize| f[i].parse::<f64>().expect("a tick count");
    (n(11) + n(12)) / ticks
}

/// What the watch process spent: its first cycle (from start), then each of `CYCLES` cycles.
struct WatchCpu {
    first: f64,
    cycles: Vec<f64>,
}

/// Runs `vmsops watch --interval 500ms` for 1 + `CYCLES` cycles; a cycle ends when every site
/// has logged its check, and the CPU time is read 200 ms later, while it sleeps (at least 450 ms).
fn watch_cpu(repo: &Path, state: &Path) -> WatchCpu {
    let ticks = clock_ticks();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmsops"))
        .args(["watch", "--interval", "500ms", "--repo"])
        .arg(repo)
        .env("VMSOPS_TOKEN", TOKEN)
        .env("VMSOPS_STATE_DIR", state)
        .env("VMSOPS_NOW", NOW)
        .env("RUST_LOG", "vmsops::watch=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn watch");
    let pid = child.id();
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut samples = Vec::new();
    for cycle in 0..=CYCLES {
        let mut checked = 0;
        while checked < SITES {
            let line = rx
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|e| panic!("cycle {cycle}: no log line from watch ({e})"));
            assert!(
                !line.contains(" WARN ") && !line.contains(" ERROR "),
                "cycle {cycle}: {line}"
            );
            if line.contains(": checked ") {
                assert!(line.contains("in-sync"), "cycle {cycle}: {line}");
                checked += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        samples.push(process_cpu(pid, ticks));
    }
    child.kill().expect("stop watch");
    child.wait().expect("watch");
    reader.join().expect("reader");
    WatchCpu {
        first: samples[0],
        cycles: samples.windows(2).map(|w| w[1] - w[0]).collect(),
    }
}

/// `KnownRequestIds::refresh` as watch calls it: the first (whole journal), then the median of
/// `REFRESHES` refreshes each after 20 new entries (an apply between two cycles). Wall seconds.
fn refresh_time(state_path: &Path, commit: &str, journal_len: usize) -> (f64, f64) {
    let state = StateStore::resolve(Some(state_path), &|_| None).expect("state");
    let mut known = KnownRequestIds::default();
    let t = Instant::now();
    let read = known.refresh(&state).expect("refresh");
    let first = t.elapsed().as_secs_f64();
    assert_eq!(read, journal_len);
    let journal = Journal::open(&state);
    let mut next = Vec::new();
    for i in 0..REFRESHES {
        let from = journal_len + 20 * i;
        journal
            .append_all(entries(from, from + 20, commit))
            .expect("append");
        let t = Instant::now();
        let read = known.refresh(&state).expect("refresh");
        next.push(t.elapsed().as_secs_f64());
        assert_eq!(read, 20);
    }
    (first, median(&next))
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let started = Instant::now();
    // Kept serving until the end of the bench.
    let (sims, next_seqs): (Vec<support::RunningSim>, Vec<String>) =
        (0..SITES).map(|s| start_sim(&rt, s)).unzip();
    let urls: Vec<String> = sims.iter().map(|s| s.url.clone()).collect();
    let vms: Vec<(String, String)> = urls.iter().cloned().zip(next_seqs).collect();
    let repo = tempfile::tempdir().expect("repo");
    let commit = write_repo(repo.path(), &urls);
    let fresh = state_dir(FRESH, &commit, &vms);
    let long = state_dir(LONG, &commit, &vms);
    let journal_mb = std::fs::metadata(long.path().join("journal.jsonl"))
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(f64::NAN);
    eprintln!(
        "set up in {:.1} s: {SITES} sims, a {LONG}-entry journal of {journal_mb:.0} MB",
        started.elapsed().as_secs_f64()
    );

    let drift = [
        drift_cpu(repo.path(), fresh.path()),
        drift_cpu(repo.path(), long.path()),
    ];
    let watch = [
        watch_cpu(repo.path(), fresh.path()),
        watch_cpu(repo.path(), long.path()),
    ];
    let refresh = [
        refresh_time(fresh.path(), &commit, FRESH),
        refresh_time(long.path(), &commit, LONG),
    ];

    println!(
        "{SITES} sites × {CAMERAS} cameras, all in sync; journal: (a) {FRESH} entries, (b) {LONG} entries ({journal_mb:.0} MB)."
    );
    println!(
        "{:<74} {:>13} {:>13} {:>9}",
        "", "(a) fresh", "(b) 500k", "b/a"
    );
    let row = |label: &str, a: f64, b: f64, unit: &str, note: &str| {
        let scale = if unit.starts_with("ms") { 1e3 } else { 1.0 };
        println!(
            "{label:<74} {:>9.3} {unit} {:>9.3} {unit} {:>8.2}× {note}",
            a * scale,
            b * scale,
            b / a
        );
    };
    row(
        &format!("vmsops drift --format json, process CPU (median of {RUNS})"),
        median(&drift[0]),
        median(&drift[1]),
        "s  ",
        "(one-shot: reads the whole journal once)",
    );
    row(
        "vmsops watch, first cycle incl. start-up, process CPU",
        watch[0].first,
        watch[1].first,
        "s  ",
        "(reads the whole journal once)",
    );
    let mean = |c: &[f64]| c.iter().sum::<f64>() / c.len() as f64;
    let ratio = mean(&watch[1].cycles) / mean(&watch[0].cycles);
    row(
        &format!("vmsops watch, one later cycle, process CPU (mean of {CYCLES})"),
        mean(&watch[0].cycles),
        mean(&watch[1].cycles),
        "s  ",
        &format!(
            "target ≤ {TARGET}×: {}",
            if ratio <= TARGET { "met" } else { "NOT met" }
        ),
    );
    row(
        &format!("vmsops watch, one later cycle, process CPU (median of {CYCLES})"),
        median(&watch[0].cycles),
        median(&watch[1].cycles),
        "s  ",
        "(10 ms ticks)",
    );
    row(
        "KnownRequestIds::refresh, first, in process, wall time",
        refresh[0].0,
        refresh[1].0,
        "ms ",
        "(whole journal)",
    );
    row(
        &format!(
            "KnownRequestIds::refresh, 20 new entries, in process, wall (median of {REFRESHES})"
        ),
        refresh[0].1,
        refresh[1].1,
        "ms ",
        "",
    );
}
