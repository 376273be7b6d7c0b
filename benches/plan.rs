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

use serde_json::{json, Value};
use vmsops::sim::{Sim, SimConfig, Tokens};

mod support;
const TOKEN: &str = "bench-token";
const RUNS: usize = 5;
const FILES: usize = 20;

fn write_repo(dir: &Path, n: usize, url: &str) {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let site = std::fs::read_to_string(format!("{manifest}/examples/sites/paris-hq/site.yaml"))
        .expect("site");
    let site = site
        .replace("name: paris-hq", "name: bench")
        .replace("url: http://127.0.0.1:8480", &format!("url: {url}"));
    let root = dir.join("sites/bench");
    std::fs::create_dir_all(root.join("cameras")).expect("mkdir");
    std::fs::write(root.join("site.yaml"), site).expect("write");
    std::fs::create_dir_all(dir.join("policy")).expect("mkdir");
    std::fs::copy(
        format!("{manifest}/examples/policy/allowed_signers"),
        dir.join("policy/allowed_signers"),
    )
    .expect("copy");
    let per = n.div_ceil(FILES);
    for f in 0..FILES {
        let mut t = String::from("apiVersion: vmsops/v1\nkind: Cameras\ncameras:\n");
        for id in (f * per)..((f + 1) * per).min(n) {
            t.push_str(&support::camera_yaml(id));
        }
        std::fs::write(root.join(format!("cameras/zone-{f:02}.yaml")), t).expect("write");
    }
    let ok = |c: &mut Command| assert!(c.current_dir(dir).status().expect("git").success());
    ok(Command::new("git").args(["init", "-q"]));
    ok(Command::new("git").args(["add", "-A"]));
    ok(Command::new("git").args([
        "-c",
        "user.name=Bench",
        "-c",
        "user.email=bench@x.example",
        "commit",
        "-qm",
        "bench",
    ]));
}

/// Fills the sim: alert rules and settings as desired, `n` cameras at `fps`.
async fn seed(url: &str, n: usize, fps: u32) {
    let client = reqwest::Client::new();
    let rules: Vec<Value> = support::example_alert_rules();
    let body = json!({"format": "reference-vms/v1", "cameras": [], "alert_rules": rules, "settings": {"session_timeout_minutes": 15}});
    let r = client
        .put(format!("{url}/api/v1/config"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("import");
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = Vec::new();
    for id in 0..n {
        let (client, url, sem) = (client.clone(), url.to_string(), sem.clone());
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire().await;
            let r = client
                .post(format!("{url}/api/v1/cameras"))
                .bearer_auth(TOKEN)
                .json(&support::camera_json(id, fps))
                .send()
                .await
                .expect("post");
            assert_eq!(r.status().as_u16(), 201);
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
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
            let url = rt.block_on(async {
                let mut tokens = Tokens::default();
                tokens
                    .add_specs([format!("bench:{TOKEN}").as_str()], "--token")
                    .expect("token");
                let sim = Sim::open(SimConfig {
                    tokens,
                    ..SimConfig::default()
                })
                .expect("sim");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let url = format!("http://{}", listener.local_addr().expect("addr"));
                tokio::spawn(sim.serve(listener, std::future::pending()));
                seed(&url, n, fps).await;
                url
            });
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
