//! The command line as scripts and shells see it: usage errors exit 1 (2 means
//! "differences"), `--help` and `--version` exit 0, completions parse, man pages render.

use crate::fixture::{run, vmsops};

fn usage_errors_exit_1_with_clap_s_message() {
    for (args, says) in [
        (
            &["plan", "--no-such-flag"][..],
            "unexpected argument '--no-such-flag'",
        ),
        (&["snapshot", "prune"], "--older-than"),
        (&["apply", "--parallelism", "many"], "invalid value 'many'"),
        (&["watch", "--interval", "soon"], "not a duration"),
        (&["frobnicate"], "unrecognized subcommand"),
        (&[], "Usage:"),
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, 1, "{args:?}: stdout {out}\nstderr {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
    }
}

fn help_and_version_exit_0() {
    for args in [&["--help"][..], &["plan", "--help"], &["help", "apply"]] {
        let (code, out, err) = run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
    let (code, out, err) = run(&["--version"]);
    assert_eq!(code, 0, "{err}");
    // `vmsops 0.1.0 (abc1234)`: the commit it was built from, or `commit unknown` outside git.
    let version = out.trim().strip_prefix("vmsops ").expect("the name first");
    let (semver, commit) = version.split_once(" (").expect("a commit in parentheses");
    assert_eq!(semver, env!("CARGO_PKG_VERSION"));
    let commit = commit.strip_suffix(')').expect("closed");
    assert!(
        commit == "commit unknown" || commit.chars().all(|c| c.is_ascii_hexdigit()),
        "{out}"
    );
}

fn completion_scripts_are_generated_and_bash_parses_its_own() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let (code, out, err) = run(&["completion", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains("vmsops"), "{shell}");
        assert!(out.contains("detailed-exitcode"), "{shell}: plan's flags");
    }
    let out = vmsops()
        .args(["completion", "bash"])
        .output()
        .expect("vmsops runs");
    let check = std::process::Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut bash| {
            use std::io::Write;
            bash.stdin.take().expect("stdin").write_all(&out.stdout)?;
            bash.wait()
        })
        .expect("bash runs");
    assert!(check.success(), "bash -n rejects the completion script");
}

fn man_pages_for_vmsops_and_each_subcommand() {
    let dir = tempfile::tempdir().expect("tmp");
    let out_dir = dir.path().join("man1");
    let (code, out, err) = run(&["man", "--out", out_dir.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    for page in [
        "vmsops.1",
        "vmsops-plan.1",
        "vmsops-apply.1",
        "vmsops-snapshot.1",
        "vmsops-snapshot-list.1",
        "vmsops-audit-review.1",
        "vmsops-completion.1",
    ] {
        let path = out_dir.join(page);
        assert!(out.contains(&path.display().to_string()), "{page} listed");
        let text = std::fs::read_to_string(&path).expect(page);
        assert!(text.starts_with('.'), "{page} is roff");
        assert!(text.contains(".TH "), "{page} has a title header");
    }
    // Rendered by man itself where it is installed (CI images may lack it).
    let man = std::process::Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(out_dir.join("vmsops-plan.1"))
        .env("MANWIDTH", "80")
        .output();
    if let Ok(man) = man {
        assert!(
            man.status.success(),
            "{}",
            String::from_utf8_lossy(&man.stderr)
        );
        let page = String::from_utf8_lossy(&man.stdout);
        assert!(page.contains("--detailed-exitcode"), "{page}");
    }
}

crate::trials! {
    fn usage_errors_exit_1_with_clap_s_message,
    fn help_and_version_exit_0,
    fn completion_scripts_are_generated_and_bash_parses_its_own,
    fn man_pages_for_vmsops_and_each_subcommand,
}
