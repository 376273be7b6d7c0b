//! vmsops at 1,000 / 10,000 / 100,000 cameras, whole processes against a reference VMS:
//! apply of the creates, apply of the updates, a snapshot, and a restore both ways.
//!
//! For each size N (`--sizes`, default 1000,10000,100000): an in-process
//! reference VMS (in memory, no latency) holding the example's alert rules and
//! settings and no camera; a repository of the example site with N cameras at
//! 15 fps (20 files), then an approved commit moving every camera to 12 fps;
//! one state directory for the whole sequence. Each step runs once, under
//! `/usr/bin/time` (wall time, CPU time and peak RSS of the vmsops process;
//! and the CPU time the in-process VMS spent meanwhile, to tell the two apart):
//! 1. `vmsops apply` of the first commit: N `camera.create`s;
//! 2. `vmsops snapshot create` of the N-camera site: its stored (zstd) size
//!    against its raw export (the compact JSON a restore sends);
//! 3. `vmsops apply` of the approved commit: N `camera.update`s (fps);
//! 4. `vmsops restore` of that snapshot, so N cameras change back:
//!    (a) against that VMS, whose import limit is the default (64 MiB): one
//!    full import; (b) against a VMS at the same address whose stated limit is
//!    64 KiB, holding the same configuration as after step 3: N per-object
//!    operations. Both restores are checked (every camera at 15 fps again).
//!
//! Then the ratios: between consecutive sizes, t(apply) of the creates and of
//! the updates (target: at most 1.2 × the size ratio, 12 for 10,000 → 100,000);
//! at each size, t(restore) / t(apply of the updates) for (a) and (b) (target:
//! at most 2); and stored / raw of the snapshot (target: at most 25 %).
//! Rows are printed as they are measured (at 100,000 cameras an apply takes
//! minutes). The repositories and state directories are under `TMPDIR`
//! (`TMPDIR=/dev/shm` takes the disk's syncs out of the journaling).
//! Run: `cargo bench --bench scale [-- --sizes 1000,10000,30000]`; with
//! `BENCH_STDERR_DIR=DIR RUST_LOG=vmsops=debug`, each step's log (a timestamped
//! line per request) is kept in DIR, to see where a step's time goes.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use vmsops::snapshot::SnapshotStore;
use vmsops::state::StateStore;

mod support;
use support::{Timed, IN_WINDOW, TOKEN};

/// The import limit of the VMS that forces per-object restores: well under any export measured.
const SMALL_IMPORT_LIMIT: usize = 64 << 10;
/// Allowed growth of an apply's time over the growth of the size (12 for 10 times the cameras).
const SLACK: f64 = 1.2;
/// Longest restore, as a multiple of the apply of the updates it undoes.
const RESTORE_OVER_APPLY: f64 = 2.0;
/// Largest stored size of a snapshot, as a fraction of its raw export.
const STORED_OVER_RAW: f64 = 0.25;
const OPERATOR: &str = "claire.martin";

/// `vmsops ARGS` on the bench VMS, with the state in `state`, inside the maintenance window.
fn vmsops(state: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vmsops"));
    c.args(args)
        .env("VMSOPS_TOKEN", TOKEN)
        .env("VMSOPS_STATE_DIR", state)
        .env("VMSOPS_NOW", IN_WINDOW)
        .env("NO_COLOR", "1")
        .env_remove("VMSOPS_STATE");
    // With `BENCH_STDERR_DIR` (logs kept), `RUST_LOG` reaches vmsops, e.g. `vmsops=debug` for
    // a timestamped line per request.
    if std::env::var_os("BENCH_STDERR_DIR").is_none() {
        c.env_remove("RUST_LOG");
    }
    c
}

/// One step: the vmsops process, and the CPU time the VMS (this process) spent meanwhile.
struct Step {
    t: Timed,
    vms_cpu: f64,
}

/// Runs `cmd` once, timed; panics, with the end of its output, unless it exits 0 and `ok` holds.
fn step(what: &str, cmd: &Command, ok: impl Fn(&str) -> bool) -> Step {
    let before = support::own_cpu_seconds();
    let t = support::run_timed(cmd);
    let vms_cpu = support::own_cpu_seconds() - before;
    assert!(
        t.code == 0 && ok(&t.stdout),
        "{what}: exit {}:\n{}",
        t.code,
        t.stdout
            .lines()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .join("\n")
    );
    Step { t, vms_cpu }
}

/// The cameras of the VMS at `url` with each fps: (cameras, those at `fps`).
fn cameras_at(rt: &tokio::runtime::Runtime, url: &str, fps: u64) -> (usize, usize) {
    let config: Value = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/api/v1/config"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("export")
            .json()
            .await
            .expect("export JSON")
    });
    let cameras = config["cameras"].as_array().expect("cameras");
    let at = cameras
        .iter()
        .filter(|c| c["recording"]["fps"].as_u64() == Some(fps))
        .count();
    (cameras.len(), at)
}

/// What one size measured.
struct Size {
    n: usize,
    creates: Step,
    snapshot: Step,
    stored: u64,
    raw: u64,
    updates: Step,
    restore_import: Step,
    restore_objects: Step,
}

fn print_row(n: usize, what: &str, s: &Step, note: &str) {
    println!(
        "{n:>8}  {what:<34} {:>9.2} s {:>9.2} s {:>8.1} MB {:>9.2} s  {note}",
        s.t.wall, s.t.cpu, s.t.rss_mb, s.vms_cpu
    );
    let _ = std::io::stdout().flush();
}

/// The whole sequence at `n` cameras.
fn run_size(rt: &tokio::runtime::Runtime, n: usize) -> Size {
    let sim = support::serve_sim(rt, support::sim_config(Duration::ZERO, None), "127.0.0.1:0");
    support::import_config(rt, &sim.url, &support::vms_config(0, 15));
    let change = support::approved_change(&sim.url, n);
    let repo = change.repo.path().to_str().expect("UTF-8 path").to_string();
    let state_dir = tempfile::tempdir().expect("state");
    let state = state_dir.path();
    let applied = format!("applied: {n} succeeded.");

    let creates = step(
        "apply (creates)",
        &vmsops(
            state,
            &[
                "apply",
                "--operator",
                OPERATOR,
                "--rev",
                &change.base,
                "--base",
                &change.base,
                "--repo",
                &repo,
            ],
        ),
        |out| out.contains(&applied),
    );
    print_row(n, "apply: creates", &creates, "");

    let snapshot = step(
        "snapshot create",
        &vmsops(
            state,
            &[
                "snapshot",
                "create",
                "--site",
                "bench",
                "--operator",
                OPERATOR,
                "--reason",
                "scale bench",
                "--repo",
                &repo,
            ],
        ),
        |out| out.starts_with("snapshot "),
    );
    let id = snapshot
        .t
        .stdout
        .split_whitespace()
        .nth(1)
        .expect("snapshot id")
        .to_string();
    let store = SnapshotStore::new(&StateStore::resolve(Some(state), &|_| None).expect("state"));
    let stored = store
        .list(Some("bench"))
        .expect("snapshot list")
        .into_iter()
        .find(|s| s.id == id)
        .expect("the snapshot is listed")
        .stored_bytes;
    let raw = serde_json::to_vec(&store.load(&id).expect("snapshot").export)
        .expect("JSON")
        .len() as u64;
    print_row(
        n,
        "snapshot create",
        &snapshot,
        &format!(
            "stored {} of {} raw bytes ({:.1} %)",
            stored,
            raw,
            100.0 * stored as f64 / raw as f64
        ),
    );

    let updates = step(
        "apply (updates)",
        &vmsops(
            state,
            &[
                "apply",
                "--operator",
                OPERATOR,
                "--base",
                &change.base,
                "--repo",
                &repo,
            ],
        ),
        |out| out.contains(&applied),
    );
    print_row(n, "apply: updates (fps)", &updates, "");
    assert_eq!(
        cameras_at(rt, &sim.url, 12),
        (n, n),
        "the updates are applied"
    );

    let restore = [
        "restore",
        &id,
        "--operator",
        OPERATOR,
        "--ticket",
        "BENCH-2",
        "--yes",
        "--repo",
        &repo,
    ];
    let restore_import = step("restore (import)", &vmsops(state, &restore), |out| {
        out.contains(&format!("restored snapshot {id}")) && !out.contains("per-object")
    });
    print_row(n, "restore: one full import", &restore_import, "");
    assert_eq!(cameras_at(rt, &sim.url, 15), (n, n), "the snapshot is back");

    // The same configuration as after the updates, in a VMS at the same address that states
    // a small import limit.
    let addr = sim.addr.to_string();
    sim.stop(rt);
    let small = support::serve_sim(
        rt,
        support::sim_config(Duration::ZERO, Some(SMALL_IMPORT_LIMIT)),
        &addr,
    );
    support::import_config(rt, &small.url, &support::vms_config(0, 12));
    support::post_cameras(rt, &small.url, n, 12);
    let restore_objects = step("restore (per-object)", &vmsops(state, &restore), |out| {
        out.contains("per-object operation(s)")
    });
    let operations: usize = restore_objects
        .t
        .stdout
        .split("restored through ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("the number of per-object operations");
    assert_eq!(operations, n, "one camera.update per camera");
    print_row(
        n,
        "restore: per-object (64 KiB limit)",
        &restore_objects,
        &format!("{operations} operations"),
    );
    assert_eq!(
        cameras_at(rt, &small.url, 15),
        (n, n),
        "the snapshot is back"
    );
    small.stop(rt);
    Size {
        n,
        creates,
        snapshot,
        stored,
        raw,
        updates,
        restore_import,
        restore_objects,
    }
}

/// `value` against `target` (at most), as the summary shows it.
fn verdict(value: f64, target: f64) -> &'static str {
    if value <= target {
        "met"
    } else {
        "MISSED"
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--sizes")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!("one whole process per step, against an in-process reference VMS without latency");
    println!(
        "{:>8}  {:<34} {:>11} {:>11} {:>11} {:>11}",
        "cameras", "step", "wall", "CPU", "peak RSS", "VMS CPU"
    );
    let mut done: Vec<Size> = Vec::new();
    for &n in &sizes {
        done.push(run_size(&rt, n));
    }

    println!();
    println!("apply, time ratio between sizes (target: at most {SLACK} × the size ratio)");
    for pair in done.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let target = SLACK * b.n as f64 / a.n as f64;
        for (what, ta, tb) in [
            ("creates", &a.creates, &b.creates),
            ("updates", &a.updates, &b.updates),
        ] {
            let ratio = tb.t.wall / ta.t.wall;
            println!(
                "  t({}) / t({}) {what}: {ratio:.2} (target ≤ {target:.1}: {})",
                b.n,
                a.n,
                verdict(ratio, target)
            );
        }
    }
    println!("restore / apply of the updates it undoes (target: at most {RESTORE_OVER_APPLY})");
    for s in &done {
        for (what, t) in [
            ("one full import", &s.restore_import),
            ("per-object", &s.restore_objects),
        ] {
            let ratio = t.t.wall / s.updates.t.wall;
            println!(
                "  {:>8} cameras, {what}: {ratio:.2} ({})",
                s.n,
                verdict(ratio, RESTORE_OVER_APPLY)
            );
        }
    }
    println!(
        "snapshot stored / raw export (target: at most {:.0} %)",
        STORED_OVER_RAW * 100.0
    );
    for s in &done {
        let ratio = s.stored as f64 / s.raw as f64;
        println!(
            "  {:>8} cameras: {} / {} bytes = {:.1} % ({}; snapshot create {:.2} s)",
            s.n,
            s.stored,
            s.raw,
            ratio * 100.0,
            verdict(ratio, STORED_OVER_RAW),
            s.snapshot.t.wall
        );
    }
}
