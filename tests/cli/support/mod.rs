//! Helpers shared by the integration tests: a `vmsops sim` child process,
//! an HTTP client for it, and camera fixtures.

#![allow(dead_code, reason = "each test module uses a different part")]

pub mod raw;
pub mod schema;
pub mod store;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use vmsops::driver::reference::{Credential, Options, ReferenceDriver};

/// The user of [`TOKEN`].
pub const USER: &str = "ci-bot";
/// A token every test sim accepts; tests check it never shows up in output.
pub const TOKEN: &str = "tok-7c1d5e0b9a2f4e68";

/// A running `vmsops sim`, killed on drop.
pub struct SimProcess {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stderr_path: PathBuf,
    _logs: tempfile::TempDir,
}

/// How to start a sim.
#[derive(Default, Clone)]
pub struct SimArgs {
    addr: Option<String>,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    no_default_token: bool,
}

impl SimArgs {
    /// Adds arguments.
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, args: I) -> Self {
        self.args
            .extend(args.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    /// Sets an environment variable of the child.
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.envs.push((k.into(), v.into()));
        self
    }

    /// Listens on `addr` rather than a free port: to restart a sim where a repository points.
    pub fn addr(mut self, addr: &str) -> Self {
        self.addr = Some(addr.into());
        self
    }

    /// Does not pass `--token USER:TOKEN`.
    pub fn without_default_token(mut self) -> Self {
        self.no_default_token = true;
        self
    }

    fn command(&self, stderr: &Path) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("vmsops"));
        let addr = self.addr.as_deref().unwrap_or("127.0.0.1:0");
        cmd.args(["sim", "--addr", addr]);
        if !self.no_default_token {
            cmd.args(["--token", &format!("{USER}:{TOKEN}")]);
        }
        cmd.args(&self.args)
            .env_remove("VMSOPS_SIM_TOKENS")
            .env_remove("RUST_LOG")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(stderr).expect("stderr file"));
        cmd
    }

    /// Starts the sim and waits for its `listening on` line.
    pub fn start(&self) -> SimProcess {
        let logs = tempfile::tempdir().expect("tempdir");
        let stderr_path = logs.path().join("stderr");
        let mut child = self
            .command(&stderr_path)
            .spawn()
            .expect("spawn vmsops sim");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read stdout");
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "sim did not start: stdout {line:?}, stderr {:?}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        };
        SimProcess {
            url: url.to_string(),
            child,
            _stdout: stdout,
            stderr_path,
            _logs: logs,
        }
    }

    /// Runs the sim expecting it to exit (it refused to start): status and stderr.
    pub fn run_to_exit(&self) -> (ExitStatus, String, String) {
        let logs = tempfile::tempdir().expect("tempdir");
        let stderr_path = logs.path().join("stderr");
        let out = self.command(&stderr_path).output().expect("run vmsops sim");
        (
            out.status,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            std::fs::read_to_string(&stderr_path).unwrap_or_default(),
        )
    }
}

impl SimProcess {
    /// A sim with the default token and extra arguments.
    pub fn start(args: &[&str]) -> SimProcess {
        SimArgs::default().args(args).start()
    }

    /// `127.0.0.1:PORT`, the address it listens on.
    pub fn addr(&self) -> &str {
        self.url.strip_prefix("http://").unwrap_or(&self.url)
    }

    /// What the sim wrote on stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        for _ in 0..100 {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("sim did not stop on SIGTERM");
    }

    /// An HTTP client that sends the default token.
    /// Someone with `token`'s own account sets camera `id`'s fps through the API, as a
    /// technician would in the VMS's console (an out-of-band change).
    pub fn set_fps_as(&self, token: &str, id: &str, fps: u32) {
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(async {
                let http = self.http().with_token(Some(token));
                let path = format!("/api/v1/cameras/{id}");
                let cam = http.get(&path).await;
                let etag = cam.header("etag").expect("etag");
                let mut body = cam.json.clone();
                body["recording"]["fps"] = json!(fps);
                let r = http.json("PUT", &path, &body, &[("if-match", &etag)]).await;
                assert_eq!(r.status, 200, "{}", r.text);
            });
    }

    pub fn http(&self) -> Http {
        Http {
            base: self.url.clone(),
            token: Some(TOKEN.to_string()),
            // No keep-alive: after an early 413 the server closes the connection, and a
            // pooled one would race with that close (a broken pipe on the next request).
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .expect("client"),
        }
    }

    /// The reference driver for this sim, with fast retries.
    pub fn driver(&self) -> ReferenceDriver {
        self.driver_with(Options {
            backoff: Duration::from_millis(10),
            ..Options::default()
        })
    }

    /// The reference driver with explicit options.
    pub fn driver_with(&self, options: Options) -> ReferenceDriver {
        ReferenceDriver::new(
            &self.url,
            Credential::new(TOKEN.into(), "TEST_TOKEN".into()),
            options,
        )
        .expect("driver")
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body as JSON (Null when empty or not JSON).
    pub json: Value,
    /// Body as text.
    pub text: String,
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    }

    /// `X-Journal-Seq` as a number.
    pub fn journal_seq(&self) -> Option<u64> {
        self.header("x-journal-seq").and_then(|v| v.parse().ok())
    }
}

/// Raw HTTP to a sim.
#[derive(Clone)]
pub struct Http {
    base: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl Http {
    /// The same client with another token, or none.
    pub fn with_token(&self, token: Option<&str>) -> Http {
        Http {
            token: token.map(String::from),
            ..self.clone()
        }
    }

    /// Sends a request with optional JSON body and extra headers.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            json,
            text,
        }
    }

    /// GET.
    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, None, &[]).await
    }

    /// A JSON request.
    pub async fn json(
        &self,
        method: &str,
        path: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.send(method, path, Some(body.to_string().into_bytes()), headers)
            .await
    }

    /// Creates a camera, asserting 201; returns its version.
    pub async fn create_camera(&self, id: &str) -> u64 {
        let r = self.json("POST", "/api/v1/cameras", &camera(id), &[]).await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["version"].as_u64().expect("version")
    }

    /// Imports a configuration with these cameras, asserting 200.
    pub async fn import_cameras(&self, cameras: Vec<Value>) {
        let body = json!({
            "format": "reference-vms/v1",
            "cameras": cameras,
            "alert_rules": [],
            "settings": {"session_timeout_minutes": 30},
        });
        let r = self.json("PUT", "/api/v1/config", &body, &[]).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    /// The whole journal.
    pub async fn journal(&self) -> Vec<Value> {
        let r = self.get("/api/v1/journal").await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["items"].as_array().expect("items").clone()
    }
}

/// A valid camera body.
pub fn camera(id: &str) -> Value {
    json!({
        "id": id,
        "name": format!("Camera {id}"),
        "vendor": "Axis",
        "model": "P3265-LVE",
        "firmware": "11.9.60",
        "stream_url": format!("rtsp://{id}.cams.example/axis-media/media.amp"),
        "enabled": true,
        "recording": {
            "resolution": "1920x1080",
            "fps": 15,
            "retention_days": 30,
            "schedule": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from": "00:00", "to": "24:00"}]
        }
    })
}

/// `"N"`.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}
