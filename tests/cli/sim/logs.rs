//! The sim's logs never carry a token, even at trace level.

use crate::support::{SimArgs, TOKEN};

async fn trace_logs_and_stdout_never_show_the_token() {
    let sim = SimArgs::default()
        .args(["-vvv"])
        .env("RUST_LOG", "trace")
        .start();
    let http = sim.http();
    http.create_camera("a").await;
    http.get("/api/v1/cameras").await;
    http.with_token(Some("wrong-token"))
        .get("/api/v1/config")
        .await;
    http.send("POST", "/api/v1/cameras", Some(b"{bad".to_vec()), &[])
        .await;
    let stderr = sim.stderr();
    assert!(
        stderr.contains("/api/v1/cameras"),
        "logs are there: {stderr}"
    );
    assert!(!stderr.contains(TOKEN), "token leaked in logs");
    assert!(
        !stderr.contains("wrong-token"),
        "a presented token leaked in logs"
    );
}

crate::trials! {
    async fn trace_logs_and_stdout_never_show_the_token,
}
