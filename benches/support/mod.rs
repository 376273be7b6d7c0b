//! What the whole-process benchmarks share: generated cameras, the example's
//! alert rules, an approved repository of a generated site, an in-process
//! reference VMS, and timing a command under `/usr/bin/time`.

#![allow(dead_code, reason = "each benchmark uses a different part")]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use vmsops::sim::{FaultConfig, Sim, SimConfig, SimError, Tokens};

/// The token the benchmarks' simulators accept.
pub const TOKEN: &str = "bench-token";
/// Camera files per generated site.
pub const FILES: usize = 20;
/// Tuesday 1 December 2026, 02:30 in Paris: inside the example's maintenance window.
pub const IN_WINDOW: &str = "2026-12-01T01:30:00Z";
/// The approver (the example's Responsable Sécurité), who signs the `approve/*` tag.
pub const APPROVER: &str = "rs@client.example";
/// The author of the generated commits.
pub const AUTHOR: &str = "claire.martin@integrator.example";

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
    // `BENCH_STDERR_DIR=DIR` keeps each command's stderr (its logs) as DIR/NNN-SUBCOMMAND.log.
    let stderr = match std::env::var_os("BENCH_STDERR_DIR") {
        Some(dir) => {
            static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let what = cmd
                .get_args()
                .next()
                .and_then(|a| a.to_str())
                .unwrap_or("run")
                .to_string();
            let path = Path::new(&dir).join(format!("{run:03}-{what}.log"));
            Stdio::from(std::fs::File::create(path).expect("stderr file"))
        }
        None => Stdio::null(),
    };
    let status = c
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(stderr)
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

/// Runs a tool with no user git or ssh configuration, as `committer` for git; returns its trimmed stdout.
pub fn tool(dir: &Path, committer: &str, cmd: &mut Command) -> String {
    let out = cmd
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Claire Martin")
        .env("GIT_AUTHOR_EMAIL", AUTHOR)
        .env("GIT_COMMITTER_NAME", "Claire Martin")
        .env("GIT_COMMITTER_EMAIL", committer)
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("run a tool");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Writes site `bench` into `dir`: the example's `site.yaml` pointing at the VMS at `url`,
/// and `cameras` generated cameras in `FILES` files; returns the `site.yaml` text.
pub fn write_site(dir: &Path, url: &str, cameras: usize) -> String {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let site = std::fs::read_to_string(format!("{manifest}/examples/sites/paris-hq/site.yaml"))
        .expect("site");
    let site = site
        .replace("name: paris-hq", "name: bench")
        .replace("url: http://127.0.0.1:8480", &format!("url: {url}"));
    let root = dir.join("sites/bench");
    std::fs::create_dir_all(root.join("cameras")).expect("mkdir");
    std::fs::write(root.join("site.yaml"), &site).expect("write");
    let per = cameras.div_ceil(FILES);
    for f in 0..FILES {
        let mut t = String::from("apiVersion: vmsops/v1\nkind: Cameras\ncameras:\n");
        for id in (f * per)..((f + 1) * per).min(cameras) {
            t.push_str(&camera_yaml(id));
        }
        std::fs::write(root.join(format!("cameras/zone-{f:02}.yaml")), t).expect("write");
    }
    site
}

/// Creates cameras `0..n` at `fps` one by one (32 requests at a time).
pub fn post_cameras(rt: &tokio::runtime::Runtime, url: &str, n: usize, fps: u32) {
    rt.block_on(async {
        let client = reqwest::Client::new();
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(32));
        let mut tasks = Vec::with_capacity(n);
        for id in 0..n {
            let (client, url, sem) = (client.clone(), url.to_string(), sem.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await;
                let r = client
                    .post(format!("{url}/api/v1/cameras"))
                    .bearer_auth(TOKEN)
                    .json(&camera_json(id, fps))
                    .send()
                    .await
                    .expect("post");
                assert_eq!(r.status().as_u16(), 201, "camera {id}");
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
    });
}

/// A repository of site `bench` (the example's, with generated cameras), then an approved change.
pub struct ApprovedChange {
    /// The repository.
    pub repo: tempfile::TempDir,
    /// The first commit: the site with its cameras at 15 fps (`Ticket: BENCH-0`).
    pub base: String,
    _keys: tempfile::TempDir,
}

/// The example site as site `bench`, with `cameras` cameras (in `FILES` files) on the VMS at
/// `url`, committed; then an approved commit (`Ticket: BENCH-1`, SSH-signed tag
/// `approve/bench-1` by `APPROVER`) moving the `standard` profile from 15 to 12 fps, so
/// every camera changes.
pub fn approved_change(url: &str, cameras: usize) -> ApprovedChange {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let repo = tempfile::tempdir().expect("tmp");
    let dir = repo.path();
    let keys = tempfile::tempdir().expect("tmp");
    let key = keys.path().join("rs");
    tool(
        keys.path(),
        AUTHOR,
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", APPROVER, "-f"])
            .arg(&key),
    );
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    std::fs::create_dir_all(dir.join("policy")).expect("mkdir");
    // The example's signers, the approver's line with the fresh key.
    let signers: String =
        std::fs::read_to_string(format!("{manifest}/examples/policy/allowed_signers"))
            .expect("signers")
            .lines()
            .map(|l| match l.starts_with(&format!("{APPROVER} ")) {
                true => format!("{APPROVER} namespaces=\"git\" {}\n", public.join(" ")),
                false => format!("{l}\n"),
            })
            .collect();
    std::fs::write(dir.join("policy/allowed_signers"), signers).expect("write");
    let site = write_site(dir, url, cameras);
    let root = dir.join("sites/bench");
    tool(dir, AUTHOR, Command::new("git").args(["init", "-q"]));
    tool(dir, AUTHOR, Command::new("git").args(["add", "-A"]));
    tool(
        dir,
        AUTHOR,
        Command::new("git").args(["commit", "-qm", "Bench site\n\nTicket: BENCH-0"]),
    );
    let base = tool(dir, AUTHOR, Command::new("git").args(["rev-parse", "HEAD"]));
    let changed = site.replacen("    fps: 15\n", "    fps: 12\n", 1);
    assert_ne!(changed, site, "the standard profile has fps 15");
    std::fs::write(root.join("site.yaml"), changed).expect("write");
    tool(
        dir,
        AUTHOR,
        Command::new("git").args([
            "commit",
            "-qam",
            "Every camera at 12 fps\n\nTicket: BENCH-1",
        ]),
    );
    tool(
        dir,
        APPROVER,
        Command::new("git")
            .args(["-c", "gpg.format=ssh", "-c"])
            .arg(format!("user.signingkey={}", key.display()))
            .args(["tag", "-s", "approve/bench-1", "-m", "approved"]),
    );
    ApprovedChange {
        repo,
        base,
        _keys: keys,
    }
}

/// A VMS configuration (a full import): the example's alert rules and settings, `cameras`
/// cameras at `fps`.
pub fn vms_config(cameras: usize, fps: u32) -> Value {
    let rules: Vec<Value> = example_alert_rules();
    let cameras: Vec<Value> = (0..cameras).map(|i| camera_json(i, fps)).collect();
    json!({"format": "reference-vms/v1", "cameras": cameras, "alert_rules": rules,
        "settings": {"session_timeout_minutes": 15}})
}

/// A simulator's settings: the bench token, `latency` on every request, and an import limit
/// (`None`: the reference VMS's default).
pub fn sim_config(latency: Duration, max_import_bytes: Option<usize>) -> SimConfig {
    let mut tokens = Tokens::default();
    tokens
        .add_specs([format!("bench:{TOKEN}").as_str()], "--token")
        .expect("token");
    SimConfig {
        tokens,
        faults: FaultConfig {
            latency,
            ..FaultConfig::default()
        },
        max_import_bytes,
        ..SimConfig::default()
    }
}

/// An in-process simulator (in memory) serving until [`RunningSim::stop`] or until dropped.
pub struct RunningSim {
    /// Its URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its address, to serve another simulator at the same URL.
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), SimError>>,
}

impl RunningSim {
    /// Stops serving, once the requests in flight are answered.
    pub fn stop(self, rt: &tokio::runtime::Runtime) {
        let _ = self.stop.send(());
        rt.block_on(self.task)
            .expect("sim task")
            .expect("sim served");
    }
}

/// Serves a simulator of `config` on `addr` (`127.0.0.1:0`: a free port) on `rt`.
pub fn serve_sim(rt: &tokio::runtime::Runtime, config: SimConfig, addr: &str) -> RunningSim {
    let sim = Sim::open(config).expect("sim");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(addr))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = rt.spawn(sim.serve(listener, async move {
        let _ = stopped.await;
    }));
    RunningSim {
        url: format!("http://{addr}"),
        addr,
        stop,
        task,
    }
}

/// Puts `config` into the VMS at `url` (one full import).
pub fn import_config(rt: &tokio::runtime::Runtime, url: &str, config: &Value) {
    rt.block_on(async {
        let r = reqwest::Client::new()
            .put(format!("{url}/api/v1/config"))
            .bearer_auth(TOKEN)
            .json(config)
            .send()
            .await
            .expect("import");
        assert!(
            r.status().is_success(),
            "{}",
            r.text().await.unwrap_or_default()
        );
    });
}

/// CPU seconds (user + system) this process has used so far: with an in-process simulator,
/// what the VMS spent, read before and after a measured command.
pub fn own_cpu_seconds() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let ticks = *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    });
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command name in parentheses: state is field 3, utime 14 and stime 15.
    let fields: Vec<f64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default()
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(f64::NAN))
        .collect();
    match (fields.get(11), fields.get(12)) {
        (Some(u), Some(s)) => (u + s) / ticks,
        _ => f64::NAN,
    }
}
