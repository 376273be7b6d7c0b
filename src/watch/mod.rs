//! `watch`: drift for every site, every interval, as a long-running service.
//!
//! Each cycle re-reads the repository (after an optional `git fetch`), checks
//! every site concurrently, updates the metrics and posts a webhook only when a
//! site's drift appears, changes or clears. One unreachable VMS never stops the
//! others. Never prints: progress goes to tracing. Never changes a VMS
//! unless asked to reconcile (`--apply`), and then only what the gate allows.

pub mod metrics;
pub mod webhook;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::get;

use crate::desired::{self, validate::validate, Tree};
use crate::ops::clock::Clock;
use crate::ops::cycle;
use crate::ops::drift::{drift_and_health, has_drift, DriftInput};
use crate::ops::fleet::{self, Env};
use crate::ops::{KnownRequestIds, Notified, StateStore};
use crate::plan::document::SitePlan;
use metrics::Metrics;
use webhook::Transition;

/// How long `watch --apply` watches the cameras it changed.
const WATCH_VERIFY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
/// How `watch` runs.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// The repository.
    pub repo: PathBuf,
    /// The revision to follow, e.g. `origin/main`.
    pub rev: String,
    /// Time between cycles.
    pub interval: Duration,
    /// A remote to `git fetch` before each cycle.
    pub fetch: Option<String>,
    /// Where to post drift transitions.
    pub webhook: Option<String>,
    /// Where to serve `/metrics` and `/healthz`.
    pub metrics_addr: Option<SocketAddr>,
    /// This process's shard (index, count).
    pub shard: Option<(u32, u32)>,
    /// Sites checked at the same time.
    pub concurrency: usize,
    /// The state directory.
    pub state: StateStore,
    /// Reconcile (`--apply`): apply each site whose change the gate allows.
    pub apply: Option<ApplyOptions>,
    /// A fixed "now" for the gate and dates (tests and replays); the real clock otherwise.
    pub pinned_now: Option<jiff::Timestamp>,
}

impl WatchConfig {
    /// The run's one clock: pinned when `pinned_now` is, else the system's.
    fn clock(&self) -> Clock {
        Clock::pinned_or_system(self.pinned_now)
    }
}

/// How `watch --apply` applies.
#[derive(Debug, Clone, Copy)]
pub struct ApplyOptions {
    /// Operations at a time.
    pub parallelism: usize,
    /// Longest wait for a site lock held by a person's apply.
    pub lock_timeout: Duration,
}

/// Per-site retry state of the reconcile loop.
#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
    not_before: Option<Instant>,
}

/// Failures that stop the service (a cycle's failures never do).
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The metrics address could not be bound.
    #[error("cannot listen on {addr} for metrics")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the webhook client")]
    Client(#[source] reqwest::Error),
}

/// The drift signature last reported per site (`None`: clean).
type Reported = HashMap<String, (Option<String>, Option<String>)>;

/// Everything one cycle keeps for the next.
#[derive(Default)]
struct Memory {
    reported: Reported,
    /// vmsops's own request ids, read incrementally: a cycle reads only new journal entries.
    known: KnownRequestIds,
    backoff: HashMap<String, Backoff>,
}

/// Runs until `shutdown` completes; `on_listen` receives the bound metrics address.
pub async fn run(
    cfg: WatchConfig,
    env: Env,
    shutdown: impl Future<Output = ()> + Send + 'static,
    on_listen: impl FnOnce(SocketAddr),
) -> Result<(), WatchError> {
    let metrics = Arc::new(Metrics::new());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let mut bound = None;
    let server = match cfg.metrics_addr {
        Some(addr) => Some(
            serve_metrics(addr, Arc::clone(&metrics), stop_rx.clone(), |a| {
                bound = Some(a);
                on_listen(a);
            })
            .await?,
        ),
        None => None,
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(WatchError::Client)?;
    let mut memory = Memory::default();
    let mut stop = stop_rx.clone();
    tracing::info!(
        "watching {} every {}{}{}",
        cfg.repo.display(),
        format!("{:?}", cfg.interval),
        cfg.shard
            .map(|(i, n)| format!(", shard {i}/{n}"))
            .unwrap_or_default(),
        bound
            .map(|a| format!(", serving http://{a}/metrics"))
            .unwrap_or_default()
    );
    loop {
        tokio::select! {
            _ = cycle(&cfg, &metrics, &mut memory, &env, &client) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        // Jitter (±10%) keeps many watchers from hitting shared VMSs in step.
        let jitter = cfg.interval.as_secs_f64() * (fastrand::f64() * 0.2 - 0.1);
        let sleep = Duration::from_secs_f64((cfg.interval.as_secs_f64() + jitter).max(0.0));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    tracing::info!("watch stopping");
    if let Some(s) = server {
        let _ = s.await;
    }
    Ok(())
}

/// Binds `addr` and serves `/metrics` and `/healthz` until `stop` turns true.
async fn serve_metrics(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    on_listen: impl FnOnce(SocketAddr),
) -> Result<tokio::task::JoinHandle<()>, WatchError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| WatchError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| WatchError::Bind { addr, source })?;
    on_listen(bound);
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move |headers: axum::http::HeaderMap| {
                let m = Arc::clone(&metrics);
                async move {
                    let accept = headers
                        .get(axum::http::header::ACCEPT)
                        .and_then(|v| v.to_str().ok());
                    let (content_type, body) = metrics::negotiate(accept, &m);
                    ([(axum::http::header::CONTENT_TYPE, content_type)], body)
                }
            }),
        )
        .route("/healthz", get(|| async { "ok\n" }));
    Ok(tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(error = %e, "metrics server stopped");
        }
    }))
}

/// A digest of the site's operations and findings, to tell a change of drift from the same drift; `None` when clean.
fn signature(plan: &SitePlan) -> Option<String> {
    if !has_drift(plan) {
        return None;
    }
    let bytes = serde_json::to_vec(&(&plan.operations, &plan.findings)).unwrap_or_default();
    Some(crate::canonical::sha256_hex(&bytes))
}

/// One check of every site: fetch, load and validate, drift, metrics and webhooks, then reconcile.
async fn cycle(
    cfg: &WatchConfig,
    metrics: &Metrics,
    memory: &mut Memory,
    env: &Env,
    client: &reqwest::Client,
) {
    let started = Instant::now();
    if let Some(remote) = &cfg.fetch {
        if let Err(e) = cycle::fetch(&cfg.repo, remote).await {
            tracing::warn!(remote, error = %crate::error_chain(&e), "checking the commits already here");
        }
    }
    let now = cfg.clock().now();
    let today = now.to_zoned(jiff::tz::TimeZone::system()).date();
    let Some((tree, repo)) = load_valid(cfg, today, started, metrics, &memory.reported).await
    else {
        return;
    };
    let sites: Vec<_> = repo
        .sites
        .iter()
        .filter(|s| {
            cfg.shard
                .is_none_or(|(i, n)| fleet::in_shard(s.name(), i, n))
        })
        .collect();
    if let Err(e) = cycle::refresh_known(&cfg.state, &mut memory.known).await {
        tracing::error!(error = %crate::error_chain(&e), "cannot read the journal");
        return;
    }
    // One read of each VMS gives both the drift and the cameras' health.
    let (plans, health) = match drift_and_health(
        &DriftInput {
            repo_dir: &cfg.repo,
            repo: &repo,
            state: &cfg.state,
            today,
            concurrency: cfg.concurrency,
            known: Some(&memory.known),
            health: true,
        },
        &sites,
        Arc::clone(env),
    )
    .await
    {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %crate::error_chain(&e), "cannot read the state directory");
            return;
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    for plan in &plans {
        record_check(
            cfg,
            metrics,
            &mut memory.reported,
            client,
            plan,
            now,
            elapsed,
        )
        .await;
    }
    record_health(metrics, &health);
    if let Some(opts) = cfg.apply {
        reconcile(
            cfg,
            opts,
            &tree,
            &repo,
            &plans,
            &mut memory.backoff,
            env,
            today,
        )
        .await;
    }
}

/// Exports the counts of every site's cameras per health (`vmsops_camera_health`); a
/// site whose VMS could not be read keeps its last counts (its check already failed).
fn record_health(metrics: &Metrics, sites: &[crate::ops::status::SiteHealth]) {
    use crate::model::Health;
    let all = [
        Health::Healthy,
        Health::Progressing,
        Health::Degraded,
        Health::Disabled,
        Health::Unknown,
    ];
    for site in sites {
        if site.error.is_some() {
            continue;
        }
        let counts: Vec<(&str, usize)> = all
            .iter()
            .map(|h| {
                (
                    h.as_str(),
                    site.cameras.iter().filter(|c| c.health == *h).count(),
                )
            })
            .collect();
        metrics.camera_health(&site.site, &counts);
    }
}

/// The desired state at `cfg.rev`, if it can be read and is valid; otherwise logs
/// why and counts a failed check for every site it can name.
async fn load_valid(
    cfg: &WatchConfig,
    today: jiff::civil::Date,
    started: Instant,
    metrics: &Metrics,
    reported: &Reported,
) -> Option<(Tree, desired::DesiredRepo)> {
    let (tree, repo) = match cycle::load_desired(&cfg.repo, &cfg.rev).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %crate::error_chain(&e), "cannot read the desired state; every site counts a failed check");
            // The sites cannot be listed: those already reported on are the ones known.
            for site in reported.keys() {
                metrics.failed(site, started.elapsed().as_secs_f64());
            }
            return None;
        }
    };
    let mut diags = repo.diagnostics.clone();
    diags.extend(validate(&repo, today));
    let invalid: Vec<String> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    if !invalid.is_empty() {
        tracing::error!(errors = invalid.len(), first = %invalid[0], "the desired state is invalid; not checking until it is fixed");
        for s in &repo.sites {
            metrics.failed(s.name(), started.elapsed().as_secs_f64());
        }
        return None;
    }
    Some((tree, repo))
}

/// Records one site's check in the metrics and, when its drift appeared, changed
/// or cleared, posts the webhook; remembers what was reported.
async fn record_check(
    cfg: &WatchConfig,
    metrics: &Metrics,
    reported: &mut Reported,
    client: &reqwest::Client,
    plan: &SitePlan,
    now: jiff::Timestamp,
    elapsed: f64,
) {
    if let Some(e) = &plan.error {
        tracing::warn!(site = %plan.site, error = %e, "check failed");
        metrics.status(&plan.site, "unknown");
        metrics.failed(&plan.site, elapsed);
        return;
    }
    metrics.checked(
        &plan.site,
        plan.operations.len(),
        plan.findings.len(),
        now.as_millisecond() as f64 / 1000.0,
        elapsed,
    );
    let status = plan.status.map(|s| s.as_str().to_string());
    if let Some(s) = &status {
        metrics.status(&plan.site, s);
    }
    let sig = signature(plan);
    if !reported.contains_key(&plan.site) {
        // A restart picks up what was last notified, so it neither repeats nor loses a transition.
        match cycle::notified(&cfg.state, &plan.site).await {
            Ok(Some(n)) => {
                reported.insert(plan.site.clone(), (n.signature, n.status));
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(site = %plan.site, error = %crate::error_chain(&e), "cannot read what was last notified")
            }
        }
    }
    let (previous, previous_status) = reported.get(&plan.site).cloned().unwrap_or_default();
    tracing::debug!(site = %plan.site, status = status.as_deref().unwrap_or("-"), operations = plan.operations.len(), findings = plan.findings.len(), "checked");
    if status.is_some() && status != previous_status {
        tracing::info!(
            "{}: {} → {}{}",
            plan.site,
            previous_status.as_deref().unwrap_or("(first check)"),
            status.as_deref().unwrap_or("-"),
            change_summary(plan)
        );
    }
    if let (Some(t), Some(url)) = (
        transition(previous.as_deref(), sig.as_deref()),
        &cfg.webhook,
    ) {
        let body = webhook::payload(plan, t, previous_status.clone(), now);
        match webhook::post(client, url, &body, 4).await {
            Ok(()) => tracing::debug!(site = %plan.site, transition = ?t, "webhook posted"),
            Err(e) => {
                // Not recorded as reported: the next cycle tries again.
                tracing::error!(site = %plan.site, error = %e, "webhook failed");
                return;
            }
        }
    }
    if (previous.as_deref(), previous_status.as_deref()) != (sig.as_deref(), status.as_deref()) {
        let n = Notified {
            signature: sig.clone(),
            status: status.clone(),
            at: now,
        };
        if let Err(e) = cycle::set_notified(&cfg.state, &plan.site, &n).await {
            tracing::warn!(site = %plan.site, error = %crate::error_chain(&e), "cannot record what was notified");
        }
    }
    reported.insert(plan.site.clone(), (sig, status));
}

/// What a site's status is about, in a few words for the log: its first differences and findings.
fn change_summary(plan: &SitePlan) -> String {
    let mut what: Vec<String> = plan
        .operations
        .iter()
        .take(3)
        .map(|op| {
            let fields: Vec<&str> = op.changes.iter().map(|c| c.path.as_str()).collect();
            format!("{} {} {}", op.op.as_str(), op.target, fields.join(", "))
                .trim_end()
                .to_string()
        })
        .collect();
    what.extend(plan.findings.iter().take(2).map(|f| f.message.clone()));
    if what.is_empty() {
        return String::new();
    }
    let more = (plan.operations.len() + plan.findings.len()).saturating_sub(what.len());
    let tail = if more > 0 {
        format!("; and {more} more")
    } else {
        String::new()
    };
    crate::safe_text::terminal(&format!(" ({}{tail})", what.join("; "))).into_owned()
}

/// How a site's drift signature moved since it was last reported.
fn transition(previous: Option<&str>, now: Option<&str>) -> Option<Transition> {
    match (previous, now) {
        (None, Some(_)) => Some(Transition::Appeared),
        (Some(a), Some(b)) if a != b => Some(Transition::Changed),
        (Some(_), None) => Some(Transition::Cleared),
        _ => None,
    }
}

/// Applies every site that drifts and whose change the gate allows; the others wait, and say why.
#[allow(
    clippy::too_many_arguments,
    reason = "one cycle's facts, passed down once"
)]
async fn reconcile(
    cfg: &WatchConfig,
    opts: ApplyOptions,
    tree: &Tree,
    repo: &desired::DesiredRepo,
    plans: &[SitePlan],
    backoff: &mut HashMap<String, Backoff>,
    env: &Env,
    today: jiff::civil::Date,
) {
    use crate::ops::apply::{apply_site, Agent, ApplyOutcome, ApplySettings, ApplySite};
    let Some(commit) = repo.commit.clone() else {
        return;
    };
    let pending = plans
        .iter()
        .filter(|p| p.error.is_none() && !p.operations.is_empty());
    let clock = cfg.clock();
    // The loop acts for the revision's author (the approver who signed it, once the gate
    // finds one): without an author's email nobody answers for the change, so nothing is applied.
    let Ok(settings) = ApplySettings::builder(Agent::Watch, clock, today)
        .operator(cycle::revision_author(tree).as_deref())
        .parallelism(opts.parallelism)
        // What the loop applies, it verifies (a degraded camera is logged; the change stays).
        .verify(Some(WATCH_VERIFY_TIMEOUT))
        .lock_timeout(opts.lock_timeout)
        .build()
    else {
        for plan in pending {
            tracing::warn!(site = %plan.site, commit = %commit, "not applied: the revision's commit has no author email, so no one is accountable for the change");
        }
        return;
    };
    for plan in pending {
        let b = backoff.entry(plan.site.clone()).or_default();
        if b.not_before.is_some_and(|t| Instant::now() < t) {
            continue;
        }
        let Some(doc) = repo.sites.iter().find(|s| s.name() == plan.site) else {
            continue;
        };
        let Some(site) = &doc.site else { continue };
        let env_fn = |k: &str| env(k);
        let result = apply_site(&ApplySite {
            settings: &settings,
            repo_dir: &cfg.repo,
            tree,
            commit: &commit,
            doc,
            site,
            base: None,
            saved: None,
            state: &cfg.state,
            env: &env_fn,
            progress: &|_: &crate::ops::apply::executor::StepResult| {},
            // watch stops between cycles; a cycle's apply runs to its end.
            interrupted: &std::sync::atomic::AtomicBool::new(false),
        })
        .await;
        match result {
            Ok(r) => match r.outcome {
                ApplyOutcome::Refused => {
                    let why: Vec<String> = r
                        .refusals
                        .iter()
                        .map(|f| format!("{}: {}", f.check, f.message))
                        .collect();
                    tracing::info!(site = %plan.site, waiting_for = %why.join(" | "), "not applied: the gate does not allow it yet");
                    *b = Backoff::default();
                }
                ApplyOutcome::Applied | ApplyOutcome::UpToDate => {
                    tracing::info!(site = %plan.site, operations = r.steps.len(), snapshot = ?r.snapshot, "applied");
                    let degraded = r.degraded();
                    if !degraded.is_empty() {
                        tracing::warn!(site = %plan.site, cameras = %degraded.join(", "), snapshot = ?r.snapshot, "applied, but cameras are degraded; `vmsops restore` the snapshot if they do not come back");
                    }
                    *b = Backoff::default();
                }
                ApplyOutcome::Failed => requeue(&plan.site, b, cfg.interval, "an operation failed"),
            },
            Err(e) => requeue(&plan.site, b, cfg.interval, &crate::error_chain(&e)),
        }
    }
}

/// Backs a failing site off: twice the wait each time, up to an hour; the others go on.
fn requeue(site: &str, b: &mut Backoff, interval: Duration, why: &str) {
    b.failures += 1;
    let wait = interval
        .saturating_mul(1u32 << b.failures.min(10))
        .min(Duration::from_secs(3600));
    b.not_before = Some(Instant::now() + wait);
    tracing::warn!(site, error = why, retry_in = ?wait, "apply failed; requeued");
}
