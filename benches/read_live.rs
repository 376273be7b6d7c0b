//! `read_live()` against an in-process reference VMS holding 10,000 cameras.
//!
//! Prints min and median over several runs, the same read done the other way
//! (paginated cameras + alert rules + settings, concurrently) for comparison,
//! the cost of a mutation with a durable state file, and the peak RSS.
//! Run: `cargo bench --bench read_live`.

use std::time::{Duration, Instant};

use serde_json::json;
use vmsops::driver::reference::{Credential, Options, ReferenceDriver};
use vmsops::driver::{OpContext, Vms};
use vmsops::sim::{Sim, SimConfig, Tokens};

const CAMERAS: usize = 10_000;
const RUNS: usize = 15;
const TOKEN: &str = "bench-token";

fn export(n: usize) -> serde_json::Value {
    let cameras: Vec<_> = (0..n)
        .map(|i| {
            let id = format!("cam-{i:05}");
            json!({
                "id": id, "name": format!("Camera {i}"), "vendor": "Axis", "model": "P3265-LVE",
                "firmware": "11.9.60", "stream_url": format!("rtsp://{id}.cams.example/axis-media/media.amp"),
                "enabled": i % 10 != 0,
                "recording": {"resolution": "1920x1080", "fps": 15, "retention_days": 30,
                    "schedule": [{"days": ["mon","tue","wed","thu","fri","sat","sun"], "from": "00:00", "to": "24:00"}]}
            })
        })
        .collect();
    json!({
        "format": "reference-vms/v1",
        "cameras": cameras,
        "alert_rules": [{"kind": "disk_full", "threshold": 90, "recipients": ["noc@client.example"]}],
        "settings": {"session_timeout_minutes": 15},
    })
}

async fn start(state_file: Option<std::path::PathBuf>) -> String {
    let mut tokens = Tokens::default();
    tokens
        .add_specs([format!("bench:{TOKEN}").as_str()], "--token")
        .expect("token");
    let sim = Sim::open(SimConfig {
        tokens,
        state_file,
        ..SimConfig::default()
    })
    .expect("sim");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(sim.serve(listener, std::future::pending()));
    url
}

fn driver(url: &str) -> ReferenceDriver {
    ReferenceDriver::new(
        url,
        Credential::new(TOKEN.into(), "BENCH_TOKEN".into()),
        Options::default(),
    )
    .expect("driver")
}

fn ctx() -> OpContext {
    OpContext {
        request_id: uuid::Uuid::new_v4().to_string(),
        operator: "bench".into(),
    }
}

fn stats(mut samples: Vec<Duration>) -> String {
    samples.sort();
    format!(
        "min {:>7.1} ms  median {:>7.1} ms  max {:>7.1} ms",
        samples[0].as_secs_f64() * 1e3,
        samples[samples.len() / 2].as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3
    )
}

/// The alternative to one `GET /api/v1/config`: pages of 1000 plus the two small lists.
async fn read_paginated(client: &reqwest::Client, url: &str) -> usize {
    let get = |path: String| {
        let client = client.clone();
        async move {
            let r = client
                .get(path)
                .bearer_auth(TOKEN)
                .send()
                .await
                .expect("send");
            r.json::<serde_json::Value>().await.expect("json")
        }
    };
    let cameras = async {
        let mut n = 0;
        let mut cursor = String::new();
        loop {
            let page = get(format!("{url}/api/v1/cameras?limit=1000&cursor={cursor}")).await;
            n += page["items"].as_array().map_or(0, Vec::len);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break n,
            }
        }
    };
    let (n, _, _) = tokio::join!(
        cameras,
        get(format!("{url}/api/v1/alert-rules")),
        get(format!("{url}/api/v1/settings"))
    );
    n
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let url = start(None).await;
        let vms = driver(&url);
        vms.import(&export(CAMERAS), &ctx()).await.expect("import");

        let mut samples = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let live = vms.read_live().await.expect("read_live");
            samples.push(start.elapsed());
            assert_eq!(live.cameras.len(), CAMERAS);
        }
        println!("read_live, {CAMERAS} cameras, {RUNS} runs:            {}", stats(samples));

        let client = reqwest::Client::new();
        let mut samples = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let n = read_paginated(&client, &url).await;
            samples.push(start.elapsed());
            assert_eq!(n, CAMERAS);
        }
        println!("paginated alternative (limit=1000), {RUNS} runs: {}", stats(samples));

        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state.json");
        let url = start(Some(state.clone())).await;
        let vms = driver(&url);
        let start_import = Instant::now();
        vms.import(&export(CAMERAS), &ctx()).await.expect("import");
        let import = start_import.elapsed();
        let live = vms.read_live().await.expect("read_live");
        let mut samples = Vec::new();
        for cam in live.cameras.iter().take(200) {
            let mut changed = cam.clone();
            changed.recording.fps = 25;
            let start = Instant::now();
            vms.update_camera(&changed, &cam.version, &ctx())
                .await
                .expect("update");
            samples.push(start.elapsed());
        }
        println!(
            "durable camera.update on {CAMERAS} cameras, 200 runs:  {}",
            stats(samples)
        );
        let size = std::fs::metadata(&state).map(|m| m.len()).unwrap_or(0);
        let start_rewrite = Instant::now();
        drop(vmsops::sim::persist::Store::open(&state).expect("reopen"));
        println!(
            "full rewrite of the state ({:.1} MB, load + snapshot + fsync): {:.1} ms; durable import of {CAMERAS}: {:.1} ms",
            size as f64 / 1e6,
            start_rewrite.elapsed().as_secs_f64() * 1e3,
            import.as_secs_f64() * 1e3
        );
    });
    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS (VmHWM): {:.1} MiB", kib as f64 / 1024.0);
    }
}
