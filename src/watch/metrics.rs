//! The Prometheus metrics that `watch` serves.
//!
//! Only counts and encodes what a cycle reports: it never reads a VMS, the
//! repository or the state directory.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The `site` label of every family.
type SiteLabel = Vec<(String, String)>;

/// The label set for `site`.
fn label(site: &str) -> SiteLabel {
    vec![("site".to_string(), site.to_string())]
}

/// Check durations from 10 ms to about 80 s.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.01, 2.0, 14))
}

/// Per-site drift metrics.
pub struct Metrics {
    registry: Registry,
    operations: Family<SiteLabel, Gauge>,
    findings: Family<SiteLabel, Gauge>,
    last_check: Family<SiteLabel, Gauge<f64, AtomicU64>>,
    errors: Family<SiteLabel, Counter>,
    duration: Family<SiteLabel, Histogram, fn() -> Histogram>,
    status: Family<SiteLabel, Gauge>,
    success: Family<SiteLabel, Gauge>,
    health: Family<SiteLabel, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric family registered.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let operations = Family::<SiteLabel, Gauge>::default();
        let findings = Family::<SiteLabel, Gauge>::default();
        let last_check = Family::<SiteLabel, Gauge<f64, AtomicU64>>::default();
        let errors = Family::<SiteLabel, Counter>::default();
        let duration = Family::<SiteLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            duration_histogram,
        );
        registry.register(
            "vmsops_drift_operations",
            "Operations needed to bring the site to its desired state",
            operations.clone(),
        );
        registry.register(
            "vmsops_findings",
            "Findings (read-only mismatches, overdue reviews, out-of-band changes)",
            findings.clone(),
        );
        registry.register(
            "vmsops_last_check_timestamp_seconds",
            "When the site was last checked successfully (Unix time)",
            last_check.clone(),
        );
        registry.register(
            "vmsops_check_errors",
            "Checks that failed (unreachable VMS, invalid desired state)",
            errors.clone(),
        );
        registry.register(
            "vmsops_check_duration_seconds",
            "How long one drift check of the site took",
            duration.clone(),
        );
        let status = Family::<SiteLabel, Gauge>::default();
        let success = Family::<SiteLabel, Gauge>::default();
        registry.register(
            "vmsops_site_status",
            "1 for the site's current drift status (in-sync, pending, drifted, unknown), 0 for the others",
            status.clone(),
        );
        registry.register(
            "vmsops_site_last_check_success",
            "1 if the site's last check succeeded, 0 if it failed",
            success.clone(),
        );
        let health = Family::<SiteLabel, Gauge>::default();
        registry.register(
            "vmsops_camera_health",
            "Cameras of the site in each health (healthy, progressing, degraded, disabled, unknown)",
            health.clone(),
        );
        let build = Family::<SiteLabel, Gauge>::default();
        build
            .get_or_create(&vec![
                ("version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
                (
                    "commit".to_string(),
                    option_env!("VMSOPS_COMMIT")
                        .unwrap_or("unknown")
                        .to_string(),
                ),
            ])
            .set(1);
        registry.register("vmsops_build_info", "The vmsops build (always 1)", build);
        Self {
            status,
            success,
            health,
            registry,
            operations,
            findings,
            last_check,
            errors,
            duration,
        }
    }

    /// Records a successful check.
    pub fn checked(
        &self,
        site: &str,
        operations: usize,
        findings: usize,
        at_unix: f64,
        seconds: f64,
    ) {
        let l = label(site);
        // Counters exist from a site's first check, at 0, so rate() and alerts see them.
        let _ = self.errors.get_or_create(&l);
        self.operations.get_or_create(&l).set(operations as i64);
        self.findings.get_or_create(&l).set(findings as i64);
        self.last_check.get_or_create(&l).set(at_unix);
        self.duration.get_or_create(&l).observe(seconds);
    }

    /// Sets the site's status gauge: 1 for `current`, 0 for every other status.
    pub fn status(&self, site: &str, current: &str) {
        for s in ["in-sync", "pending", "drifted", "unknown"] {
            let l = vec![
                ("site".to_string(), site.to_string()),
                ("status".to_string(), s.to_string()),
            ];
            self.status.get_or_create(&l).set(i64::from(s == current));
        }
        self.success.get_or_create(&label(site)).set(1);
    }

    /// Sets how many of the site's cameras are in each health (every health present, at 0 if none).
    pub fn camera_health(&self, site: &str, counts: &[(&str, usize)]) {
        for (health, n) in counts {
            let l = vec![
                ("site".to_string(), site.to_string()),
                ("health".to_string(), (*health).to_string()),
            ];
            self.health.get_or_create(&l).set(*n as i64);
        }
    }

    /// Records a failed check.
    pub fn failed(&self, site: &str, seconds: f64) {
        let l = label(site);
        self.success.get_or_create(&l).set(0);
        self.errors.get_or_create(&l).inc();
        self.duration.get_or_create(&l).observe(seconds);
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// The Prometheus text exposition format 0.0.4, for scrapers that do not ask for OpenMetrics.
    pub fn encode_text(&self) -> String {
        text_format(&self.encode())
    }
}

/// OpenMetrics → text format 0.0.4: no `# EOF` or `# UNIT`, and a counter family named
/// as its samples (`_total`), as Prometheus's text parser and promtool expect.
pub fn text_format(openmetrics: &str) -> String {
    let counters: Vec<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# TYPE ", "# HELP "].iter().find_map(|p| {
            let rest = line.strip_prefix(p)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(&name)
                .then(|| format!("{p}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// The exposition a scraper asked for in its `Accept` header, and its content type.
pub fn negotiate(accept: Option<&str>, m: &Metrics) -> (&'static str, String) {
    if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
        (
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            m.encode(),
        )
    } else {
        ("text/plain; version=0.0.4; charset=utf-8", m.encode_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_family() {
        let m = Metrics::new();
        m.checked("paris-hq", 3, 1, 1_764_000_000.0, 0.05);
        m.failed("lyon-dc", 1.5);
        let text = m.encode();
        for needle in [
            "vmsops_drift_operations{site=\"paris-hq\"} 3",
            "vmsops_findings{site=\"paris-hq\"} 1",
            "vmsops_last_check_timestamp_seconds{site=\"paris-hq\"} 1764000000.0",
            "vmsops_check_errors_total{site=\"lyon-dc\"} 1",
            "vmsops_check_duration_seconds_count{site=\"lyon-dc\"} 1",
        ] {
            assert!(text.contains(needle), "{needle} missing:\n{text}");
        }
    }
}
