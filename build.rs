//! Records the commit the binary is built from, for `vmsops --version`.
//!
//! Outside a git checkout (a crate tarball) the version says so instead of failing the build.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let commit = git(&["rev-parse", "--short", "HEAD"]);
    println!(
        "cargo:rustc-env=VMSOPS_COMMIT={}",
        commit.as_deref().unwrap_or("commit unknown")
    );
    // HEAD moves when a branch is switched, the branch's ref when a commit lands; in a
    // worktree both live under the common git folder, which `--git-path` finds.
    let head = git(&["rev-parse", "--git-path", "HEAD"]);
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    let refs = branch.and_then(|b| git(&["rev-parse", "--git-path", &b]));
    let packed = git(&["rev-parse", "--git-path", "packed-refs"]);
    for path in [head, refs, packed].into_iter().flatten() {
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
