//! Drift you can trust: the status of a site through the out-of-band lifecycle,
//! against a real `vmsops sim`, for both state stores.
//!
//! A technician edits the VMS → drifted, naming who → apply puts it back (and
//! acknowledges it) or a named person acknowledges it → the finding clears;
//! a rejected request is no drift; no baseline is never silent.

use serde_json::{json, Value};

use crate::apply::approved::{Approved, Operator, IN_WINDOW};
use crate::support::SimProcess;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

/// `drift --format json`: (exit code, the site's JSON).
fn drift(op: &Operator, repo: &Approved) -> (i32, Value) {
    let o = op.run(&["drift", "--repo", &repo.arg(), "--format", "json"]);
    let v = crate::support::schema::parse_valid("drift", &o.out);
    (o.code, v["sites"][0].clone())
}

/// The month the sim's journal writes in (its clock is the real one).
fn this_month() -> String {
    jiff::Timestamp::now().strftime("%Y-%m").to_string()
}

fn out_of_band(site: &Value) -> Vec<String> {
    site["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == "out-of-band")
        .map(|f| f["message"].as_str().expect("message").to_string())
        .collect()
}

crate::for_each_store! {
    /// edit → drifted, naming `tech` → apply restores and acknowledges → in-sync, exit 0.
    fn an_apply_that_restores_the_vms_clears_the_out_of_band_change(store: TestStore) {
        let sim = SimProcess::start(&["--token", "tech:tech-token"]);
        let repo = Approved::at(&sim.url);
        let op = Operator::on(store, IN_WINDOW);
        assert_eq!(op.apply(&repo, &["--base", "HEAD"]).code, 0);
        assert_eq!(drift(&op, &repo).1["status"], "in-sync");

        sim.set_fps_as("tech-token", "hall-02", 5);
        let (code, site) = drift(&op, &repo);
        assert_eq!((code, site["status"].as_str()), (2, Some("drifted")), "{site}");
        let oob = out_of_band(&site);
        assert!(oob.len() == 1 && oob[0].contains("camera.update by `tech`"), "{oob:?}");
        assert_eq!(site["drift"][0]["target"], "hall-02", "{site}");
        let text = op.run(&["drift", "--repo", &repo.arg()]);
        assert!(text.out.contains("status: drifted"), "{text}");

        let put_back = op.apply(&repo, &[]);
        assert_eq!(put_back.code, 0, "{put_back}");
        let (code, site) = drift(&op, &repo);
        assert_eq!((code, site["status"].as_str()), (0, Some("in-sync")), "{site}");
        assert!(out_of_band(&site).is_empty(), "{site}");
        let acked: Vec<Value> = op
            .journal()
            .into_iter()
            .filter(|e| e["action"] == "apply" && e["result"] == "success")
            .filter_map(|e| e["detail"].get("acknowledged_out_of_band").cloned())
            .collect();
        assert_eq!(acked.len(), 1, "the restoring apply lists what it overwrote");
        assert_eq!(op.verify().code, 0);
        // The review keeps the change, with who dealt with it.
        let review = op.run(&["audit", "review", "--month", &this_month(), "--repo", &repo.arg()]);
        assert!(
            review.out.contains("camera.update hall-02 by tech")
                && review.out.contains("acknowledged by claire.martin"),
            "{review}"
        );
    }
}

crate::for_each_store! {
    /// `drift ack`: refused for a generic identity (exit 3, nothing journaled); a named
    /// person's ack clears the finding, the differences stay differences.
    fn drift_ack_is_nominative_and_clears_the_finding_not_the_difference(store: TestStore) {
        let sim = SimProcess::start(&["--token", "tech:tech-token"]);
        let repo = Approved::at(&sim.url);
        let op = Operator::on(store, IN_WINDOW);
        assert_eq!(op.apply(&repo, &["--base", "HEAD"]).code, 0);
        sim.set_fps_as("tech-token", "hall-02", 5);
        let ack = |who: &str| {
            op.run(&[
                "drift", "ack", "--site", "paris-hq", "--operator", who, "--reason",
                "night shift lowered it on purpose", "--ticket", "WO-77", "--repo", &repo.arg(),
            ])
        };
        let journal_len = op.journal().len();
        let refused = ack("admin");
        assert_eq!(refused.code, 3, "{refused}");
        assert_eq!(op.journal().len(), journal_len, "nothing journaled as acknowledged");
        assert_eq!(drift(&op, &repo).1["status"], "drifted");

        let done = ack("claire.martin");
        assert_eq!(done.code, 0, "{done}");
        assert!(done.out.contains("1 out-of-band change(s) acknowledged by claire.martin"), "{done}");
        let last = op.journal().pop().expect("an entry");
        assert_eq!(
            (last["action"].as_str(), last["ticket"].as_str(), last["operator"].as_str()),
            (Some("out-of-band.ack"), Some("WO-77"), Some("claire.martin"))
        );
        // The ack's entry is anchored outside the journal, like an apply's: in the git
        // note on the applied commit, which `audit verify --repo` checks.
        let git = git2::Repository::open(repo.repo.path()).expect("repo");
        let head = git.head().expect("head").peel_to_commit().expect("commit").id();
        let note = git.find_note(Some("refs/notes/vmsops"), head).expect("a note");
        let anchor = format!("journal #{} ({})", last["seq"], last["hash"].as_str().unwrap_or_default());
        assert!(note.message().unwrap_or_default().contains(&anchor), "{:?} lacks {anchor}", note.message());
        let verified = op.run(&["audit", "verify", "--repo", &repo.arg(), "--format", "json"]);
        assert_eq!(verified.code, 0, "{verified}");
        let doc: Value = serde_json::from_str(&verified.out).expect("json");
        let checked = |kind: &str| {
            doc["anchors"]
                .as_array()
                .expect("anchors")
                .iter()
                .filter(|a| a["kind"] == kind && a["matched"] == true)
                .map(|a| a["seq"].as_u64().unwrap_or_default())
                .collect::<Vec<u64>>()
        };
        let seq = last["seq"].as_u64().expect("seq");
        assert!(checked("note").contains(&seq), "the ack's note is checked: {doc}");
        assert!(checked("applied").contains(&seq), "the applied record names the ack: {doc}");
        // A directory store also records its head beside the journal (PostgreSQL holds the journal itself).
        assert!([vec![], vec![seq]].contains(&checked("head")), "{doc}");
        let (code, site) = drift(&op, &repo);
        assert!(out_of_band(&site).is_empty(), "acknowledged: {site}");
        assert_eq!((code, site["status"].as_str()), (2, Some("drifted")), "the difference stays: {site}");
    }
}

crate::for_each_store! {
    /// A request the VMS rejected changed nothing: no drift.
    fn a_rejected_out_of_band_request_is_not_drift(store: TestStore) {
        let sim = SimProcess::start(&["--token", "tech:tech-token"]);
        let repo = Approved::at(&sim.url);
        let op = Operator::on(store, IN_WINDOW);
        assert_eq!(op.apply(&repo, &["--base", "HEAD"]).code, 0);
        rt().block_on(async {
            let http = sim.http().with_token(Some("tech-token"));
            let r = http
                .json("PUT", "/api/v1/cameras/hall-02", &json!({"fps": "fast"}), &[("if-match", "\"1\"")])
                .await;
            assert!(r.status >= 400, "{}", r.text);
        });
        let (code, site) = drift(&op, &repo);
        assert_eq!((code, site["status"].as_str()), (0, Some("in-sync")), "{site}");
        let review = op.run(&["audit", "review", "--month", &this_month(), "--repo", &repo.arg()]);
        assert!(review.out.contains("Attempted out-of-band changes"), "{review}");
    }
}

crate::for_each_store! {
    /// An empty state: status unknown, finding no-baseline saying how to get one, exit 2.
    fn no_baseline_is_never_silent(store: TestStore) {
        let sim = SimProcess::start(&[]);
        let repo = Approved::at(&sim.url);
        let op = Operator::on(store, IN_WINDOW);
        let (code, site) = drift(&op, &repo);
        assert_eq!((code, site["status"].as_str()), (2, Some("unknown")), "{site}");
        let finding = site["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["kind"] == "no-baseline")
            .expect("a no-baseline finding");
        assert!(finding["message"].as_str().expect("msg").contains("vmsops import"), "{finding}");
    }
}

crate::trials! {
    mod an_apply_that_restores_the_vms_clears_the_out_of_band_change,
    mod drift_ack_is_nominative_and_clears_the_finding_not_the_difference,
    mod a_rejected_out_of_band_request_is_not_drift,
    mod no_baseline_is_never_silent,
}
