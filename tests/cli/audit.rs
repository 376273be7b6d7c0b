//! audit verify, log and review through the binary, against a real `vmsops sim`.

use std::path::Path;
use std::process::Stdio;

use jiff::Timestamp;
use serde_json::{json, Map, Value};
use vmsops::audit::{Action, Approval, EntryResult, Journal, NewEntry};
use vmsops::driver::Vms;
use vmsops::state::{Applied, Baseline, StateStore};

use crate::fixture::{insta_settings, GitRepo, NOW};
use crate::snapshot::{create, run_env, run_with, settings, sim_and_repo};
use crate::support::{camera, SimProcess, TOKEN};

fn state_dir(path: &Path) -> StateStore {
    StateStore::resolve(Some(path), &|_| None).expect("state")
}

fn detail(v: Value) -> Option<Map<String, Value>> {
    v.as_object().cloned()
}

/// An operation as apply journals it, by claire.martin on paris-hq.
fn op(at: Timestamp, action: &str, target: &str, result: EntryResult) -> NewEntry {
    let mut n = NewEntry::new(at, Action::parse(action), result);
    n.site = Some("paris-hq".into());
    n.operator = Some("claire.martin".into());
    n.target = Some(target.into());
    n.commit = Some("8bfe85eee6710000000000000000000000000000".into());
    n.authors = Some(vec![
        "Claire Martin <claire.martin@integrator.example>".into()
    ]);
    n
}

crate::for_each_store! {
    /// Six processes snapshot (and journal) at once: one chain, no gap, six ids.
    fn processes_appending_at_once_keep_one_chain(store: TestStore) {
        let (_sim, repo) = sim_and_repo();
        let children: Vec<_> = (0..6)
            .map(|i| {
                std::process::Command::new(assert_cmd::cargo::cargo_bin("vmsops"))
                    .env("VMSOPS_NOW", NOW)
                    .env("VMSOPS_TOKEN", TOKEN)
                    .env(store.env().0, store.env().1)
                    .env_remove("RUST_LOG")
                    .args([
                        "snapshot",
                        "create",
                        "--site",
                        "paris-hq",
                        "--operator",
                        &format!("operator-{}", i % 2),
                        "--repo",
                        &repo.arg(),
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let (code, out, _) = store.run(&["audit", "verify"]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("6 entries, hash chain intact"), "{out}");
        let entries = Journal::open(&store.open()).read().expect("read");
        assert_eq!(
            entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6]
        );
        // Same second, same two operators: still six distinct ids.
        let mut ids: Vec<String> = entries
            .iter()
            .map(|e| e.snapshot.clone().expect("id"))
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 6);
        let (_, list, _) = store.run(&["snapshot", "list", "--format", "json"]);
        assert_eq!(
            crate::support::schema::parse_valid("snapshot-list", &list)
                .as_array()
                .map(Vec::len),
            Some(6)
        );
    }
}

fn verify_names_the_first_broken_entry_and_appends_stop() {
    let (_sim, repo) = sim_and_repo();
    let state = tempfile::tempdir().expect("state");
    let (code, out, _) = run_with(state.path(), &["audit", "verify"]);
    assert_eq!(
        (code, out.ends_with("no entries yet\n")),
        (0, true),
        "{out}"
    );
    for _ in 0..3 {
        create(state.path(), &repo);
    }
    let (code, intact, _) = run_with(state.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{intact}");
    let path = state.path().join("journal.jsonl");
    let good = std::fs::read_to_string(&path).expect("journal");
    let lines: Vec<&str> = good.lines().collect();

    let verify_after = |content: String| {
        std::fs::write(&path, content).expect("write");
        let (code, out, _) = run_with(state.path(), &["audit", "verify"]);
        assert_eq!(code, 1, "{out}");
        out
    };
    let edited = verify_after(format!(
        "{}\n{}\n{}\n",
        lines[0],
        lines[1].replacen("claire.martin", "someone.else", 1),
        lines[2]
    ));
    let deleted = verify_after(format!("{}\n{}\n", lines[0], lines[2]));
    let moved = verify_after(format!("{}\n{}\n{}\n", lines[0], lines[2], lines[1]));
    let torn = verify_after(good[..good.len() - 20].to_string());
    // Removing whole entries from the end leaves a valid chain: an apply's recorded seq catches it.
    state_dir(state.path())
        .set_applied(
            "paris-hq",
            &Applied {
                commit: "c".into(),
                at: NOW.parse().expect("ts"),
                operator: "claire.martin".into(),
                agent: "cli".into(),
                journal_seq: Some(3),
                journal_hash: None,
            },
        )
        .expect("applied");
    let truncated = verify_after(format!("{}\n{}\n", lines[0], lines[1]));

    // A torn tail is never extended: the next operation stops before reading the VMS.
    std::fs::write(&path, &good[..good.len() - 20]).expect("write");
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
    assert!(err.contains("run `vmsops audit verify`"), "{err}");

    let mut s = settings();
    s.add_filter(r"last hash \[SHA256\]", "last hash [HASH]");
    s.bind(|| {
        insta::assert_snapshot!("audit-verify-intact", intact);
        insta::assert_snapshot!("audit-verify-edited", edited);
        insta::assert_snapshot!("audit-verify-deleted", deleted);
        insta::assert_snapshot!("audit-verify-moved", moved);
        insta::assert_snapshot!("audit-verify-torn", torn);
        insta::assert_snapshot!("audit-verify-truncated", truncated);
    });
}

fn log_filters_by_site_and_date() {
    let state = tempfile::tempdir().expect("state");
    let journal = Journal::open(&state_dir(state.path()));
    let mut a = op(
        "2026-11-02T03:00:00Z".parse().expect("ts"),
        "camera.update",
        "hall-01",
        EntryResult::Success,
    );
    a.ticket = Some("OPS-1".into());
    a.detail =
        detail(json!({"request_id": "r-1", "class": "recording", "window": "tuesday-night"}));
    journal.append(a).expect("append");
    let mut b = op(
        "2026-11-20T10:00:00Z".parse().expect("ts"),
        "camera.delete",
        "dock-01",
        EntryResult::Failure,
    );
    b.detail = detail(json!({"error": "412 version mismatch"}));
    journal.append(b).expect("append");
    let mut c = op(
        "2026-11-21T10:00:00Z".parse().expect("ts"),
        "settings.update",
        "settings",
        EntryResult::Success,
    );
    c.site = Some("lyon-dc".into());
    journal.append(c).expect("append");

    let (code, all, _) = run_with(state.path(), &["audit", "log"]);
    assert_eq!(code, 0);
    let (_, since, _) = run_with(
        state.path(),
        &[
            "audit",
            "log",
            "--since",
            "2026-11-10",
            "--site",
            "paris-hq",
        ],
    );
    let (_, json_out, _) = run_with(
        state.path(),
        &[
            "audit",
            "log",
            "--format",
            "json",
            "--since",
            "2026-11-21T00:00:00Z",
        ],
    );
    let entries = crate::support::schema::parse_valid("audit-log", &json_out);
    assert_eq!(entries.as_array().map(Vec::len), Some(1));
    assert_eq!(entries[0]["site"], "lyon-dc");
    assert_eq!(entries[0]["seq"], 3);
    let (code, _, err) = run_with(state.path(), &["audit", "log", "--since", "yesterday"]);
    assert_ne!(code, 0);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
    insta_settings().bind(|| {
        insta::assert_snapshot!("audit-log", all);
        insta::assert_snapshot!("audit-log-since", since);
    });
}

/// A VMS in service since its baseline, changed both by vmsops and behind its back,
/// and a month of journal entries covering every category of the review.
fn the_monthly_review_lists_what_to_investigate() {
    let sim = SimProcess::start(&["--token", "eve:eve-token"]);
    let repo = GitRepo::example_at(&sim.url);
    let state = tempfile::tempdir().expect("state");
    let sd = state_dir(state.path());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let cursor = rt
        .block_on(sim.driver().journal_position())
        .expect("position");
    sd.set_baseline(
        "paris-hq",
        &Baseline {
            journal_cursor: cursor,
            at: NOW.parse().expect("ts"),
            reason: "import".into(),
            url: sim.url.clone(),
            origin: None,
        },
    )
    .expect("baseline");
    let vms_journal = rt.block_on(async {
        let http = sim.http();
        // What vmsops did: its request id is in its journal.
        let r = http
            .json(
                "POST",
                "/api/v1/cameras",
                &camera("hall-01"),
                &[("x-request-id", "req-vmsops-1")],
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        // What eve did with her own account, and with a request id vmsops never sent.
        let eve = http.with_token(Some("eve-token"));
        let r = eve
            .json("POST", "/api/v1/cameras", &camera("rogue-01"), &[])
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let r = eve
            .json(
                "POST",
                "/api/v1/cameras",
                &camera("rogue-02"),
                &[("x-request-id", "looks-legit")],
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        http.journal().await
    });
    // The VMS stamps its journal with the real clock: review the month it is in.
    let at: Timestamp = vms_journal[0]["at"]
        .as_str()
        .expect("at")
        .parse()
        .expect("ts");
    let month = at.strftime("%Y-%m").to_string();

    let journal = Journal::open(&sd);
    let append = |n: NewEntry| {
        journal.append(n).expect("append");
    };
    // 1. A clean camera creation (started, then success), matching the VMS's entry.
    let mut started = op(at, "camera.create", "hall-01", EntryResult::Started);
    started.ticket = Some("OPS-1".into());
    started.detail = detail(
        json!({"request_id": "req-vmsops-1", "class": "camera-add", "agent": "cli", "window": null}),
    );
    append(started.clone());
    started.result = EntryResult::Success;
    append(started);
    // 2. A recording change by a generic identity, without ticket, approval or window.
    let mut sloppy = op(at, "camera.update", "hall-01", EntryResult::Success);
    sloppy.operator = Some("admin".into());
    sloppy.detail = detail(
        json!({"request_id": "req-vmsops-2", "class": "recording", "window": null, "agent": "cli"}),
    );
    append(sloppy);
    // 3. Refused by the gate.
    let mut refused = op(at, "apply", "paris-hq", EntryResult::Refused);
    refused.ticket = Some("OPS-2".into());
    refused.detail = detail(json!({"error": "maintenance-window: outside every trusted window"}));
    append(refused);
    // 4. Failed.
    let mut failed = op(at, "camera.delete", "dock-01", EntryResult::Failure);
    failed.ticket = Some("OPS-3".into());
    failed.detail = detail(
        json!({"request_id": "req-vmsops-3", "class": "camera-remove", "error": "412 version mismatch"}),
    );
    append(failed);
    // 5. An emergency, approved and ticketed, outside the windows.
    let mut emergency = op(at, "camera.update", "hall-02", EntryResult::Success);
    emergency.ticket = Some("OPS-4".into());
    emergency.emergency = Some("cameras down in the car park".into());
    emergency.approval = Some(Approval {
        tag: "approve/ops-4".into(),
        tagger: "RS <rs@client.example>".into(),
        target: "8bfe85eee6710000000000000000000000000000".into(),
    });
    emergency.detail =
        detail(json!({"request_id": "req-vmsops-4", "class": "recording", "window": null}));
    append(emergency);
    // 6. Started and never finished.
    let mut orphan = op(at, "alert.update", "disk_full", EntryResult::Started);
    orphan.ticket = Some("OPS-5".into());
    orphan.detail = detail(json!({"request_id": "req-vmsops-5", "class": "alerts"}));
    append(orphan);

    let review = |format: &str| {
        run_with(
            state.path(),
            &[
                "audit",
                "review",
                "--month",
                &month,
                "--repo",
                &repo.arg(),
                "--format",
                format,
            ],
        )
    };
    let (code, text, err) = review("text");
    assert_eq!(code, 2, "{text}{err}");
    let (code, md, _) = review("markdown");
    assert_eq!(code, 2);
    let (code, json_out, _) = review("json");
    assert_eq!(code, 2);
    let doc = crate::support::schema::parse_valid("review", &json_out);
    assert_eq!(
        doc["summary"],
        json!({
            "out-of-band": 2, "emergency": 1, "generic-identity": 1, "no-ticket": 1,
            "no-approval": 1, "outside-window": 2, "refused": 1, "failed": 1, "unfinished": 1
        })
    );
    let oob: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["category"] == "out-of-band")
        .map(|f| f["target"].as_str().expect("target"))
        .collect();
    assert_eq!(oob, ["rogue-01", "rogue-02"]);
    assert!(!text.contains(TOKEN));

    // Another month: nothing.
    let (code, quiet, _) = run_with(
        state.path(),
        &[
            "audit",
            "review",
            "--month",
            "2020-01",
            "--repo",
            &repo.arg(),
        ],
    );
    assert_eq!(code, 0, "{quiet}");
    assert!(quiet.ends_with("Nothing to investigate.\n"), "{quiet}");

    let mut s = insta_settings();
    s.add_filter(&regex_escape(&month), "[MONTH]");
    s.bind(|| {
        insta::assert_snapshot!("audit-review-text", text);
        insta::assert_snapshot!("audit-review-markdown", md);
    });
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

fn the_review_says_what_it_could_not_check() {
    let (mut sim, repo) = sim_and_repo();
    let state = tempfile::tempdir().expect("state");
    create(state.path(), &repo);
    let review = |state: &Path| {
        run_env(
            state,
            &[],
            &[
                "audit",
                "review",
                "--month",
                "2026-11",
                "--repo",
                &repo.arg(),
            ],
        )
    };
    // No baseline yet: said, not silently skipped; and snapshots need no ticket.
    let (code, out, err) = review(state.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("paris-hq: no baseline for the VMS journal yet"),
        "{out}"
    );
    // A baseline but no VMS to read: the review is incomplete, exit 1.
    state_dir(state.path())
        .set_baseline(
            "paris-hq",
            &Baseline {
                journal_cursor: Some("1".into()),
                at: NOW.parse().expect("ts"),
                reason: "import".into(),
                url: sim.url.clone(),
                origin: None,
            },
        )
        .expect("baseline");
    sim.kill();
    let (code, out, _) = review(state.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("paris-hq: the VMS journal could not be read"),
        "{out}"
    );
    // A broken journal is itself an anomaly.
    let path = state.path().join("journal.jsonl");
    let text = std::fs::read_to_string(&path).expect("journal");
    std::fs::write(&path, text.replace("claire.martin", "someone.else")).expect("write");
    let (_, out, _) = run_with(
        state.path(),
        &[
            "audit",
            "review",
            "--month",
            "2026-11",
            "--site",
            "lyon-dc",
            "--repo",
            &repo.arg(),
        ],
    );
    assert!(
        out.contains("The journal's hash chain is broken: entry #1 (line 1) was changed"),
        "{out}"
    );
}

// Regression guard: a journal written by vmsops 0.1 (the demo, a snapshot, a refused and a
// successful restore) must keep verifying whatever the code that writes entries becomes.
fn a_journal_written_by_an_earlier_release_still_verifies() {
    let state = tempfile::tempdir().expect("state");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures/journal-0.1.jsonl"),
        state.path().join("journal.jsonl"),
    )
    .expect("copy the pinned journal");
    let (code, out, err) = run_with(state.path(), &["audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("37 entries, hash chain intact"), "{out}");
}

crate::trials! {
    mod processes_appending_at_once_keep_one_chain,
    fn verify_names_the_first_broken_entry_and_appends_stop,
    fn log_filters_by_site_and_date,
    fn the_monthly_review_lists_what_to_investigate,
    fn the_review_says_what_it_could_not_check,
    fn a_journal_written_by_an_earlier_release_still_verifies,
}
