//! The `zoneminder` driver against a real ZoneMinder (`scripts/zoneminder.sh start`).
//!
//! The instance comes from `VMSOPS_ZM_URL`, `VMSOPS_ZM_USER` and
//! `VMSOPS_ZM_PASSWORD`; without them the tests are reported ignored. They
//! share one ZoneMinder: each story holds [`exclusive`] while it runs.

mod feed;
mod lifecycle;
mod verify;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::fixture::vmsops;

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The ZoneMinder to this story alone until the guard drops (a failed story does not block the next).
fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const SKIP: &str = "skipped: set VMSOPS_ZM_URL, VMSOPS_ZM_USER and VMSOPS_ZM_PASSWORD (scripts/zoneminder.sh start, then source the env file it prints)";
const APPROVER: (&str, &str) = ("Claire Martin", "rs@client.example");
/// Inside the `tuesday-night` window (02:00–05:00 Europe/Paris).
const IN_WINDOW: &str = "2026-12-01T02:30:00Z";

struct Instance {
    url: String,
    user: String,
    password: String,
}

fn instance() -> Option<Instance> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (
        var("VMSOPS_ZM_URL"),
        var("VMSOPS_ZM_USER"),
        var("VMSOPS_ZM_PASSWORD"),
    ) {
        (Some(url), Some(user), Some(password)) => Some(Instance {
            url,
            user,
            password,
        }),
        _ => {
            // CI starts a ZoneMinder: there, a missing instance is a failure, not a skip.
            assert!(
                var("VMSOPS_ZM_REQUIRED").is_none(),
                "VMSOPS_ZM_REQUIRED is set but {SKIP}"
            );
            eprintln!("{SKIP}");
            None
        }
    }
}

/// ZoneMinder's own API, for seeding and checking (not through vmsops).
struct Api<'a> {
    zm: &'a Instance,
    client: reqwest::Client,
    rt: tokio::runtime::Runtime,
    token: String,
}

impl<'a> Api<'a> {
    fn new(zm: &'a Instance) -> Self {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let client = reqwest::Client::new();
        let token = rt.block_on(async {
            let r: Value = client
                .post(format!("{}/api/host/login.json", zm.url))
                .form(&[("user", &zm.user), ("pass", &zm.password)])
                .send()
                .await
                .expect("login")
                .json()
                .await
                .expect("login json");
            r["access_token"].as_str().expect("token").to_string()
        });
        Api {
            zm,
            client,
            rt,
            token,
        }
    }

    fn send(&self, method: &str, path: &str, form: &[(&str, &str)]) -> Value {
        let url = format!("{}/api/{path}?token={}", self.zm.url, self.token);
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        self.rt.block_on(async {
            let r = self
                .client
                .request(m, url)
                .form(form)
                .send()
                .await
                .expect("send");
            assert!(r.status().is_success(), "{method} {path}: {}", r.status());
            r.json().await.unwrap_or(Value::Null)
        })
    }

    /// Monitors by name.
    fn monitors(&self) -> Vec<Value> {
        self.send("GET", "monitors.json", &[])["monitors"]
            .as_array()
            .expect("monitors")
            .iter()
            .map(|m| m["Monitor"].clone())
            .collect()
    }

    fn monitor(&self, name: &str) -> Option<Value> {
        self.monitors().into_iter().find(|m| m["Name"] == name)
    }

    fn clear(&self) {
        for m in self.monitors() {
            self.send("DELETE", &format!("monitors/{}.json", m["Id"]), &[]);
        }
    }

    fn add(&self, name: &str, function: &str) {
        let path = format!("rtsp://{name}.cams.example/live");
        self.send(
            "POST",
            "monitors.json",
            &[
                ("Monitor[Name]", name),
                ("Monitor[Type]", "Ffmpeg"),
                ("Monitor[Function]", function),
                ("Monitor[Path]", &path),
                ("Monitor[Width]", "1920"),
                ("Monitor[Height]", "1080"),
                ("Monitor[MaxFPS]", "15"),
                ("Monitor[Enabled]", "1"),
            ],
        );
    }

    fn edit(&self, name: &str, field: &str, value: &str) {
        let m = self.monitor(name).expect("monitor");
        let key = format!("Monitor[{field}]");
        self.send(
            "PUT",
            &format!("monitors/{}.json", m["Id"]),
            &[(key.as_str(), value)],
        );
    }
}

/// A statement run on ZoneMinder's database (`mariadb -uroot zm`, as on the CI machine); its output.
fn sql(statement: &str) -> String {
    let out = Command::new("mariadb")
        .args(["-uroot", "-N", "-B", "zm", "-e", statement])
        .output()
        .expect("mariadb runs");
    assert!(
        out.status.success(),
        "{statement}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A retention filter as ZoneMinder's web UI stores it, made by hand (not through vmsops).
fn seed_retention(monitor: &str, monitor_id: &str, days: u32) {
    sql(&format!(
        "DELETE FROM Filters WHERE Name='vmsops-retention-{monitor}'; \
         INSERT INTO Filters (Name, Query_json, AutoDelete, Background) VALUES ('vmsops-retention-{monitor}', \
         '{{\"terms\":[{{\"attr\":\"MonitorId\",\"op\":\"=\",\"val\":\"{monitor_id}\"}},{{\"cnj\":\"and\",\"attr\":\"StartDateTime\",\"op\":\"<\",\"val\":\"-{days} days\"}}],\"sort_field\":\"Id\",\"sort_asc\":\"1\",\"limit\":\"\"}}', 1, 1)"
    ));
}

/// The stored retention filter of `monitor`: `Query_json`, `AutoDelete`.
fn retention_row(monitor: &str) -> Option<(String, String)> {
    let row = sql(&format!(
        "SELECT Query_json, AutoDelete FROM Filters WHERE Name='vmsops-retention-{monitor}'"
    ));
    let (query, auto_delete) = row.rsplit_once('\t')?;
    Some((query.to_string(), auto_delete.to_string()))
}

fn git(repo: &Path, who: (&str, &str), args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env_remove("SSH_AUTH_SOCK")
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A new SSH key of the approver (kept out of git), listed in `policy/allowed_signers`.
fn approver_key(repo: &Path) -> std::path::PathBuf {
    let key = repo.join(".keys/rs");
    std::fs::create_dir_all(key.parent().expect("dir")).expect("mkdir");
    std::fs::create_dir_all(repo.join("policy")).expect("mkdir policy");
    let kg = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "rs", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen");
    assert!(kg.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).expect("pub");
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    std::fs::write(
        repo.join("policy/allowed_signers"),
        format!("{} {}\n", APPROVER.1, public.join(" ")),
    )
    .expect("signers");
    std::fs::write(repo.join(".gitignore"), ".keys/\n").expect("ignore");
    key
}

/// Commits everything as an integrator and tags it `approve/NAME`, SSH-signed by the approver.
fn commit_and_approve(repo: &Path, key: &Path, message: &str, approval: &str) -> String {
    let who = ("Karim Benali", "karim.benali@integrator.example");
    git(repo, who, &["add", "-A"]);
    git(repo, who, &["commit", "-q", "-m", message]);
    let signing = format!("user.signingkey={}", key.display());
    git(
        repo,
        APPROVER,
        &[
            "-c",
            "gpg.format=ssh",
            "-c",
            &signing,
            "tag",
            "-s",
            &format!("approve/{approval}"),
            "-m",
            "approved",
            "HEAD",
        ],
    );
    git(repo, who, &["rev-parse", "HEAD"])
}

struct Run<'a> {
    zm: &'a Instance,
    repo: &'a Path,
    state: &'a Path,
}

/// A new temporary directory.
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

impl<'a> Run<'a> {
    /// Runs in a new git repository `repo` with its state in `state`.
    fn new(zm: &'a Instance, repo: &'a tempfile::TempDir, state: &'a tempfile::TempDir) -> Self {
        git(repo.path(), APPROVER, &["init", "-q", "-b", "main"]);
        Run {
            zm,
            repo: repo.path(),
            state: state.path(),
        }
    }

    fn vmsops(&self, envs: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
        let out = vmsops()
            .env("ZM_USER", &self.zm.user)
            .env("ZM_PASSWORD", &self.zm.password)
            .env("VMSOPS_STATE_DIR", self.state)
            .current_dir(self.repo)
            .envs(envs.iter().copied())
            .args(args)
            .output()
            .expect("vmsops runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn apply(&self, base: &str, ticket: &str, more: &[&str]) -> (i32, String, String) {
        let mut args = vec![
            "apply",
            "--repo",
            ".",
            "--base",
            base,
            "--operator",
            "karim.benali",
            "--ticket",
            ticket,
        ];
        args.extend_from_slice(more);
        self.vmsops(&[("VMSOPS_NOW", IN_WINDOW)], &args)
    }

    fn secrets_absent(&self, text: &str, token: &str) {
        assert!(!text.contains(&self.zm.password), "password printed");
        assert!(!text.contains(token), "token printed");
        assert!(!text.contains("token=eyJ"), "a token printed");
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(
        text.contains(from),
        "{} has no `{from}`:\n{text}",
        path.display()
    );
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
}

fn camera_yaml(id: &str, profile: &str) -> String {
    format!(
        "  - id: {id}\n    name: \"Gate {id}\"\n    vendor: \"Axis\"\n    model: \"P3265-LVE\"\n    firmware: \"11.9.60\"\n    stream_url: \"rtsp://{id}.cams.example/live\"\n    profile: {profile}\n"
    )
}

crate::trials! {
    mod lifecycle,
    mod verify,
}
