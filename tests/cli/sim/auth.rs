//! Bearer authentication and token configuration.

use crate::support::{SimArgs, SimProcess, TOKEN};

async fn health_is_open_and_everything_else_needs_a_known_token() {
    let sim = SimProcess::start(&[]);
    let anon = sim.http().with_token(None);
    let r = anon.get("/api/v1/health").await;
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("ok")));
    for (method, path) in [
        ("GET", "/api/v1/cameras"),
        ("GET", "/api/v1/cameras/a"),
        ("POST", "/api/v1/cameras"),
        ("PUT", "/api/v1/cameras/a"),
        ("DELETE", "/api/v1/cameras/a"),
        ("GET", "/api/v1/cameras/a/recordings"),
        ("GET", "/api/v1/alert-rules"),
        ("PUT", "/api/v1/alert-rules/disk_full"),
        ("GET", "/api/v1/settings"),
        ("PUT", "/api/v1/settings"),
        ("GET", "/api/v1/config"),
        ("PUT", "/api/v1/config"),
        ("GET", "/api/v1/journal"),
        ("GET", "/api/v1/nowhere"),
    ] {
        for client in [anon.clone(), sim.http().with_token(Some("wrong"))] {
            let r = client.send(method, path, Some(b"{}".to_vec()), &[]).await;
            assert_eq!(r.status, 401, "{method} {path}: {}", r.text);
            assert!(r.json["error"].is_string(), "{method} {path}: {}", r.text);
            assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer"));
            assert_eq!(r.journal_seq(), None, "401 is not journaled");
        }
    }
    assert!(sim.http().journal().await.is_empty());
}

fn refuses_to_start_without_a_token() {
    let (status, stdout, stderr) = SimArgs::default().without_default_token().run_to_exit();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("no API token"), "{stderr}");
}

fn a_malformed_token_entry_is_refused_without_echoing_it() {
    let (status, _, stderr) = SimArgs::default()
        .without_default_token()
        .env("VMSOPS_SIM_TOKENS", "alice:ok-token,just-a-secret-value")
        .run_to_exit();
    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("VMSOPS_SIM_TOKENS entry 2"), "{stderr}");
    assert!(!stderr.contains("just-a-secret-value"), "{stderr}");
}

async fn tokens_from_the_environment_name_their_users_in_the_journal() {
    let sim = SimArgs::default()
        .env("VMSOPS_SIM_TOKENS", "alice:tok-alice, bob:tok-bob")
        .start();
    let alice = sim.http().with_token(Some("tok-alice"));
    let bob = sim.http().with_token(Some("tok-bob"));
    alice.create_camera("a").await;
    bob.create_camera("b").await;
    sim.http().create_camera("c").await;
    let users: Vec<String> = sim
        .http()
        .journal()
        .await
        .iter()
        .map(|e| e["user"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(users, ["alice", "bob", crate::support::USER]);
    assert_ne!(TOKEN, "tok-alice");
}

crate::trials! {
    async fn health_is_open_and_everything_else_needs_a_known_token,
    fn refuses_to_start_without_a_token,
    fn a_malformed_token_entry_is_refused_without_echoing_it,
    async fn tokens_from_the_environment_name_their_users_in_the_journal,
}
