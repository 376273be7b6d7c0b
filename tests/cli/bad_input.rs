//! Hostile or broken input: a clear error and exit 1, never a panic or a hang.

use std::time::{Duration, Instant};

use crate::fixture::{run, GitRepo};

const CAMERAS_HEAD: &str = "apiVersion: vmsops/v1\nkind: Cameras\ncameras:\n";

fn check(repo: &GitRepo, expect: &str) -> String {
    let start = Instant::now();
    let (code, out, err) = run(&["validate", "--repo", &repo.arg()]);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(code, 1, "stdout:\n{out}\nstderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    let all = format!("{out}{err}");
    assert!(all.contains(expect), "expected `{expect}` in:\n{all}");
    all
}

fn yaml_bomb_of_aliases() {
    let repo = GitRepo::from_example("");
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    repo.write("sites/paris-hq/cameras/bomb.yaml", text);
    repo.commit_all("bomb", "Eve", "eve@x.example");
    check(&repo, "repetition limit");
}

fn deeply_nested_document() {
    let repo = GitRepo::from_example("");
    let text = format!(
        "{CAMERAS_HEAD}  - {}{}\n",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    repo.write("sites/paris-hq/cameras/deep.yaml", text);
    repo.commit_all("deep", "Eve", "eve@x.example");
    check(&repo, "recursion limit");
}

fn fifty_megabyte_file() {
    let repo = GitRepo::from_example("");
    let mut text = String::from(CAMERAS_HEAD);
    let line = "  # padding padding padding padding padding padding padding padding padding\n";
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    repo.write("sites/paris-hq/cameras/huge.yaml", text);
    repo.commit_all("huge", "Eve", "eve@x.example");
    check(&repo, "vmsops reads YAML files up to");
}

fn binary_and_non_utf8_files() {
    let repo = GitRepo::from_example("");
    repo.write(
        "sites/paris-hq/cameras/photo.yaml",
        [0x89, b'P', b'N', b'G', 0, 0, 0, 13],
    );
    repo.write(
        "sites/paris-hq/cameras/latin1.yaml",
        b"apiVersion: vmsops/v1\nkind: Cameras\n# Entr\xe9e\ncameras: []\n",
    );
    repo.commit_all("bad bytes", "Eve", "eve@x.example");
    let out = check(&repo, "is a binary file");
    assert!(
        out.contains("latin1.yaml is not valid UTF-8 (line 3"),
        "{out}"
    );
}

fn symlink_out_of_the_repository() {
    let repo = GitRepo::from_example("");
    std::os::unix::fs::symlink(
        "/etc/passwd",
        repo.path().join("sites/paris-hq/cameras/passwd.yaml"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink(
        "../../../../outside.yaml",
        repo.path().join("sites/paris-hq/cameras/up.yaml"),
    )
    .expect("symlink");
    repo.commit_all("links", "Eve", "eve@x.example");
    let out = check(&repo, "outside the repository");
    assert!(
        out.contains("passwd.yaml") && out.contains("up.yaml"),
        "{out}"
    );
    // The work tree is guarded the same way.
    let (code, out, err) = run(&["validate", "--repo", &repo.arg(), "--rev", "WORKTREE"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("outside the repository"), "{out}");
}

fn a_symlink_inside_the_repository_is_followed() {
    let repo = GitRepo::from_example("");
    std::fs::rename(
        repo.path().join("sites/paris-hq/cameras/perimeter.yaml"),
        repo.path().join("sites/paris-hq/perimeter-shared.yaml"),
    )
    .expect("move");
    std::os::unix::fs::symlink(
        "../perimeter-shared.yaml",
        repo.path().join("sites/paris-hq/cameras/perimeter.yaml"),
    )
    .expect("symlink");
    repo.commit_all("link", "Claire Martin", "claire.martin@integrator.example");
    let (code, out, _) = run(&["validate", "--repo", &repo.arg()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("10 cameras"), "{out}");
}

fn revision_that_does_not_exist() {
    let repo = GitRepo::from_example("");
    let (code, _, err) = run(&["validate", "--repo", &repo.arg(), "--rev", "no-such-branch"]);
    assert_eq!(code, 1);
    assert!(err.contains("revision `no-such-branch` not found"), "{err}");
}

fn not_a_git_repository() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, _, err) = run(&["validate", "--repo", &dir.path().display().to_string()]);
    assert_eq!(code, 1);
    assert!(err.contains("is not a git repository"), "{err}");
    let (code, _, err) = run(&["validate", "--repo", "/nonexistent/dir"]);
    assert_eq!(code, 1);
    assert!(err.contains("does not exist"), "{err}");
}

fn repository_without_commits_or_sites() {
    let repo = GitRepo::new();
    let (code, _, err) = run(&["validate", "--repo", &repo.arg()]);
    assert_eq!(code, 1);
    assert!(err.contains("has no commits yet"), "{err}");
    repo.write("README.md", "hello");
    repo.commit_all("readme", "Claire Martin", "c@x.example");
    let (code, _, err) = run(&["validate", "--repo", &repo.arg()]);
    assert_eq!(code, 1);
    assert!(err.contains("no site found"), "{err}");
}

fn wrong_shapes_at_the_top() {
    let repo = GitRepo::from_example("");
    repo.write("sites/paris-hq/cameras/list.yaml", "- just\n- a list\n");
    repo.write("sites/paris-hq/cameras/empty.yaml", "");
    repo.write(
        "sites/paris-hq/cameras/scalar-cameras.yaml",
        format!("{CAMERAS_HEAD}  42\n"),
    );
    repo.write(
        "sites/paris-hq/cameras/two-docs.yaml",
        format!("{CAMERAS_HEAD}  []\n---\n{CAMERAS_HEAD}  []\n"),
    );
    repo.commit_all("shapes", "Eve", "eve@x.example");
    let out = check(&repo, "list.yaml");
    assert!(
        out.contains("expected a mapping with `apiVersion`"),
        "{out}"
    );
    assert!(out.contains("empty.yaml"), "{out}");
    assert!(
        out.contains("expected a list of cameras, found a number"),
        "{out}"
    );
    assert!(out.contains("more than one document"), "{out}");
}

crate::trials! {
    fn yaml_bomb_of_aliases,
    fn deeply_nested_document,
    fn fifty_megabyte_file,
    fn binary_and_non_utf8_files,
    fn symlink_out_of_the_repository,
    fn a_symlink_inside_the_repository_is_followed,
    fn revision_that_does_not_exist,
    fn not_a_git_repository,
    fn repository_without_commits_or_sites,
    fn wrong_shapes_at_the_top,
}
