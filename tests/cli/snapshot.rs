//! snapshot create, list, show and prune through the binary, against a real `vmsops sim`.

use std::path::Path;

use serde_json::Value;
use vmsops::state::{Applied, StateStore};

use crate::fixture::{insta_settings, vmsops, GitRepo, NOW};
use crate::support::{camera, SimProcess, TOKEN};

/// Runs vmsops with the sim's token in `VMSOPS_TOKEN`, a state directory and extra variables.
pub fn run_env(state: &Path, envs: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let out = vmsops()
        .env("VMSOPS_TOKEN", TOKEN)
        .env("VMSOPS_STATE_DIR", state)
        .envs(envs.iter().copied())
        .args(args)
        .output()
        .expect("vmsops runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// [`run_env`] without extra variables.
pub fn run_with(state: &Path, args: &[&str]) -> (i32, String, String) {
    run_env(state, &[], args)
}

/// The shared filters, plus snapshot ids' random suffix and bare SHA-256s.
pub fn settings() -> insta::Settings {
    let mut s = insta_settings();
    s.add_filter(
        r"(\d{8}T\d{6}Z-[A-Za-z0-9._@-]+)-[0-9a-f]{4}\b",
        "${1}-[SUFFIX]",
    );
    s.add_filter(r"\b[0-9a-f]{64}\b", "[SHA256]");
    // Compressed sizes move with the ids and times they hold.
    s.add_filter(r"\b\d+(\.\d)? (B|KiB|MiB|GiB)\b", "[SIZE]");
    s
}

/// A sim holding two cameras, and the example site pointing at it.
pub fn sim_and_repo() -> (SimProcess, GitRepo) {
    let sim = SimProcess::start(&[]);
    tokio::runtime::Runtime::new().expect("runtime").block_on(
        sim.http()
            .import_cameras(vec![camera("hall-01"), camera("hall-02")]),
    );
    let repo = GitRepo::example_at(&sim.url);
    (sim, repo)
}

/// `snapshot create` for paris-hq by claire.martin; returns the new id.
pub fn create(state: &Path, repo: &GitRepo) -> String {
    let (code, out, err) = run_with(
        state,
        &[
            "snapshot",
            "create",
            "--site",
            "paris-hq",
            "--operator",
            "claire.martin",
            "--repo",
            &repo.arg(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    out.split_whitespace().nth(1).expect("id").to_string()
}

fn list_json(state: &Path) -> Vec<Value> {
    let (code, out, err) = run_with(state, &["snapshot", "list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    crate::support::schema::parse_valid("snapshot-list", &out)
        .as_array()
        .expect("array")
        .clone()
}

fn create_list_and_show() {
    let (_sim, repo) = sim_and_repo();
    let state = tempfile::tempdir().expect("state");
    let (code, created, err) = run_with(
        state.path(),
        &[
            "snapshot",
            "create",
            "--site",
            "paris-hq",
            "--operator",
            "claire.martin",
            "--reason",
            "before the firmware upgrade",
            "--repo",
            &repo.arg(),
        ],
    );
    assert_eq!(code, 0, "{created}{err}");
    // Nothing applied yet: the connection comes from HEAD, and the user is told.
    assert!(
        err.contains("no apply recorded for site paris-hq") && err.contains("HEAD"),
        "{err}"
    );

    let list = list_json(state.path());
    assert_eq!(list.len(), 1);
    let item = list[0].as_object().expect("object");
    let keys: Vec<&str> = item.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["id", "site", "taken_at", "operator", "reason", "commit", "sha256"]
    );
    let id = item["id"].as_str().expect("id");
    assert!(id.starts_with("20261127T120000Z-claire.martin-"), "{id}");
    assert_eq!(item["taken_at"], NOW);
    assert_eq!(item["reason"], "before the firmware upgrade");
    assert_eq!(item["commit"], Value::Null);
    let file = state
        .path()
        .join(format!("snapshots/paris-hq/{id}.json.zst"));
    let stored = std::fs::read(&file).expect("snapshot file");
    let json = zstd::decode_all(stored.as_slice()).expect("a zstd frame");
    assert!(
        stored.len() * 2 < json.len(),
        "compressed: {} of {}",
        stored.len(),
        json.len()
    );
    let content: Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(content["format"], "vmsops-snapshot/v1");
    assert_eq!(content["meta"]["token_env"], "VMSOPS_TOKEN");
    assert_eq!(content["meta"]["snapshot_retention_days"], 183);
    assert_eq!(
        content["export"]["cameras"].as_array().map(Vec::len),
        Some(2)
    );

    let (code, listed, _) = run_with(state.path(), &["snapshot", "list"]);
    assert_eq!(code, 0);
    let (code, shown, err) = run_with(state.path(), &["snapshot", "show", id]);
    assert_eq!(code, 0, "{err}");
    for out in [&created, &listed, &shown] {
        assert!(!out.contains(TOKEN), "the token leaked: {out}");
    }
    settings().bind(|| {
        insta::assert_snapshot!("snapshot-create", created);
        insta::assert_snapshot!("snapshot-list", listed);
        insta::assert_snapshot!("snapshot-show", shown);
    });
}

fn show_refuses_a_tampered_file_and_ids_that_are_paths() {
    let (_sim, repo) = sim_and_repo();
    let state = tempfile::tempdir().expect("state");
    let id = create(state.path(), &repo);
    let file = state
        .path()
        .join(format!("snapshots/paris-hq/{id}.json.zst"));
    let stored = std::fs::read(&file).expect("read");
    let text =
        String::from_utf8(zstd::decode_all(stored.as_slice()).expect("zstd")).expect("utf-8");
    let tampered =
        zstd::encode_all(text.replace("hall-02", "hall-99").as_bytes(), 3).expect("zstd");
    std::fs::write(&file, tampered).expect("write");
    let (code, out, err) = run_with(state.path(), &["snapshot", "show", &id]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("sha256 mismatch"), "{err}");
    assert!(
        err.contains(&format!("{id}.json")),
        "the file is named: {err}"
    );

    for bad in ["../x", "../../journal", "paris-hq/x"] {
        let (code, _, err) = run_with(state.path(), &["snapshot", "show", bad]);
        assert_eq!(code, 1, "{bad}");
        assert!(err.contains("is not a snapshot id"), "{bad}: {err}");
    }
    let (code, _, err) = run_with(
        state.path(),
        &["snapshot", "show", "20261127T120000Z-nobody-0000"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("no snapshot"), "{err}");
}

fn the_operator_is_required_and_may_come_from_the_environment() {
    let (_sim, repo) = sim_and_repo();
    let state = tempfile::tempdir().expect("state");
    let args = [
        "snapshot",
        "create",
        "--site",
        "paris-hq",
        "--repo",
        &repo.arg(),
    ];
    let (code, _, err) = run_with(state.path(), &args);
    assert_eq!(code, 1);
    assert!(
        err.contains("--operator") && err.contains("VMSOPS_OPERATOR"),
        "{err}"
    );
    assert!(list_json(state.path()).is_empty());
    assert!(!state.path().join("journal.jsonl").exists());

    let (code, _, err) = run_env(state.path(), &[("VMSOPS_OPERATOR", "karim.benali")], &args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(list_json(state.path())[0]["operator"], "karim.benali");
}

fn the_connection_comes_from_the_last_applied_commit() {
    let (_sim, repo) = sim_and_repo();
    let applied = repo.commit_all("nothing new", "Claire Martin", "claire.martin@x.example");
    // HEAD now points at a VMS that does not answer; the applied commit still knows the right one.
    let site = repo.read("sites/paris-hq/site.yaml");
    let moved = site
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("url:") {
                "  url: http://127.0.0.1:9".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    repo.write("sites/paris-hq/site.yaml", moved + "\n");
    repo.commit_all("Move the VMS", "Claire Martin", "claire.martin@x.example");
    let state = tempfile::tempdir().expect("state");
    StateStore::resolve(Some(state.path()), &|_| None)
        .expect("state")
        .set_applied(
            "paris-hq",
            &Applied {
                commit: applied.clone(),
                at: NOW.parse().expect("ts"),
                operator: "claire.martin".into(),
                agent: "cli".into(),
                journal_seq: None,
                journal_hash: None,
            },
        )
        .expect("applied");
    let (code, out, err) = run_with(
        state.path(),
        &[
            "snapshot",
            "create",
            "--site",
            "paris-hq",
            "--operator",
            "claire.martin",
            "--repo",
            &repo.arg(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("HEAD"), "no fallback: {err}");
    assert_eq!(list_json(state.path())[0]["commit"], applied.as_str());
}

fn an_unreachable_vms_is_an_error_and_is_journaled() {
    let (mut sim, repo) = sim_and_repo();
    sim.kill();
    let state = tempfile::tempdir().expect("state");
    let (code, _, err) = run_with(
        state.path(),
        &[
            "snapshot",
            "create",
            "--site",
            "paris-hq",
            "--operator",
            "claire.martin",
            "--repo",
            &repo.arg(),
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("cannot reach the VMS"), "{err}");
    assert!(list_json(state.path()).is_empty());
    let (code, log, _) = run_with(state.path(), &["audit", "log", "--format", "json"]);
    assert_eq!(code, 0);
    let entries = crate::support::schema::parse_valid("audit-log", &log);
    assert_eq!(entries[0]["action"], "snapshot.create");
    assert_eq!(entries[0]["result"], "failure");
    assert!(entries[0]["detail"]["error"]
        .as_str()
        .is_some_and(|e| e.contains("cannot reach")));
}

fn prune_keeps_snapshots_inside_their_retention_and_journals_removals() {
    let (_sim, repo) = sim_and_repo();
    let state = tempfile::tempdir().expect("state");
    let id = create(state.path(), &repo);
    let file = state
        .path()
        .join(format!("snapshots/paris-hq/{id}.json.zst"));

    // Seven weeks later, "older than a day" does not reach below the 183 days of the procedure.
    let (code, kept, err) = run_env(
        state.path(),
        &[("VMSOPS_NOW", "2027-01-15T00:00:00Z")],
        &["snapshot", "prune", "--older-than", "1d"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(file.exists());

    let (code, young, _) = run_env(
        state.path(),
        &[("VMSOPS_NOW", "2027-01-15T00:00:00Z")],
        &["snapshot", "prune", "--older-than", "200d"],
    );
    assert_eq!(code, 0);
    assert_eq!(young, "Nothing to prune.\n");

    let (code, removed, err) = run_env(
        state.path(),
        &[
            ("VMSOPS_NOW", "2027-06-01T00:00:00Z"),
            ("VMSOPS_OPERATOR", "claire.martin"),
        ],
        &[
            "snapshot",
            "prune",
            "--older-than",
            "1d",
            "--site",
            "paris-hq",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!file.exists());
    settings().bind(|| {
        insta::assert_snapshot!("snapshot-prune-retained", kept);
        insta::assert_snapshot!("snapshot-prune-removed", removed);
    });

    let (_, log, _) = run_with(state.path(), &["audit", "log", "--format", "json"]);
    let entries = crate::support::schema::parse_valid("audit-log", &log);
    assert_eq!(entries[1]["action"], "snapshot.delete");
    assert_eq!(entries[1]["snapshot"], id.as_str());
    assert_eq!(entries[1]["operator"], "claire.martin");
    let (code, out, _) = run_with(state.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}");

    let (code, _, err) = run_with(state.path(), &["snapshot", "prune", "--older-than", "soon"]);
    assert_ne!(code, 0);
    assert!(err.contains("is not a duration"), "{err}");
}

crate::trials! {
    fn create_list_and_show,
    fn show_refuses_a_tampered_file_and_ids_that_are_paths,
    fn the_operator_is_required_and_may_come_from_the_environment,
    fn the_connection_comes_from_the_last_applied_commit,
    fn an_unreachable_vms_is_an_error_and_is_journaled,
    fn prune_keeps_snapshots_inside_their_retention_and_journals_removals,
}
