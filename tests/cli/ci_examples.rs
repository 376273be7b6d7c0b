//! The CI, systemd and Kubernetes recipes in `examples/ci/` are valid YAML/INI and use real flags.

use serde::Deserialize;

use crate::fixture::{project_root, run};

fn files() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![project_root().join("examples/ci")];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every `vmsops SUBCOMMAND --flag` used in a recipe.
fn invocations(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("vmsops ") {
        let rest = &text[i + "vmsops ".len()..];
        let line: String = rest
            .chars()
            .take_while(|c| *c != '\n' && *c != '>' && *c != '|' && *c != ';')
            .collect();
        let words: Vec<&str> = line
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\'' || c == ',' || c == ']'))
            .collect();
        let Some(cmd) = words.first() else { continue };
        if ![
            "validate", "plan", "drift", "watch", "apply", "import", "audit", "snapshot",
        ]
        .contains(cmd)
        {
            continue;
        }
        let flags = words
            .iter()
            .filter(|w| w.starts_with("--"))
            .map(|w| w.split('=').next().unwrap_or(w).to_string())
            .collect();
        out.push((cmd.to_string(), flags));
    }
    out
}

fn recipes_parse_and_use_existing_flags() {
    let files = files();
    assert!(files.len() >= 6, "{files:?}");
    let mut checked = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let name = f.display().to_string();
        if name.ends_with(".yml") || name.ends_with(".yaml") {
            for doc in serde_norway::Deserializer::from_str(&text) {
                serde_norway::Value::deserialize(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        for (cmd, flags) in invocations(&text) {
            let (code, help, err) = run(&[&cmd, "--help"]);
            assert_eq!(code, 0, "{err}");
            for flag in flags {
                assert!(
                    help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                    "{name}: `vmsops {cmd}` has no flag {flag}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "only {checked} flags checked");
}

/// A validator of recipes, found on PATH, or why the test cannot run.
///
/// Without it the test is reported ignored (`crate::harness`, which checks PATH as
/// this does); with `VMSOPS_RECIPES_REQUIRED=1` (as `.ci/run` sets, after installing
/// the pinned validators) a missing validator is a failure.
fn validator(program: &str) -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let required = std::env::var("VMSOPS_RECIPES_REQUIRED").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{program} is not installed and VMSOPS_RECIPES_REQUIRED=1: run .ci/run, which installs it"
        );
        eprintln!("skipped: {program} is not installed (.ci/run installs it)");
    }
    found
}

/// Runs `program args` and fails with its output unless it exits 0.
fn validates(program: &std::path::Path, args: &[&std::ffi::OsStr]) {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .expect("validator runs");
    assert!(
        out.status.success(),
        "{} {:?}:\n{}{}",
        program.display(),
        args,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn the_github_and_gitlab_recipes_follow_their_schemas() {
    let Some(check) = validator("check-jsonschema") else {
        return;
    };
    let root = project_root().join("examples/ci");
    // The schemas vendored in the pinned check-jsonschema (.ci/run): no network.
    let github = root.join("github/vmsops.yml");
    validates(
        &check,
        &[
            "--builtin-schema".as_ref(),
            "vendor.github-workflows".as_ref(),
            github.as_os_str(),
        ],
    );
    let gitlab = root.join("gitlab/.gitlab-ci.yml");
    validates(
        &check,
        &[
            "--builtin-schema".as_ref(),
            "vendor.gitlab-ci".as_ref(),
            "--data-transform".as_ref(),
            "gitlab-ci".as_ref(),
            gitlab.as_os_str(),
        ],
    );
}

fn the_kubernetes_manifests_are_valid_resources() {
    let Some(validate) = validator("kubernetes-validate") else {
        return;
    };
    let dir = project_root().join("examples/ci/kubernetes");
    let mut args: Vec<std::ffi::OsString> = vec!["--strict".into()];
    for f in files().into_iter().filter(|f| f.starts_with(&dir)) {
        args.push(f.into_os_string());
    }
    assert!(args.len() >= 4, "{args:?}");
    let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    validates(&validate, &args);
}

fn the_systemd_units_verify() {
    let Some(analyze) = validator("systemd-analyze") else {
        return;
    };
    // As installed: the units side by side, `vmsops` where ExecStart says (here, the build).
    let dir = tempfile::tempdir().expect("tmp");
    let vmsops = assert_cmd::cargo::cargo_bin("vmsops");
    let mut units = Vec::new();
    for f in files() {
        if !f.starts_with(project_root().join("examples/ci/systemd")) {
            continue;
        }
        let text = std::fs::read_to_string(&f)
            .expect("read")
            .replace("/usr/local/bin/vmsops", &vmsops.display().to_string());
        let target = dir.path().join(f.file_name().expect("name"));
        std::fs::write(&target, text).expect("write");
        units.push(target);
    }
    assert_eq!(units.len(), 3, "{units:?}");
    let mut args: Vec<&std::ffi::OsStr> = vec!["verify".as_ref()];
    args.extend(units.iter().map(|u| u.as_os_str()));
    validates(&analyze, &args);
}

crate::trials! {
    fn recipes_parse_and_use_existing_flags,
    fn the_github_and_gitlab_recipes_follow_their_schemas needs Recipe("check-jsonschema"),
    fn the_kubernetes_manifests_are_valid_resources needs Recipe("kubernetes-validate"),
    fn the_systemd_units_verify needs Recipe("systemd-analyze"),
}
