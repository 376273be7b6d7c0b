//! What the whole-process benchmarks share: generated cameras, the example's
//! alert rules, and timing a command under `/usr/bin/time`.

#![allow(dead_code, reason = "each benchmark uses a different part")]

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

/// Camera `id` as a cameras-file entry.
pub fn camera_yaml(id: usize) -> String {
    format!(
        "  - id: cam-{id:05}\n    name: \"Caméra {id}\"\n    vendor: Axis\n    model: P3265-LVE\n    firmware: \"11.9.60\"\n    stream_url: rtsp://cam-{id:05}.cams.example/axis-media/media.amp\n    profile: standard\n"
    )
}

/// Camera `id` at `fps` as the reference API takes it.
pub fn camera_json(id: usize, fps: u32) -> Value {
    json!({
        "id": format!("cam-{id:05}"), "name": format!("Caméra {id}"), "vendor": "Axis", "model": "P3265-LVE",
        "firmware": "11.9.60", "stream_url": format!("rtsp://cam-{id:05}.cams.example/axis-media/media.amp"),
        "enabled": true,
        "recording": {"resolution": "1920x1080", "fps": fps, "retention_days": 30,
            "schedule": [{"days": ["mon","tue","wed","thu","fri","sat","sun"], "from": "00:00", "to": "24:00"}]}
    })
}

/// The example site's alert rules, as the reference API takes them.
pub fn example_alert_rules() -> Vec<Value> {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let tree =
        vmsops::desired::Tree::open(Path::new(manifest).join("examples").as_path(), "WORKTREE")
            .expect("tree");
    let repo = vmsops::desired::load(&tree, "WORKTREE", None).expect("load");
    let site = repo.sites[0].site.clone().expect("site");
    site.alerts
        .expect("alerts")
        .rules
        .iter()
        .map(|r| serde_json::to_value(r).expect("rule"))
        .collect()
}

/// One run of a command under `/usr/bin/time`.
pub struct Timed {
    /// Wall-clock seconds.
    pub wall: f64,
    /// CPU seconds, user + system (the command and the children it waited for).
    pub cpu: f64,
    /// Peak resident memory, MB.
    pub rss_mb: f64,
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// What it wrote on stdout.
    pub stdout: String,
}

/// Runs `cmd` once under `/usr/bin/time` (and `BENCH_WRAP`, if set): (wall seconds, peak RSS in
/// MB, exit code, stdout).
pub fn time_once(cmd: &Command) -> (f64, f64, i32, String) {
    let t = run_timed(cmd);
    (t.wall, t.rss_mb, t.code, t.stdout)
}

/// Runs `cmd` once under `/usr/bin/time` (and `BENCH_WRAP`, if set): wall and CPU time, peak RSS.
pub fn run_timed(cmd: &Command) -> Timed {
    let dir = tempfile::tempdir().expect("tmp");
    let (times, stdout) = (dir.path().join("time"), dir.path().join("stdout"));
    let mut c = Command::new("/usr/bin/time");
    c.arg("-f").arg("%e %M %U %S").arg("-o").arg(&times);
    // `BENCH_WRAP="valgrind --tool=massif"` profiles the measured command instead of timing it alone.
    if let Ok(wrap) = std::env::var("BENCH_WRAP") {
        c.args(wrap.split_whitespace());
    }
    c.arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        c.current_dir(d);
    }
    let status = c
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(Stdio::null())
        .status()
        .expect("time");
    // The last line: `time` writes one before it when the command fails or is killed.
    let text = std::fs::read_to_string(&times).expect("time output");
    let line = text.lines().last().unwrap_or_default();
    let fields: Vec<f64> = line
        .split_whitespace()
        .map(|f| f.parse::<f64>().unwrap_or(f64::NAN))
        .collect();
    let field = |i: usize| fields.get(i).copied().unwrap_or(f64::NAN);
    Timed {
        wall: field(0),
        rss_mb: fields.get(1).copied().unwrap_or(0.0) / 1024.0,
        cpu: field(2) + field(3),
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(&stdout).unwrap_or_default(),
    }
}
