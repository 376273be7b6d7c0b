//! `apply --verify`'s watch against VMSs that misbehave: a camera that never
//! leaves `connecting`, garbage, a state nobody knows, a VMS that stops
//! answering. Each camera ends degraded or unknown with the reason, by the deadline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use vmsops::driver::reference::{Credential, Options, ReferenceDriver};
use vmsops::model::Health;
use vmsops::ops::verify::{verify, Target, Verified};

use crate::support::raw::{http, RawServer};
use crate::support::TOKEN;

const DEADLINE: Duration = Duration::from_millis(1500);

async fn watch_one(url: &str) -> (Verified, Duration) {
    let options = Options {
        backoff: Duration::from_millis(10),
        ..Options::default()
    };
    let d = ReferenceDriver::new(url, Credential::new(TOKEN.into(), "T".into()), options)
        .expect("driver");
    let target = Target {
        camera: "hall-01".into(),
        restarts: true,
    };
    let began = Instant::now();
    let mut out = verify(&d, &[target], jiff::Timestamp::now(), DEADLINE).await;
    (out.remove(0), began.elapsed())
}

fn answering(body: &'static str) -> RawServer {
    RawServer::start(Arc::new(move |_| http("200 OK", body)))
}

async fn a_camera_that_never_connects_is_degraded_at_the_deadline() {
    let server = answering(
        r#"{"camera_id":"hall-01","state":"connecting","fps":0,"recording":false,"since":"2099-01-01T00:00:00Z"}"#,
    );
    let (v, took) = watch_one(&server.url).await;
    assert_eq!(v.health, Health::Degraded, "{v:?}");
    assert!(
        v.reason
            .as_deref()
            .is_some_and(|r| r.contains("connecting")),
        "{v:?}"
    );
    assert!(took < DEADLINE + Duration::from_secs(1), "{took:?}");
    assert!(server.requests() > 2, "polled, not read once");
}

async fn garbage_and_unknown_states_never_panic() {
    let garbage = answering("{\"camera_id\": 12, ");
    let (v, _) = watch_one(&garbage.url).await;
    assert_eq!(v.health, Health::Degraded, "{v:?}");
    assert!(
        v.reason
            .as_deref()
            .is_some_and(|r| r.contains("could not be read")),
        "{v:?}"
    );

    let odd = answering(
        r#"{"camera_id":"hall-01","state":"warming-up","fps":0,"recording":false,"since":"2099-01-01T00:00:00Z"}"#,
    );
    let (v, _) = watch_one(&odd.url).await;
    assert_eq!(v.health, Health::Unknown, "{v:?}");
    assert!(
        v.reason
            .as_deref()
            .is_some_and(|r| r.contains("warming-up")),
        "{v:?}"
    );
}

async fn a_vms_that_stops_answering_does_not_hold_the_verdict_past_the_deadline() {
    // Accepts connections (the kernel's backlog) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", silent.local_addr().expect("addr"));
    let (v, took) = watch_one(&url).await;
    assert_eq!(v.health, Health::Degraded, "{v:?}");
    assert!(took < DEADLINE + Duration::from_secs(1), "{took:?}");
}

async fn a_read_the_deadline_cuts_short_keeps_the_last_full_readings_reason() {
    // Answers "disconnected" once, then takes longer than the deadline to answer.
    let server = RawServer::start(Arc::new(|n| {
        if n > 0 {
            std::thread::sleep(DEADLINE * 2);
        }
        http(
            "200 OK",
            r#"{"camera_id":"hall-01","state":"disconnected","fps":0,"recording":false,"since":"2099-01-01T00:00:00Z"}"#,
        )
    }));
    let (v, took) = watch_one(&server.url).await;
    assert_eq!(v.health, Health::Degraded, "{v:?}");
    let reason = v.reason.unwrap_or_default();
    assert!(reason.contains("disconnected"), "{reason}");
    assert!(!reason.contains("did not answer"), "{reason}");
    assert!(took < DEADLINE + Duration::from_secs(1), "{took:?}");
}

crate::trials! {
    async fn a_camera_that_never_connects_is_degraded_at_the_deadline,
    async fn garbage_and_unknown_states_never_panic,
    async fn a_vms_that_stops_answering_does_not_hold_the_verdict_past_the_deadline,
    async fn a_read_the_deadline_cuts_short_keeps_the_last_full_readings_reason,
}
