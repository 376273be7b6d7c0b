//! The shared PostgreSQL store through the binary: `state init|status|migrate`,
//! what the database itself refuses, bad locations, and several machines
//! (working directories, HOMEs) sharing one URL.

use std::path::Path;

use crate::fixture::vmsops;
use crate::snapshot::sim_and_repo;
use crate::support::store::TestStore;
use crate::support::TOKEN;

struct Run {
    code: i32,
    out: String,
    err: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n{}{}", self.code, self.out, self.err)
    }
}

fn run_in(dir: &Path, envs: &[(&str, &str)], args: &[&str]) -> Run {
    let out = vmsops()
        .current_dir(dir)
        .env("VMSOPS_TOKEN", TOKEN)
        .env_remove("VMSOPS_STATE")
        .envs(envs.iter().copied())
        .args(args)
        .output()
        .expect("vmsops runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(store: &TestStore, args: &[&str]) -> Run {
    let loc = store.location();
    let mut all = args.to_vec();
    all.extend(["--state", &loc]);
    run_in(Path::new("."), &[], &all)
}

fn password_of(url: &str) -> String {
    url::Url::parse(url)
        .expect("url")
        .password()
        .unwrap_or_default()
        .to_string()
}

fn sql(store: &TestStore, statement: &str) -> Result<u64, String> {
    let mut c = postgres::Client::connect(&store.location(), postgres::NoTls).expect("connect");
    c.execute(statement, &[]).map_err(|e| {
        e.as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string())
    })
}

fn init_is_idempotent_and_status_names_the_store_without_its_password() {
    let Some(store) = TestStore::postgres() else {
        return;
    };
    let again = run(&store, &["state", "init"]);
    assert_eq!(again.code, 0, "{again}");
    assert!(
        again
            .out
            .contains("schema vmsops is at version 2; nothing to do"),
        "{again}"
    );
    let json = run(&store, &["state", "init", "--format", "json"]);
    assert_eq!(json.code, 0, "{json}");
    let doc = crate::support::schema::parse_valid("state-init", &json.out);
    assert_eq!(
        (doc["action"].as_str(), doc["schema_version"].as_i64()),
        (Some("unchanged"), Some(2)),
        "{doc}"
    );
    assert!(
        again.out.contains("GRANT SELECT, INSERT ON vmsops.journal"),
        "{again}"
    );
    let status = run(&store, &["state", "status", "--format", "json"]);
    assert_eq!(status.code, 0, "{status}");
    let v = crate::support::schema::parse_valid("state-status", &status.out);
    assert_eq!(v["format_version"], 1);
    assert_eq!(
        (v["kind"].as_str(), v["schema_version"].as_i64()),
        (Some("postgres"), Some(2))
    );
    let pw = password_of(&store.location());
    assert!(!pw.is_empty() && !status.out.contains(&pw), "{status}");
}

fn the_database_keeps_the_journal_append_only_and_young_snapshots() {
    let Some(store) = TestStore::postgres() else {
        return;
    };
    let (_sim, repo) = sim_and_repo();
    let created = run(
        &store,
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
    assert_eq!(created.code, 0, "{created}");
    // As the owner of every table: the triggers refuse anyway.
    for statement in [
        "UPDATE vmsops.journal SET line = 'x'",
        "DELETE FROM vmsops.journal",
        "TRUNCATE vmsops.journal",
        "DELETE FROM vmsops.snapshots",
    ] {
        let err = sql(&store, statement).expect_err(statement);
        assert!(err.contains("vmsops:"), "{statement}: {err}");
    }
    let verify = run(&store, &["audit", "verify"]);
    assert_eq!(verify.code, 0, "{verify}");
    assert!(
        verify.out.contains("1 entries, hash chain intact") || verify.out.contains("1 entry"),
        "{verify}"
    );
}

fn a_store_without_schema_or_with_a_newer_one_is_refused_naming_state_init() {
    let Some(store) = TestStore::postgres() else {
        return;
    };
    sql(&store, "DROP SCHEMA vmsops CASCADE").expect("drop the schema");
    let out = run(&store, &["snapshot", "list"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.err
            .contains("run `vmsops state init --state postgres://"),
        "{out}"
    );
    assert!(!out.err.contains(&password_of(&store.location())), "{out}");
    assert_eq!(run(&store, &["state", "init"]).code, 0);
    sql(
        &store,
        "ALTER TABLE vmsops.schema_version DISABLE TRIGGER ALL",
    )
    .expect("alter");
    sql(&store, "UPDATE vmsops.schema_version SET version = 99").expect("newer");
    for args in [&["snapshot", "list"][..], &["state", "init"][..]] {
        let out = run(&store, args);
        assert_eq!(out.code, 1, "{out}");
        assert!(out.err.contains("written by a newer vmsops"), "{out}");
    }
}

fn bad_locations_say_which_store_and_never_the_password() {
    let Some(store) = TestStore::postgres() else {
        return;
    };
    let mut wrong = url::Url::parse(&store.location()).expect("url");
    wrong
        .set_password(Some("not-the-password"))
        .expect("password");
    let refused = run_in(
        Path::new("."),
        &[("RUST_LOG", "trace")],
        &["snapshot", "list", "--state", wrong.as_str()],
    );
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.err.contains("state store postgres://"), "{refused}");
    assert!(
        !refused.all_text().contains("not-the-password"),
        "{refused}"
    );
    // Nothing listens on port 1 of loopback.
    let mut down = wrong.clone();
    down.set_port(Some(1)).expect("port");
    let out = run_in(
        Path::new("."),
        &[],
        &["snapshot", "list", "--state", down.as_str()],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(out.err.contains("127.0.0.1:1"), "{out}");
    let out = run_in(
        Path::new("."),
        &[],
        &[
            "snapshot",
            "list",
            "--state",
            "postgres://u@h/db?sslmode=verify-ca",
        ],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(out.err.contains("verify-ca"), "{out}");
    // The password from the URL, at trace level: never printed.
    let ok = run_in(
        Path::new("."),
        &[("RUST_LOG", "trace")],
        &["state", "status", "--state", &store.location()],
    );
    assert_eq!(ok.code, 0, "{ok}");
    assert!(
        !ok.all_text().contains(&password_of(&store.location())),
        "{ok}"
    );
}

impl Run {
    fn all_text(&self) -> String {
        format!("{}{}", self.out, self.err)
    }
}

fn two_machines_on_one_url_share_one_journal_and_one_set_of_snapshots() {
    let Some(store) = TestStore::postgres() else {
        return;
    };
    let (_sim, repo) = sim_and_repo();
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    for (home, op) in [(&a, "claire.martin"), (&b, "jean.dupont")] {
        let home = home.path().to_str().expect("utf-8");
        let out = run_in(
            Path::new(home),
            &[("HOME", home), ("VMSOPS_STATE", &store.location())],
            &[
                "snapshot",
                "create",
                "--site",
                "paris-hq",
                "--operator",
                op,
                "--repo",
                &repo.arg(),
            ],
        );
        assert_eq!(out.code, 0, "{out}");
    }
    let listed = run(&store, &["snapshot", "list", "--format", "json"]);
    let v = crate::support::schema::parse_valid("snapshot-list", &listed.out);
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{listed}");
    let log = run(&store, &["audit", "log", "--format", "json"]);
    let v = crate::support::schema::parse_valid("audit-log", &log.out);
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{log}");
    let id = v[0]["target"].as_str().expect("id").to_string();
    let shown = run(&store, &["snapshot", "show", &id]);
    assert_eq!(shown.code, 0, "{shown}");
}

fn migrate_keeps_hashes_reruns_harmlessly_and_refuses_a_diverged_store() {
    let Some(store) = TestStore::postgres() else {
        return;
    };
    let dir = tempfile::tempdir().expect("state dir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures/journal-0.1.jsonl"),
        dir.path().join("journal.jsonl"),
    )
    .expect("copy the pinned journal");
    let from = dir.path().to_str().expect("utf-8");
    let first = run(&store, &["state", "migrate", "--from", from]);
    assert_eq!(first.code, 0, "{first}");
    assert!(
        first
            .out
            .contains("37 journal entries copied (37 in the store, chain intact)"),
        "{first}"
    );
    let again = run(
        &store,
        &["state", "migrate", "--from", from, "--format", "json"],
    );
    assert_eq!(again.code, 0, "{again}");
    let doc = crate::support::schema::parse_valid("state-migrate", &again.out);
    assert_eq!(
        (doc["entries"].as_u64(), doc["total_entries"].as_u64()),
        (Some(0), Some(37)),
        "nothing copied twice: {doc}"
    );
    let source = std::fs::read_to_string(dir.path().join("journal.jsonl")).expect("read");
    let bytes = vmsops::audit::Journal::open(&store.open())
        .read_bytes()
        .expect("read the store");
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        source,
        "the same bytes, the same hashes"
    );

    // Another journal, not a prefix of the store's: nothing is copied.
    let other = tempfile::tempdir().expect("other");
    let first_line: String = source
        .lines()
        .next()
        .expect("a line")
        .replace("claire.martin", "jean.dupont");
    std::fs::write(other.path().join("journal.jsonl"), first_line + "\n").expect("write");
    let refused = run(
        &store,
        &[
            "state",
            "migrate",
            "--from",
            other.path().to_str().expect("utf-8"),
        ],
    );
    assert_eq!(refused.code, 1, "{refused}");
    assert!(
        refused.err.contains("nothing was copied") || refused.err.contains("not a prefix"),
        "{refused}"
    );
}

fn status_of_a_directory_store() {
    let dir = tempfile::tempdir().expect("state");
    let out = run_in(
        Path::new("."),
        &[("VMSOPS_STATE", dir.path().to_str().expect("utf-8"))],
        &["state", "status"],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.out.contains("(directory)") && out.out.contains("no entries yet"),
        "{out}"
    );
}

/// A store created by an older vmsops (schema version 1, snapshots stored as text) is
/// migrated by `state init`: its snapshots still list and verify, new ones are compressed.
fn a_version_1_store_is_migrated_and_keeps_its_text_snapshots() {
    let Some(store) = TestStore::empty_postgres() else {
        return;
    };
    let mut c = postgres::Client::connect(&store.location(), postgres::NoTls).expect("connect");
    c.batch_execute(vmsops::state::pg::schema::MIGRATIONS[0])
        .expect("version 1");
    c.batch_execute("UPDATE vmsops.schema_version SET version = 1")
        .expect("version");
    // A snapshot as version 1 stored it: the snapshot file's text.
    let dir = tempfile::tempdir().expect("tmp");
    let dir_store = vmsops::state::StateStore::open(dir.path().to_str(), None, &|_| None)
        .expect("a directory store");
    let made = vmsops::snapshot::SnapshotStore::new(&dir_store)
        .create(
            &old_meta(),
            &serde_json::json!({"format": "reference-vms/v1", "cameras": []}),
        )
        .expect("create");
    let text = String::from_utf8(
        zstd::decode_all(std::fs::read(&made.path).expect("read").as_slice()).expect("zstd"),
    )
    .expect("utf-8");
    c.execute(
        "INSERT INTO vmsops.snapshots (id, site, taken_at, keep_until, sha256, body) \
         VALUES ($1, 'paris-hq', now(), now() + interval '200 days', $2, $3)",
        &[&made.id, &made.sha256, &text],
    )
    .expect("insert");

    let refused = run(&store, &["snapshot", "list"]);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.err.contains("state init"), "{refused}");
    let init = run(&store, &["state", "init"]);
    assert_eq!(init.code, 0, "{init}");
    let shown = run(&store, &["snapshot", "show", &made.id]);
    assert_eq!(shown.code, 0, "{shown}");
    assert!(shown.out.contains("(verified)"), "{shown}");
    let listed = run(&store, &["snapshot", "list"]);
    assert_eq!(listed.code, 0, "{listed}");
    assert!(listed.out.contains(&made.id), "{listed}");
}

fn old_meta() -> vmsops::snapshot::SnapshotMeta {
    vmsops::snapshot::SnapshotMeta {
        site: "paris-hq".into(),
        taken_at: "2026-11-27T12:00:00Z".parse().expect("time"),
        operator: "claire.martin".into(),
        reason: None,
        commit: None,
        driver: "reference".into(),
        url: "http://127.0.0.1:8480".into(),
        token_env: Some("VMSOPS_TOKEN".into()),
        username_env: None,
        password_env: None,
        snapshot_retention_days: 183,
    }
}

crate::trials! {
    fn init_is_idempotent_and_status_names_the_store_without_its_password needs Postgres,
    fn the_database_keeps_the_journal_append_only_and_young_snapshots needs Postgres,
    fn a_store_without_schema_or_with_a_newer_one_is_refused_naming_state_init needs Postgres,
    fn bad_locations_say_which_store_and_never_the_password needs Postgres,
    fn two_machines_on_one_url_share_one_journal_and_one_set_of_snapshots needs Postgres,
    fn migrate_keeps_hashes_reruns_harmlessly_and_refuses_a_diverged_store needs Postgres,
    fn status_of_a_directory_store,
    fn a_version_1_store_is_migrated_and_keeps_its_text_snapshots needs Postgres,
}
