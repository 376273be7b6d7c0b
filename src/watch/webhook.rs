//! The webhook posted when a site's drift appears, changes or clears.
//!
//! The body carries `text` (what Slack and Teams incoming webhooks display)
//! plus structured fields for other receivers. The webhook URL is a secret:
//! it never appears in an error or a log line from here.

use schemars::JsonSchema;
use std::time::Duration;

use backon::Retryable;
use serde::Serialize;

use crate::plan::document::SitePlan;

/// How a site's drift moved since the last report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Transition {
    /// Drift where there was none.
    Appeared,
    /// Different drift than last reported.
    Changed,
    /// No drift any more.
    Cleared,
}

/// The JSON body of a webhook.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Payload<'a> {
    /// Always 1.
    pub format_version: u32,
    /// One-paragraph summary for chat tools.
    pub text: String,
    /// Site name.
    pub site: &'a str,
    /// The site's status now.
    pub status: Option<&'static str>,
    /// The status last notified.
    pub previous_status: Option<String>,
    /// Differences between the VMS and the desired state (operations).
    pub differences: usize,
    /// When the check ran.
    pub at: jiff::Timestamp,
    /// What happened.
    pub transition: Transition,
    /// Operations needed now.
    pub operations: usize,
    /// Findings now.
    pub findings: usize,
    /// The site's full drift (same shape as a site of `drift --format json`).
    pub drift: &'a SitePlan,
}

/// Builds the payload for a transition from `previous_status`.
pub fn payload<'a>(
    plan: &'a SitePlan,
    transition: Transition,
    previous_status: Option<String>,
    at: jiff::Timestamp,
) -> Payload<'a> {
    let head = match transition {
        Transition::Appeared => format!(
            "⚠️ vmsops: drift on site {} ({})",
            plan.site,
            plan.status.map_or("drifted", |s| s.as_str())
        ),
        Transition::Changed => format!("⚠️ vmsops: drift changed on site {}", plan.site),
        Transition::Cleared => format!(
            "✅ vmsops: site {} matches its desired state again",
            plan.site
        ),
    };
    let mut lines = vec![head];
    for op in plan.operations.iter().take(10) {
        let fields: Vec<&str> = op.changes.iter().map(|c| c.path.as_str()).collect();
        lines.push(format!(
            "• {} {} ({})",
            op.op.as_str(),
            op.target,
            fields.join(", ")
        ));
    }
    for f in plan.findings.iter().take(10) {
        lines.push(format!("• {} {}: {}", f.kind, f.target, f.message));
    }
    let more = plan.operations.len().saturating_sub(10) + plan.findings.len().saturating_sub(10);
    if more > 0 {
        lines.push(format!("… and {more} more"));
    }
    Payload {
        format_version: 1,
        text: lines.join("\n"),
        site: &plan.site,
        status: plan.status.map(|s| s.as_str()),
        previous_status,
        differences: plan.operations.len(),
        at,
        transition,
        operations: plan.operations.len(),
        findings: plan.findings.len(),
        drift: plan,
    }
}

/// Posts `body` to `url`, retrying with backoff on errors and 5xx; the last error is returned.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    body: &Payload<'_>,
    attempts: u32,
) -> Result<(), String> {
    // (message, whether another try may help)
    let once = || async {
        match client.post(url).json(body).send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) if r.status().is_client_error() => Err((
                format!("webhook answered {} (not retried)", r.status()),
                false,
            )),
            Ok(r) => Err((format!("webhook answered {}", r.status()), true)),
            Err(e) => Err((
                format!(
                    "webhook unreachable: {}",
                    crate::error_chain(&e.without_url())
                ),
                true,
            )),
        }
    };
    once.retry(crate::retry::policy(Duration::from_millis(500), attempts))
        .sleep(tokio::time::sleep)
        .when(|(_, again)| *again)
        .await
        .map_err(|(message, _)| message)
}
