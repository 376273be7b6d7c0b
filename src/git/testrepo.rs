//! Test helpers: real git repositories with real SSH-signed tags, built with `git` and `ssh-keygen`.
//!
//! Tags are made by the git command line (not git2) so that the bytes signed
//! are exactly what git signs; the helpers never read the user's git or ssh
//! configuration.

use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Oid, Repository};
use tempfile::TempDir;

/// A person: name and email.
pub type Person = (&'static str, &'static str);

/// An SSH key pair made for a test.
pub struct Key {
    /// The private key file (no passphrase).
    pub private: PathBuf,
    /// `TYPE BASE64` of the public key, as an allowed signers line wants it.
    pub public: String,
}

/// A temporary git repository.
pub struct TestRepo {
    dir: TempDir,
    /// The repository, opened with git2.
    pub repo: Repository,
}

fn run(cmd: &mut Command) -> String {
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

impl TestRepo {
    /// An empty repository on branch `main`.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        run(Command::new("git")
            .args(["init", "-q", "-b", "main"])
            .arg(dir.path()));
        let repo = Repository::open(dir.path()).expect("open test repo");
        Self { dir, repo }
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, who: Person) -> Command {
        let mut c = Command::new("git");
        c.current_dir(self.path())
            .env("GIT_AUTHOR_NAME", who.0)
            .env("GIT_AUTHOR_EMAIL", who.1)
            .env("GIT_COMMITTER_NAME", who.0)
            .env("GIT_COMMITTER_EMAIL", who.1)
            .env("GIT_AUTHOR_DATE", "2025-04-01T10:00:00Z")
            .env("GIT_COMMITTER_DATE", "2025-04-01T10:00:00Z");
        c
    }

    /// Writes `files` and commits them as `author`; returns the commit id.
    pub fn commit(&self, author: Person, files: &[(&str, &str)], message: &str) -> Oid {
        for (path, text) in files {
            let p = self.path().join(path);
            std::fs::create_dir_all(p.parent().expect("file in a folder")).expect("mkdir");
            std::fs::write(p, text).expect("write test file");
        }
        run(self.git(author).args(["add", "-A"]));
        run(self
            .git(author)
            .args(["commit", "-q", "--allow-empty", "-m", message]));
        let id = run(self.git(author).args(["rev-parse", "HEAD"]));
        Oid::from_str(&id).expect("commit id")
    }

    /// Moves the work tree and `main` back to `id` (to build another branch from it).
    pub fn reset(&self, id: Oid) {
        run(self
            .git(("t", "t@t.example"))
            .args(["reset", "-q", "--hard", &id.to_string()]));
    }

    /// A new key pair of `kind` (`ed25519`, `ecdsa`, `rsa`) named `name`.
    pub fn key(&self, name: &str, kind: &str) -> Key {
        let private = self.path().join(format!(".keys/{name}"));
        std::fs::create_dir_all(private.parent().expect("key folder")).expect("mkdir");
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-N", "", "-C", name, "-f"])
            .arg(&private));
        let public = std::fs::read_to_string(private.with_extension("pub")).expect("public key");
        let public = public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        Key { private, public }
    }

    /// An annotated tag on `target` by `tagger`, signed with `key` when given.
    pub fn tag(&self, name: &str, target: &str, tagger: Person, key: Option<&Key>) {
        let mut c = self.git(tagger);
        match key {
            Some(k) => {
                c.arg("-c")
                    .arg("gpg.format=ssh")
                    .arg("-c")
                    .arg(format!("user.signingkey={}", k.private.display()))
                    .args(["tag", "-s"]);
            }
            None => {
                c.args(["tag", "-a"]);
            }
        }
        run(c.args([name, "-m", "approved", target]));
    }

    /// A lightweight tag on `target`.
    pub fn lightweight(&self, name: &str, target: &str) {
        run(self.git(("t", "t@t.example")).args(["tag", name, target]));
    }

    /// An SSHSIG of `data` by `key` in `namespace`, armored, made by ssh-keygen.
    pub fn sign(&self, key: &Key, namespace: &str, data: &[u8]) -> String {
        let file = self.path().join(".keys/payload");
        std::fs::write(&file, data).expect("write payload");
        // ssh-keygen will not overwrite an earlier signature.
        let _ = std::fs::remove_file(file.with_extension("sig"));
        run(Command::new("ssh-keygen")
            .args(["-q", "-Y", "sign", "-n", namespace, "-f"])
            .arg(&key.private)
            .arg(&file));
        std::fs::read_to_string(file.with_extension("sig")).expect("signature")
    }
}
