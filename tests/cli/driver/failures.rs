//! The driver survives servers that are down, slow, failing or broken.

use std::sync::Arc;
use std::time::{Duration, Instant};

use vmsops::driver::reference::{Credential, Options, ReferenceDriver};
use vmsops::driver::{DriverError, Vms};

use super::{camera, ctx};
use crate::support::raw::{http, Action, RawServer};
use crate::support::{SimProcess, TOKEN};

fn fast() -> Options {
    Options {
        backoff: Duration::from_millis(10),
        ..Options::default()
    }
}

fn driver(url: &str) -> ReferenceDriver {
    ReferenceDriver::new(
        url,
        Credential::new(TOKEN.into(), "TEST_TOKEN".into()),
        fast(),
    )
    .expect("driver")
}

const EXPORT: &str = r#"{"format":"reference-vms/v1","exported_at":"2025-01-01T00:00:00Z","cameras":[],"alert_rules":[],"settings":{"session_timeout_minutes":30,"version":1}}"#;

async fn a_closed_port_is_unreachable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let e = driver(&format!("http://127.0.0.1:{port}"))
        .read_live()
        .await
        .expect_err("down");
    assert!(matches!(e, DriverError::Unreachable { .. }), "{e}");
    assert!(e.is_retryable());
    let msg = e.to_string();
    assert!(
        msg.starts_with("GET /api/v1/config: cannot reach the VMS at 127.0.0.1:"),
        "{msg}"
    );
    assert!(!msg.contains(TOKEN), "{msg}");
}

async fn a_slow_server_times_out() {
    let sim = SimProcess::start(&["--latency-ms", "2000"]);
    let vms = sim.driver_with(Options {
        timeout: Duration::from_millis(300),
        attempts: 2,
        ..fast()
    });
    let start = Instant::now();
    let e = vms.read_live().await.expect_err("slow");
    assert!(matches!(e, DriverError::Timeout { .. }), "{e}");
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        e.to_string(),
        "GET /api/v1/config: no answer from the VMS within 0.3s"
    );
}

async fn a_mutation_answered_500_is_not_sent_twice() {
    let sim = SimProcess::start(&["--fail-after", "0"]);
    let e = sim
        .driver()
        .create_camera(&camera("a"), &ctx("jdoe"))
        .await
        .expect_err("500");
    assert!(matches!(e, DriverError::Status { status: 500, .. }), "{e}");
    assert!(e.to_string().contains("injected by --fail-after"), "{e}");
    assert_eq!(sim.http().journal().await.len(), 1);
}

async fn a_mutation_answered_503_is_retried_with_the_same_request_id() {
    let sim = SimProcess::start(&["--fail-rate", "1"]);
    let op = ctx("jdoe");
    let e = sim
        .driver()
        .create_camera(&camera("a"), &op)
        .await
        .expect_err("503");
    assert!(matches!(e, DriverError::Status { status: 503, .. }), "{e}");
    let journal = sim.http().journal().await;
    assert_eq!(journal.len(), 3, "three attempts");
    assert!(journal
        .iter()
        .all(|e| e["request_id"] == op.request_id.as_str()));
}

async fn reads_answered_500_are_retried_until_they_succeed() {
    let server = RawServer::start(Arc::new(|n| {
        if n < 2 {
            http(
                "500 Internal Server Error",
                r#"{"error":"boom","detail":null}"#,
            )
        } else {
            http("200 OK", EXPORT)
        }
    }));
    let live = driver(&server.url).read_live().await.expect("third try");
    assert_eq!(live.settings.version, "1");
    assert_eq!(server.requests(), 3);

    let always = RawServer::start(Arc::new(|_| {
        http("500 Internal Server Error", r#"{"error":"boom"}"#)
    }));
    let e = driver(&always.url).read_live().await.expect_err("500");
    assert_eq!(e.to_string(), "GET /api/v1/config: 500: boom");
    assert_eq!(always.requests(), 3);
}

async fn a_closed_connection_is_a_retryable_connection_error() {
    let server = RawServer::start(Arc::new(|_| Action::Close));
    let e = driver(&server.url).read_live().await.expect_err("closed");
    assert!(matches!(e, DriverError::Connection { .. }), "{e}");
    assert!(e.is_retryable());
    assert_eq!(server.requests(), 3);
    assert!(!format!("{e} {e:?}").contains(TOKEN));

    let cut = RawServer::start(Arc::new(|_| {
        Action::Write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n{\"format\":".to_vec())
    }));
    let e = driver(&cut.url).read_live().await.expect_err("cut short");
    assert!(matches!(e, DriverError::Connection { .. }), "{e}");
}

async fn garbage_answers_are_invalid_responses_not_panics() {
    for body in [
        "<html>not json</html>",
        r#"{"format":"reference-vms/v1","cameras":"nope"}"#,
        r#"{"format":"other/v2","cameras":[],"alert_rules":[],"settings":{"session_timeout_minutes":1,"version":1}}"#,
        r#"{"format":"reference-vms/v1","exported_at":"x","cameras":[],"alert_rules":[],"settings":{"session_timeout_minutes":1,"version":"1"}}"#,
        "",
    ] {
        let server = RawServer::start(Arc::new(move |_| http("200 OK", body)));
        let d = driver(&server.url);
        let e = d.read_live().await.expect_err("garbage");
        assert!(
            matches!(e, DriverError::InvalidResponse { status: 200, .. }),
            "{body}: {e}"
        );
        assert_eq!(server.requests(), 1, "not retried");
        assert!(d.journal_since(None).await.is_err());
        assert!(d.recordings("a").await.is_err());
    }
}

async fn a_refused_token_names_the_variable_not_the_token() {
    let server = RawServer::start(Arc::new(|_| {
        http("401 Unauthorized", r#"{"error":"bad token"}"#)
    }));
    let e = driver(&server.url).read_live().await.expect_err("401");
    assert_eq!(
        e.to_string(),
        "GET /api/v1/config: 401: the VMS refused the credential; check the variable TEST_TOKEN"
    );
    let sim = SimProcess::start(&[]);
    let wrong = ReferenceDriver::new(
        &sim.url,
        Credential::new("not-the-token".into(), "SITE_TOKEN".into()),
        fast(),
    )
    .expect("driver");
    let e = wrong
        .create_camera(&camera("a"), &ctx("jdoe"))
        .await
        .expect_err("401");
    assert!(
        matches!(e, DriverError::Unauthorized { status: 401, .. }),
        "{e}"
    );
    assert!(!format!("{e} {e:?}").contains("not-the-token"));
}

crate::trials! {
    async fn a_closed_port_is_unreachable,
    async fn a_slow_server_times_out,
    async fn a_mutation_answered_500_is_not_sent_twice,
    async fn a_mutation_answered_503_is_retried_with_the_same_request_id,
    async fn reads_answered_500_are_retried_until_they_succeed,
    async fn a_closed_connection_is_a_retryable_connection_error,
    async fn garbage_answers_are_invalid_responses_not_panics,
    async fn a_refused_token_names_the_variable_not_the_token,
}
