//! What an apply needs and the tests build once: the example site approved the
//! way PROC-VMS-001 wants it (an SSH-signed `approve/*` tag by a trusted
//! approver, a `Ticket:` trailer), and the operator's commands run with a
//! clock inside the site's maintenance window and a state directory of their own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fixture::{vmsops_process, GitRepo};
use crate::support::store::TestStore;
use crate::support::TOKEN;

/// The approver: the site's Responsable Sécurité.
pub const APPROVER: (&str, &str) = ("Claire Martin", "rs@client.example");
/// The integrator who writes the commits.
pub const AUTHOR: (&str, &str) = ("Claire Martin", "claire.martin@integrator.example");
/// The accountable operator of every apply.
pub const OPERATOR: &str = "claire.martin";
/// Tuesday 1 December 2026, 02:30 in Paris: inside the example's `tuesday-night` window.
pub const IN_WINDOW: &str = "2026-12-01T01:30:00Z";
/// The site of the example.
pub const SITE: &str = "paris-hq";

/// The example site pointing at a sim, with a fresh approver key trusted and HEAD approved.
pub struct Approved {
    /// The repository.
    pub repo: GitRepo,
    /// The approver's private key, outside the work tree so that it is never committed.
    key: PathBuf,
    _keys: tempfile::TempDir,
}

fn tool(cmd: &mut Command) -> String {
    let out = cmd
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("run a test tool");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Approved {
    /// The example site at `url`, its approver's key replaced by a fresh one, committed
    /// with `Ticket: WO-1` and tagged `approve/wo-1` by the approver.
    pub fn at(url: &str) -> Self {
        let repo = GitRepo::example_at(url);
        let keys = tempfile::tempdir().expect("key dir");
        let key = keys.path().join("rs");
        tool(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", APPROVER.1, "-f"])
                .arg(&key),
        );
        let public = std::fs::read_to_string(key.with_extension("pub")).expect("public key");
        let public: Vec<&str> = public.split_whitespace().take(2).collect();
        let signers: String = repo
            .read("policy/allowed_signers")
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{} ", APPROVER.1)) {
                    format!(
                        "{} namespaces=\"git\" {} Claire Martin (test key)\n",
                        APPROVER.1,
                        public.join(" ")
                    )
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        assert!(signers.contains("(test key)"), "the approver has a line");
        repo.write("policy/allowed_signers", signers);
        let a = Approved {
            repo,
            key,
            _keys: keys,
        };
        a.commit("Trust the approver's new key", Some("WO-1"));
        a.approve("wo-1");
        a
    }

    /// The repository folder as an argument.
    pub fn arg(&self) -> String {
        self.repo.arg()
    }

    /// The commit id of HEAD.
    pub fn head(&self) -> String {
        tool(
            Command::new("git")
                .current_dir(self.repo.path())
                .args(["rev-parse", "HEAD"]),
        )
    }

    /// A file of the work tree.
    pub fn read(&self, rel: &str) -> String {
        self.repo.read(rel)
    }

    /// Writes a file of the work tree.
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) {
        self.repo.write(rel, text);
    }

    /// Replaces `from` by `to` in a file of the work tree (which must contain it).
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.repo.read(rel);
        assert!(text.contains(from), "{rel} has no {from:?}");
        self.repo.write(rel, text.replacen(from, to, 1));
    }

    /// Commits the work tree as the integrator, with a `Ticket:` trailer when given.
    pub fn commit(&self, subject: &str, ticket: Option<&str>) -> String {
        self.commit_as(subject, ticket, AUTHOR)
    }

    /// Commits the work tree as `author`.
    pub fn commit_as(&self, subject: &str, ticket: Option<&str>, author: (&str, &str)) -> String {
        let message = match ticket {
            Some(t) => format!("{subject}\n\nTicket: {t}\n"),
            None => format!("{subject}\n"),
        };
        self.repo.commit_all(&message, author.0, author.1)
    }

    /// Tags HEAD `approve/NAME`, SSH-signed by the approver (what `git tag -s` makes).
    pub fn approve(&self, name: &str) {
        tool(
            Command::new("git")
                .current_dir(self.repo.path())
                .env("GIT_COMMITTER_NAME", APPROVER.0)
                .env("GIT_COMMITTER_EMAIL", APPROVER.1)
                .args(["-c", "gpg.format=ssh", "-c"])
                .arg(format!("user.signingkey={}", self.key.display()))
                .args(["tag", "-s", &format!("approve/{name}"), "-m", "approved"]),
        );
    }
}

/// How a command ended.
pub struct Out {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// stdout.
    pub out: String,
    /// stderr.
    pub err: String,
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.out, self.err
        )
    }
}

impl Out {
    /// How a finished process ended.
    pub fn of(out: std::process::Output) -> Out {
        Out {
            code: out.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&out.stdout).into_owned(),
            err: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// stdout and stderr together, for messages that may be on either.
    pub fn all(&self) -> String {
        format!("{}{}", self.out, self.err)
    }
}

/// An operator at work: the token, a clock, and a state directory (journal, snapshots, locks).
pub struct Operator {
    store: TestStore,
    now: String,
}

impl Operator {
    /// A fresh state directory and a clock inside the maintenance window.
    pub fn new() -> Self {
        Self::at(IN_WINDOW)
    }

    /// A fresh state directory and the clock at `now`.
    pub fn at(now: &str) -> Self {
        Self::on(TestStore::dir(), now)
    }

    /// A clock at `now` and the state in `store`.
    pub fn on(store: TestStore, now: &str) -> Self {
        Operator {
            store,
            now: now.into(),
        }
    }

    /// Moves the clock.
    pub fn set_now(&mut self, now: &str) {
        self.now = now.into();
    }

    /// The state directory (directory stores only).
    pub fn state(&self) -> &Path {
        self.store
            .path()
            .expect("a story that reads files runs on a directory store")
    }

    /// `vmsops ARGS` with the operator's token, state and clock, not started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = vmsops_process();
        cmd.env("VMSOPS_TOKEN", TOKEN)
            .env(self.store.env().0, self.store.env().1)
            .env("VMSOPS_NOW", &self.now)
            .args(args);
        cmd
    }

    /// `plan --repo REPO --base HEAD --out OUT`: a saved plan judged against HEAD.
    pub fn save_plan(&self, repo: &Approved, out: &str) -> Command {
        self.command(&[
            "plan",
            "--repo",
            &repo.arg(),
            "--base",
            "HEAD",
            "--out",
            out,
        ])
    }

    /// Runs `vmsops ARGS`.
    pub fn run(&self, args: &[&str]) -> Out {
        Out::of(self.command(args).output().expect("vmsops runs"))
    }

    /// `apply --repo REPO --operator claire.martin EXTRA`.
    pub fn apply(&self, repo: &Approved, extra: &[&str]) -> Out {
        let args = apply_args(repo, extra);
        self.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// `apply` as a child process, its output discarded.
    pub fn spawn_apply(&self, repo: &Approved, extra: &[&str]) -> Child {
        let args = apply_args(repo, extra);
        self.command(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn vmsops apply")
    }

    /// `restore ID` by the operator, with a ticket, confirmed, finding the VMS through `repo`.
    pub fn restore(&self, id: &str, repo: &Approved, extra: &[&str]) -> Out {
        let r = repo.arg();
        let args = [
            "restore",
            id,
            "--operator",
            OPERATOR,
            "--ticket",
            "WO-9",
            "--yes",
            "--repo",
            &r,
        ];
        self.run(&[&args[..], extra].concat())
    }

    /// [`Operator::restore`] as a child process, without extra flags.
    pub fn spawn_restore(&self, id: &str, repo: &Approved) -> Child {
        let r = repo.arg();
        self.command(&[
            "restore",
            id,
            "--operator",
            OPERATOR,
            "--ticket",
            "WO-9",
            "--yes",
            "--repo",
            &r,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vmsops restore")
    }

    /// `drift --repo REPO`.
    pub fn drift(&self, repo: &Approved) -> Out {
        self.run(&["drift", "--repo", &repo.arg()])
    }

    /// `audit verify`.
    pub fn verify(&self) -> Out {
        self.run(&["audit", "verify"])
    }

    /// The journal, one JSON object per entry.
    pub fn journal(&self) -> Vec<Value> {
        let bytes = vmsops::audit::Journal::open(&self.store.open())
            .read_bytes()
            .expect("the journal reads");
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(|l| crate::support::schema::parse_valid("journal-entry", l))
            .collect()
    }

    /// `snapshot list --format json`.
    pub fn snapshots(&self) -> Vec<Value> {
        let o = self.run(&["snapshot", "list", "--format", "json"]);
        assert_eq!(o.code, 0, "{o}");
        crate::support::schema::parse_valid("snapshot-list", &o.out)
            .as_array()
            .expect("an array")
            .clone()
    }

    /// The one snapshot taken since `before` was listed (ids, not times: a pinned clock gives them all one time).
    pub fn snapshot_taken_since(&self, before: &[Value]) -> String {
        let mut new: Vec<Value> = self
            .snapshots()
            .into_iter()
            .filter(|s| !before.contains(s))
            .collect();
        assert_eq!(new.len(), 1, "one new snapshot: {new:?}");
        new.remove(0)["id"].as_str().expect("id").to_string()
    }

    /// The export held by snapshot `id`, checked against its sha256.
    pub fn snapshot_export(&self, id: &str) -> Value {
        vmsops::snapshot::SnapshotStore::new(&self.store.open())
            .load(id)
            .expect("the snapshot loads and verifies")
            .export
    }

    /// The site lock's holder record (empty when released cleanly).
    pub fn lock_record(&self) -> String {
        self.store.lock_record(SITE)
    }

    /// Waits until `ready` holds (checked every 20 ms), failing after `limit`.
    pub fn wait_until(&self, limit: Duration, what: &str, mut ready: impl FnMut(&Self) -> bool) {
        let start = Instant::now();
        while !ready(self) {
            assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn apply_args(repo: &Approved, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["apply", "--repo", &repo.arg(), "--operator", OPERATOR]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// The journal entries of operations sent to the VMS (not the apply, snapshot or restore records).
pub fn operation_entries(journal: &[Value]) -> Vec<&Value> {
    journal
        .iter()
        .filter(|e| e["detail"]["op"].is_string())
        .collect()
}
