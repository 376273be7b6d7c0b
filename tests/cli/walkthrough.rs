//! The README's "From an existing VMS to your first apply" runs as written.
//!
//! The shell blocks between `<!-- walkthrough:begin -->` and `<!-- walkthrough:end -->`
//! run, in order, in one bash, in a folder laid out like a vmsops clone (its
//! `examples/`), with the built `vmsops` first on PATH, a home of its own (the
//! SSH key, no user git configuration) and `VMS_PORT` a free port.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixture::project_root;

/// How long the whole walk may take before it is stopped.
const DEADLINE: Duration = Duration::from_secs(300);

/// The `sh` blocks of the README's walkthrough, in order.
fn walkthrough_blocks(readme: &str) -> Vec<String> {
    let start = readme
        .find("<!-- walkthrough:begin -->")
        .expect("README has <!-- walkthrough:begin -->");
    let end = readme
        .find("<!-- walkthrough:end -->")
        .expect("README has <!-- walkthrough:end -->");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme[start..end].lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn the_readme_walkthrough_goes_from_import_to_a_verified_first_apply() {
    let readme = std::fs::read_to_string(project_root().join("README.md")).expect("README");
    let blocks = walkthrough_blocks(&readme);
    assert!(blocks.len() >= 8, "only {} sh blocks", blocks.len());
    let root = tempfile::tempdir().expect("tmp");
    let clone = root.path().join("vmsops");
    copy_dir(
        &project_root().join("examples/sites/paris-hq"),
        &clone.join("examples/sites/paris-hq"),
    );
    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("vmsops"), bin.join("vmsops"))
        .expect("symlink");
    let home = root.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    // Whatever the walk leaves in the background (the sim) ends with it.
    let script = format!(
        "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{}",
        blocks.join("\n")
    );
    let path = std::env::var("PATH").unwrap_or_default();
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&clone)
        .env_clear()
        .env("PATH", format!("{}:{path}", bin.display()))
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env("LANG", "C.UTF-8")
        .env("VMS_PORT", free_port().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("bash runs");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if started.elapsed() > DEADLINE {
            // The whole group: bash and the sim it started.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (out, err) = (out.join().expect("stdout"), err.join().expect("stderr"));
    let log = std::fs::read_to_string(clone.join("walkthrough/sim.log")).unwrap_or_default();
    let all = format!("--- stdout\n{out}\n--- stderr\n{err}\n--- sim.log\n{log}");
    let status = status.unwrap_or_else(|| panic!("the walkthrough took over {DEADLINE:?}\n{all}"));
    assert_eq!(status.code(), Some(0), "{all}");
    for needle in [
        "imported 10 cameras",
        "paris-hq: 10 cameras in 6 files, 0 errors, 0 warnings",
        "refused by approval",
        "homologation: Axis P3265-LVE is approved",
        "approval: approved by rs@client.example with tag approve/wo-1002",
        "verify: hall-03 healthy",
        "paris-hq: applied: 2 succeeded.",
        "status: in-sync",
        "hash chain intact",
    ] {
        assert!(out.contains(needle), "`{needle}` missing\n{all}");
    }
    assert!(
        err.contains("Good \"git\" signature for rs@client.example"),
        "{all}"
    );
}

fn the_walkthrough_blocks_are_found_in_order() {
    let md = "x\n<!-- walkthrough:begin -->\n```sh\na\n```\n```yaml\nno\n```\n```sh\nb\nc\n```\n<!-- walkthrough:end -->\n```sh\nafter\n```\n";
    assert_eq!(walkthrough_blocks(md), ["a\n", "b\nc\n"]);
}

crate::trials! {
    fn the_readme_walkthrough_goes_from_import_to_a_verified_first_apply,
    fn the_walkthrough_blocks_are_found_in_order,
}
