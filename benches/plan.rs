//! `vmsops plan` as a whole process against a reference VMS, at 1,000 / 10,000 / 50,000 cameras.
//!
//! For each size: a generated repository (20 camera files), an in-process sim
//! holding the same cameras either all different (fps) or identical, and
//! `vmsops plan --format json` run 5 times under `/usr/bin/time` (median wall
//! time, peak RSS). With `--terraform`, also `terraform plan` of the same
//! number of `terraform_data` resources, once, for the ratio.
//! Run: `cargo bench --bench plan [-- --terraform] [-- --sizes 1000,10000]`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

mod support;
use support::TOKEN;

const RUNS: usize = 5;

/// Site `bench` with `n` cameras on the VMS at `url`, the example's signers, committed.
fn write_repo(dir: &Path, n: usize, url: &str) {
    let manifest = env!("CARGO_MANIFEST_DIR");
    support::write_site(dir, url, n);
    std::fs::create_dir_all(dir.join("policy")).expect("mkdir");
    std::fs::copy(
        format!("{manifest}/examples/policy/allowed_signers"),
        dir.join("policy/allowed_signers"),
    )
    .expect("copy");
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["commit", "-qm", "bench"],
    ] {
        support::tool(dir, "bench@x.example", Command::new("git").args(args));
    }
}

/// Fills the sim: alert rules and settings as desired, `n` cameras at `fps`.
fn seed(rt: &tokio::runtime::Runtime, url: &str, n: usize, fps: u32) {
    support::import_config(rt, url, &support::vms_config(0, fps));
    support::post_cameras(rt, url, n, fps);
}

/// Runs `cmd` under /usr/bin/time `runs` times: (median wall seconds, max peak RSS in MB, exit code).
fn measure(cmd: &mut dyn FnMut() -> Command, runs: usize) -> (f64, f64, i32) {
    let mut walls = Vec::new();
    let mut rss: f64 = 0.0;
    let mut code = 0;
    for _ in 0..runs {
        let (wall, peak, c, _) = support::time_once(&cmd());
        walls.push(wall);
        rss = rss.max(peak);
        code = c;
    }
    walls.sort_by(f64::total_cmp);
    (walls[walls.len() / 2], rss, code)
}

fn terraform(n: usize) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut tf = String::new();
    for i in 0..n {
        tf.push_str(&format!("resource \"terraform_data\" \"cam_{i:05}\" {{\n  input = {{ fps = 15, resolution = \"1920x1080\" }}\n}}\n"));
    }
    std::fs::write(dir.path().join("main.tf"), tf).expect("write");
    let status = Command::new("terraform")
        .args(["init", "-input=false"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("terraform init");
    assert!(status.success());
    let (wall, rss, _) = measure(
        &mut || {
            let mut c = Command::new("terraform");
            c.args(["plan", "-input=false", "-lock=false"])
                .current_dir(dir.path());
            c
        },
        1,
    );
    (wall, rss)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let with_terraform = args.iter().any(|a| a == "--terraform");
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--sizes")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 50_000]);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let bin = env!("CARGO_BIN_EXE_vmsops");
    println!(
        "{:>8} {:>14} {:>12} {:>12} {:>10}",
        "cameras", "scenario", "wall (med)", "peak RSS", "exit"
    );
    for &n in &sizes {
        for (scenario, fps) in [("all-different", 25), ("no-difference", 15)] {
            // Kept serving until the end of this scenario.
            let sim = support::serve_sim(
                &rt,
                support::sim_config(Duration::ZERO, None),
                "127.0.0.1:0",
            );
            let url = sim.url.clone();
            seed(&rt, &url, n, fps);
            let dir = tempfile::tempdir().expect("tmp");
            write_repo(dir.path(), n, &url);
            let state = tempfile::tempdir().expect("state");
            let (wall, rss, code) = measure(
                &mut || {
                    let mut c = Command::new(bin);
                    c.args(["plan", "--format", "json", "--repo"])
                        .arg(dir.path())
                        .env("VMSOPS_TOKEN", TOKEN)
                        .env("VMSOPS_STATE_DIR", state.path());
                    c
                },
                RUNS,
            );
            println!(
                "{n:>8} {scenario:>14} {:>10.3} s {:>9.1} MB {code:>10}",
                wall, rss
            );
        }
        if with_terraform && n <= 10_000 {
            let (wall, rss) = terraform(n);
            println!(
                "{n:>8} {:>14} {:>10.3} s {:>9.1} MB",
                "terraform", wall, rss
            );
        }
    }
    std::thread::sleep(Duration::from_millis(10));
}
