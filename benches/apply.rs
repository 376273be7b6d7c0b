//! `vmsops apply` as a whole process: 1,000 camera updates against a reference VMS.
//!
//! The sim (in process, in memory) holds 1,000 cameras at 15 fps, the example's
//! alert rules and settings; the repository holds the same site, then an
//! approved commit (SSH-signed `approve/*` tag, `Ticket:` trailer) that moves
//! the `standard` profile to 12 fps, so the plan is 1,000 `camera.update`s.
//! Each run starts from that VMS again, with a fresh state directory, under
//! `/usr/bin/time` (median wall time, peak RSS):
//! - no latency, at the default parallelism;
//! - `--latency-ms 20` on every request, at `--parallelism 8` (floor 1000 × 20 ms / 8 = 2.5 s).
//!
//! Every operation is journaled twice (started, ended), each entry durable
//! before it counts; concurrent entries share one sync (group commit), so on a
//! real disk the syncs cost a fraction of the latency (`TMPDIR=/dev/shm` puts
//! the state directory on tmpfs to see the rest).
//!
//! With `VMSOPS_TEST_PG_URL` set, the same two rows with the state in a fresh
//! PostgreSQL database each run (`vmsops state init` first): each group of
//! entries is one `INSERT` (one round trip, one commit).
//!
//! With `--terraform`, also `terraform apply -auto-approve` of 1,000
//! `terraform_data` resources: created, then all updated in place, once each.
//! Run: `cargo bench --bench apply [-- --terraform]`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

mod support;
use support::{IN_WINDOW, TOKEN};
const CAMERAS: usize = 1_000;

struct Row {
    label: String,
    parallelism: usize,
    latency_ms: u64,
    wall: f64,
    rss: f64,
    code: i32,
}

/// Where a run keeps its state: a fresh directory, or a fresh database on a PostgreSQL server.
enum Store {
    Dir,
    Postgres(String),
}

/// A fresh state location for one run (kept alive by the returned guard).
fn fresh_state(store: &Store) -> (String, &'static str, Option<tempfile::TempDir>) {
    match store {
        Store::Dir => {
            let dir = tempfile::tempdir().expect("state");
            (
                dir.path().display().to_string(),
                "VMSOPS_STATE_DIR",
                Some(dir),
            )
        }
        Store::Postgres(admin) => {
            let db = format!("vmsops_bench_{:016x}", fastrand::u64(..));
            let mut c =
                postgres::Client::connect(admin, postgres::NoTls).expect("the PostgreSQL server");
            c.batch_execute(&format!("CREATE DATABASE {db}"))
                .expect("create database");
            let mut url = url::Url::parse(admin).expect("url");
            url.set_path(&db);
            let status = Command::new(env!("CARGO_BIN_EXE_vmsops"))
                .args(["state", "init", "--state", url.as_str()])
                .stdout(Stdio::null())
                .status()
                .expect("state init");
            assert!(status.success());
            (url.to_string(), "VMSOPS_STATE", None)
        }
    }
}

/// `runs` applies of the change, each from the VMS before it: the median run.
fn bench_vmsops(
    rt: &tokio::runtime::Runtime,
    latency_ms: u64,
    parallelism: Option<usize>,
    runs: usize,
    store: &Store,
) -> Row {
    let sim = support::serve_sim(
        rt,
        support::sim_config(Duration::from_millis(latency_ms), None),
        "127.0.0.1:0",
    );
    // The repository of the change, and the VMS before it: `CAMERAS` cameras at 15 fps.
    let change = support::approved_change(&sim.url, CAMERAS);
    let before = support::vms_config(CAMERAS, 15);
    let mut samples = Vec::new();
    for _ in 0..runs {
        support::import_config(rt, &sim.url, &before);
        let (state, var, _guard) = fresh_state(store);
        let mut c = Command::new(env!("CARGO_BIN_EXE_vmsops"));
        c.args([
            "apply",
            "--operator",
            "claire.martin",
            "--base",
            &change.base,
        ])
        .arg("--repo")
        .arg(change.repo.path())
        .env("VMSOPS_TOKEN", TOKEN)
        .env(var, &state)
        .env("VMSOPS_NOW", IN_WINDOW)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
        if let Some(p) = parallelism {
            c.args(["--parallelism", &p.to_string()]);
        }
        let (wall, rss, code, out) = support::time_once(&c);
        let applied = format!("applied: {CAMERAS} succeeded.");
        assert!(
            code == 0 && out.contains(&applied),
            "exit {code}, expected `{applied}`:\n{}",
            out.lines().rev().take(5).collect::<Vec<_>>().join("\n")
        );
        samples.push((wall, rss, code));
    }
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (wall, rss, code) = samples[samples.len() / 2];
    Row {
        label: match store {
            Store::Dir => "vmsops apply".into(),
            Store::Postgres(_) => "vmsops apply (PostgreSQL)".into(),
        },
        parallelism: parallelism.unwrap_or(4),
        latency_ms,
        wall,
        rss,
        code,
    }
}

fn terraform_config(dir: &Path, fps: u32) {
    let mut tf = String::new();
    for i in 0..CAMERAS {
        tf.push_str(&format!(
            "resource \"terraform_data\" \"cam_{i:05}\" {{\n  input = {{ fps = {fps}, resolution = \"1920x1080\" }}\n}}\n"
        ));
    }
    std::fs::write(dir.join("main.tf"), tf).expect("write");
}

/// `terraform apply -auto-approve` of `CAMERAS` terraform_data: created, then all updated.
fn bench_terraform() -> Vec<Row> {
    let dir = tempfile::tempdir().expect("tmp");
    terraform_config(dir.path(), 15);
    let status = Command::new("terraform")
        .args(["init", "-input=false"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .status()
        .expect("terraform init");
    assert!(status.success());
    let apply = |dir: &PathBuf| {
        let mut c = Command::new("terraform");
        c.args(["apply", "-auto-approve", "-input=false"])
            .current_dir(dir);
        c
    };
    let path = dir.path().to_path_buf();
    let mut rows = Vec::new();
    for (label, fps) in [
        ("terraform apply (create)", 15),
        ("terraform apply (update)", 12),
    ] {
        terraform_config(&path, fps);
        let (wall, rss, code, _) = support::time_once(&apply(&path));
        rows.push(Row {
            label: label.into(),
            parallelism: 10,
            latency_ms: 0,
            wall,
            rss,
            code,
        });
    }
    rows
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let with_terraform = args.iter().any(|a| a == "--terraform");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut rows = vec![
        bench_vmsops(&rt, 0, None, 5, &Store::Dir),
        bench_vmsops(&rt, 20, Some(8), 3, &Store::Dir),
    ];
    // The shared store on loopback, side by side with the directory (same run, same machine).
    match std::env::var("VMSOPS_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => {
            rows.push(bench_vmsops(&rt, 0, None, 5, &Store::Postgres(url.clone())));
            rows.push(bench_vmsops(&rt, 20, Some(8), 3, &Store::Postgres(url)));
        }
        _ => {
            eprintln!("PostgreSQL rows skipped: set VMSOPS_TEST_PG_URL (scripts/postgres.sh start)")
        }
    }
    if with_terraform {
        rows.extend(bench_terraform());
    }
    println!("{CAMERAS} camera updates, one whole process each (median wall time, peak RSS)");
    println!(
        "{:<26} {:>11} {:>8} {:>11} {:>10} {:>10} {:>5}",
        "", "parallelism", "latency", "wall", "floor", "peak RSS", "exit"
    );
    for r in &rows {
        let floor = r.latency_ms as f64 * CAMERAS as f64 / 1000.0 / r.parallelism as f64;
        println!(
            "{:<26} {:>11} {:>5} ms {:>9.3} s {:>8.2} s {:>7.1} MB {:>5}",
            r.label, r.parallelism, r.latency_ms, r.wall, floor, r.rss, r.code
        );
    }
}
