//! `vmsops validate`: the examples, every class of error, and reading from git.

use crate::fixture::{insta_settings, project_root, run, GitRepo};

fn validate_dir(dir: &str) -> (i32, String) {
    let path = project_root().join(dir);
    let (code, out, err) = run(&[
        "validate",
        "--repo",
        &path.display().to_string(),
        "--rev",
        "WORKTREE",
    ]);
    assert!(!err.contains("panicked"), "{err}");
    (code, out)
}

fn cases(group: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(project_root().join("examples").join(group))
        .expect("examples group")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn the_example_site_is_valid() {
    let (code, out) = validate_dir("examples");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("paris-hq: 10 cameras in 4 files, 0 errors, 0 warnings"),
        "{out}"
    );
}

fn every_invalid_example_fails_with_its_diagnostic() {
    let cases = cases("invalid");
    assert!(cases.len() >= 20, "{cases:?}");
    for case in cases {
        let (code, out) = validate_dir(&format!("examples/invalid/{case}"));
        assert_eq!(code, 1, "{case} must be invalid:\n{out}");
        if case == "token-in-file" {
            assert!(
                !out.contains("9f2c1e7a55d04b8e"),
                "a secret is never printed:\n{out}"
            );
            assert!(
                out.contains("site.yaml:9:3 (line not shown: it holds a secret)"),
                "{out}"
            );
        } else {
            assert!(
                out.contains(" ╭─["),
                "{case}: the offending line is shown:\n{out}"
            );
        }
        assert!(out.contains("help:"), "{case}: says what to do:\n{out}");
        insta_settings().bind(|| insta::assert_snapshot!(format!("invalid-{case}"), out));
    }
}

fn warnings_do_not_fail_validation() {
    for case in cases("warnings") {
        let (code, out) = validate_dir(&format!("examples/warnings/{case}"));
        assert_eq!(code, 0, "{case}:\n{out}");
        assert!(out.contains(" 1 warning"), "{case}:\n{out}");
        insta_settings().bind(|| insta::assert_snapshot!(format!("warning-{case}"), out));
    }
}

fn reads_the_committed_revision_not_the_work_tree() {
    let repo = GitRepo::from_example("");
    let good = repo.commit_all("noop", "Claire Martin", "claire.martin@integrator.example");
    // Break the work tree without committing: HEAD is still valid, WORKTREE is not.
    repo.write(
        "sites/paris-hq/cameras/parking.yaml",
        "apiVersion: vmsops/v1\nkind: Cameras\ncameras: [{id: X}]\n",
    );
    let (code, out, _) = run(&["validate", "--repo", &repo.arg()]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run(&["validate", "--repo", &repo.arg(), "--rev", "WORKTREE"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("missing field `name`"), "{out}");
    repo.commit_all(
        "Break parking",
        "Claire Martin",
        "claire.martin@integrator.example",
    );
    let (code, _, _) = run(&["validate", "--repo", &repo.arg()]);
    assert_eq!(code, 1);
    let (code, out, _) = run(&["validate", "--repo", &repo.arg(), "--rev", &good]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run(&["validate", "--repo", &repo.arg(), "--rev", "HEAD~1"]);
    assert_eq!(code, 0, "{out}");
}

fn many_problems_in_one_run_across_files() {
    let repo = GitRepo::from_example("");
    let site = std::fs::read_to_string(repo.path().join("sites/paris-hq/site.yaml")).expect("read");
    repo.write(
        "sites/paris-hq/site.yaml",
        site.replace("fps: 15", "fps: 0")
            .replace("session_timeout_minutes: 15", "session_timeout_minutes: 16")
            .replace(
                "recipients: [noc@client.example]",
                "recipients: [noc-at-client]",
            )
            .replace(
                "  require_ticket: true",
                "  require_ticket: true\n  reqiure_ticket: true",
            ),
    );
    let cams = std::fs::read_to_string(repo.path().join("sites/paris-hq/cameras/perimeter.yaml"))
        .expect("read");
    repo.write(
        "sites/paris-hq/cameras/perimeter.yaml",
        cams.replace("id: fence-east", "id: Fence_East")
            .replace("retention_days: 21", "retention_days: 3"),
    );
    repo.commit_all(
        "Many mistakes",
        "Claire Martin",
        "claire.martin@integrator.example",
    );
    let (code, out, _) = run(&["validate", "--repo", &repo.arg(), "--format", "json"]);
    assert_eq!(code, 1);
    let v = crate::support::schema::parse_valid("validate", &out);
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .map(|d| d["code"].as_str().expect("code"))
        .collect();
    for expected in [
        "recording::fps",
        "settings::session-timeout",
        "email::invalid",
        "schema::unknown-field",
        "camera::id",
        "recording::retention",
    ] {
        assert!(
            codes.contains(&expected),
            "{expected} missing from {codes:?}"
        );
    }
    let d = v["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["code"] == "schema::unknown-field")
        .expect("unknown field");
    assert_eq!(d["file"], "sites/paris-hq/site.yaml");
    assert!(d["line"].as_u64().expect("line") > 1);
    assert!(d["help"]
        .as_str()
        .expect("help")
        .contains("did you mean `require_ticket`"));
    assert_eq!(v["valid"], false);
    assert_eq!(v["format_version"], 1);
}

fn duplicate_ids_name_both_places() {
    let (code, out) = validate_dir("examples/invalid/duplicate-camera-id");
    assert_eq!(code, 1);
    assert!(out.contains("cameras/lobby.yaml:12:9"), "{out}");
    assert!(
        out.contains("first declared here (cameras/hall.yaml:5:9)"),
        "{out}"
    );
}

fn site_filter_and_unknown_site() {
    let repo = GitRepo::from_example("");
    let (code, out, _) = run(&["validate", "--repo", &repo.arg(), "--site", "paris-hq"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = run(&["validate", "--repo", &repo.arg(), "--site", "lyon"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no site named `lyon` (sites here: paris-hq)"),
        "{err}"
    );
    let (code, _, err) = run(&["validate", "--repo", &repo.arg(), "--site", "pairs-hq"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no site named `pairs-hq`; did you mean `paris-hq`? (sites here: paris-hq)"),
        "{err}"
    );
}

fn duplicate_site_names_across_folders() {
    let repo = GitRepo::from_example("");
    let site = std::fs::read_to_string(repo.path().join("sites/paris-hq/site.yaml")).expect("read");
    repo.write("sites/paris-hq-copy/site.yaml", site);
    repo.commit_all("Copy", "Claire Martin", "claire.martin@integrator.example");
    let (code, out, _) = run(&["validate", "--repo", &repo.arg()]);
    assert_eq!(code, 1);
    assert!(out.contains("site name `paris-hq` is used twice"), "{out}");
}

fn a_ca_certificate_must_be_committed_with_the_site() {
    let repo = GitRepo::from_example("");
    let site = repo.read("sites/paris-hq/site.yaml");
    repo.write(
        "sites/paris-hq/site.yaml",
        site.replace(
            "  token_env: VMSOPS_TOKEN",
            "  token_env: VMSOPS_TOKEN\n  ca_cert: certs/vms-ca.pem",
        ),
    );
    repo.commit_all("CA", "Claire Martin", "claire.martin@integrator.example");
    let (code, out, _) = run(&["validate", "--repo", &repo.arg()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("CA certificate `certs/vms-ca.pem` does not exist at this revision"),
        "{out}"
    );
    repo.write(
        "sites/paris-hq/certs/vms-ca.pem",
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    );
    repo.commit_all(
        "CA file",
        "Claire Martin",
        "claire.martin@integrator.example",
    );
    let (code, out, _) = run(&["validate", "--repo", &repo.arg()]);
    assert_eq!(code, 0, "{out}");
}

crate::trials! {
    fn the_example_site_is_valid,
    fn every_invalid_example_fails_with_its_diagnostic,
    fn warnings_do_not_fail_validation,
    fn reads_the_committed_revision_not_the_work_tree,
    fn many_problems_in_one_run_across_files,
    fn duplicate_ids_name_both_places,
    fn site_filter_and_unknown_site,
    fn duplicate_site_names_across_folders,
    fn a_ca_certificate_must_be_committed_with_the_site,
}
