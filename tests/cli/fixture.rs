//! Shared test fixtures: the binary with a pinned clock, temporary git repositories,
//! and the insta filters for paths, commits and times (defined here, once).

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The fixed "now" of every test run, so that dates in output are stable.
pub const NOW: &str = "2026-11-27T12:00:00Z";

/// The repository root (where `examples/` and `schemas/` are).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `vmsops` binary with a pinned clock, no colour and no inherited settings.
pub fn vmsops() -> Command {
    Command::from_std(vmsops_process())
}

/// [`vmsops`] as a `std::process::Command`: to spawn it, or pipe one run into another.
pub fn vmsops_process() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("vmsops"));
    cmd.env("VMSOPS_NOW", NOW)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("VMSOPS_OPERATOR")
        .env_remove("VMSOPS_TICKET")
        .env_remove("VMSOPS_STATE_DIR");
    cmd
}

/// insta settings that hide what changes from run to run.
pub fn insta_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"\b[0-9a-f]{40}\b", "[COMMIT]");
    s.add_filter(r"commit [0-9a-f]{12}\b", "commit [COMMIT]");
    s.add_filter(r"desired [0-9a-f]{12}\b", "desired [COMMIT]");
    s.add_filter(r"`[0-9a-f]{12}`", "`[COMMIT]`");
    s.add_filter(r"\b[0-9a-f]{12}\b", "[COMMIT]");
    s.add_filter(r"/tmp/[^\s:`]+", "[TMP]");
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    s.add_filter(r"sha256:[0-9a-f]{64}", "sha256:[FINGERPRINT]");
    s.add_filter(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Runs `vmsops` with `args` and returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = vmsops().args(args).output().expect("vmsops runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A temporary git repository built by a test.
pub struct GitRepo {
    dir: tempfile::TempDir,
    repo: git2::Repository,
}

impl GitRepo {
    /// An empty repository.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = git2::Repository::init(dir.path()).expect("git init");
        Self { dir, repo }
    }

    /// A repository holding a copy of `examples/<sub>` (or all of `examples/` for `""`), committed.
    pub fn from_example(sub: &str) -> Self {
        let r = Self::new();
        copy_dir(
            &project_root().join("examples").join(sub),
            r.path(),
            sub.is_empty(),
        );
        r.commit_all(
            "Import the site",
            "Claire Martin",
            "claire.martin@integrator.example",
        );
        r
    }

    /// A repository holding the example site, its VMS at `url` (token in `VMSOPS_TOKEN`), committed.
    pub fn example_at(url: &str) -> Self {
        let r = Self::new();
        copy_dir(&project_root().join("examples"), r.path(), true);
        let p = r.path().join("sites/paris-hq/site.yaml");
        let site = std::fs::read_to_string(&p).expect("site");
        std::fs::write(
            &p,
            site.replace("url: http://127.0.0.1:8480", &format!("url: {url}")),
        )
        .expect("write");
        r.commit_all(
            "Paris HQ",
            "Claire Martin",
            "claire.martin@integrator.example",
        );
        r
    }

    /// Reads a file of the work tree.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).expect("read")
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The work tree as a string argument.
    pub fn arg(&self) -> String {
        self.path().display().to_string()
    }

    /// Writes a file (creating folders).
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }

    /// Stages everything and commits; returns the commit id.
    pub fn commit_all(&self, message: &str, name: &str, email: &str) -> String {
        let mut index = self.repo.index().expect("index");
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        index.update_all(["*"], None).expect("update");
        index.write().expect("write index");
        let tree = self
            .repo
            .find_tree(index.write_tree().expect("tree"))
            .expect("tree");
        let sig = git2::Signature::now(name, email).expect("signature");
        let parents: Vec<git2::Commit> = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs)
            .expect("commit")
            .to_string()
    }
}

fn copy_dir(from: &Path, to: &Path, skip_groups: bool) {
    for e in std::fs::read_dir(from).expect("read examples") {
        let e = e.expect("entry");
        let name = e.file_name();
        // The error and warning cases are separate repositories, not sites of this one.
        if skip_groups && (name == "invalid" || name == "warnings" || name == "ci") {
            continue;
        }
        let dest = to.join(&name);
        if e.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
            copy_dir(&e.path(), &dest, false);
        } else {
            std::fs::copy(e.path(), dest).expect("copy");
        }
    }
}
