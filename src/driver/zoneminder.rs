//! The `zoneminder` driver: ZoneMinder 1.36's CakePHP API (`{url}/api/...`) over HTTP.
//!
//! Logs in with the user and password from the variables that `username_env`
//! and `password_env` name, and passes the access token as `?token=` (1.36
//! refuses `Authorization: Bearer`). The token is in URLs, so it must never
//! reach an error, a log line or a plan: logs and errors carry the URL path
//! only, transport errors keep only their innermost cause, and ZoneMinder's
//! error bodies (which echo the URL) are reduced to their message. The token
//! is renewed before it expires and once on a 401.
//!
//! ZoneMinder answers some failures with HTTP 200 and an error body; every
//! answer is checked for one. It has no ETag: a camera's version is a hash of
//! the monitor's mapped fields and its retention filter, compared before each
//! update or delete. The mapping itself is in [`mapping`].
//!
//! Retention lives in event filters, which 1.36's API cannot reach: `web`
//! reads and saves them through the web UI (session cookie and CSRF token,
//! kept out of errors and logs like the token), [`filters`] knows their shape.

pub mod filters;
pub mod health;
pub mod mapping;
mod web;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use backon::Retryable;
use reqwest::header::{HeaderValue, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use url::Url;

use super::error::DriverError;
use super::OpContext;
use super::Vms;
use super::{messages, transport};
use crate::model::health::CameraStatus;
use crate::model::AlertKind;
use crate::model::{
    AlertRule, Camera, Capabilities, JournalPage, LiveConfig, Recordings, Settings, Unmanaged,
};

/// `format` of this driver's exports.
pub const EXPORT_FORMAT: &str = "zoneminder/v1";
/// The setting that `settings.session_timeout_minutes` maps to (seconds).
pub const SESSION_SETTING: &str = "ZM_COOKIE_LIFETIME";
/// Largest answer read.
const MAX_ANSWER_BYTES: usize = 64 << 20;
/// A token this close to its expiry is renewed first.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// A user name and password, and the variables they came from; `Debug` hides the password.
#[derive(Clone)]
pub struct Login {
    user: String,
    password: String,
    /// `USER_VAR/PASSWORD_VAR`, for errors.
    variables: String,
}

impl Login {
    /// Credentials read from the variables `user_var` and `password_var`.
    pub fn new(user: String, password: String, user_var: &str, password_var: &str) -> Self {
        Login {
            user,
            password,
            variables: format!("{user_var}/{password_var}"),
        }
    }
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login({} from {}, redacted)", self.user, self.variables)
    }
}

pub use super::transport::Options;

struct Token {
    access: String,
    renew_at: Instant,
}

/// A driver for one ZoneMinder.
pub struct ZoneMinderDriver {
    client: reqwest::Client,
    base: Url,
    host: String,
    login: Login,
    options: Options,
    token: tokio::sync::Mutex<Option<Token>>,
    /// The web UI's session cookie, for retention filters.
    web_session: tokio::sync::Mutex<Option<String>>,
    /// The zone ZoneMinder writes times in, once read.
    tz: std::sync::OnceLock<jiff::tz::TimeZone>,
}

impl std::fmt::Debug for ZoneMinderDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneMinderDriver")
            .field("base", &self.base.as_str())
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// A parsed success answer.
struct Answer {
    method: Method,
    path: String,
    status: u16,
    body: Value,
}

impl Answer {
    /// The list `field` of the answer, or an invalid answer without it.
    fn list(&self, field: &str) -> Result<&Vec<Value>, DriverError> {
        self.body
            .get(field)
            .and_then(Value::as_array)
            .ok_or_else(|| self.invalid(format!("no `{field}` list")))
    }

    fn invalid(&self, reason: impl Into<String>) -> DriverError {
        DriverError::InvalidResponse {
            method: self.method.to_string(),
            path: self.path.clone(),
            status: self.status,
            reason: reason.into(),
        }
    }
}

/// A whole answer, before it is read as JSON or as a web page.
struct Raw {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

/// A form body: `Monitor[Name]=…&…`.
type Form = Vec<(String, String)>;

impl ZoneMinderDriver {
    /// A driver for the ZoneMinder whose web root is `url` (e.g. `http://127.0.0.1:8080/zm`).
    pub fn new(url: &str, login: Login, options: Options) -> Result<Self, DriverError> {
        let (base, host) = transport::base_url(url, "username_env/password_env")?;
        let client = transport::http_client(&options)?;
        Ok(ZoneMinderDriver {
            client,
            base,
            host,
            login,
            options,
            token: tokio::sync::Mutex::new(None),
            web_session: tokio::sync::Mutex::new(None),
            tz: std::sync::OnceLock::new(),
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.set_query(None);
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("api").extend(segments);
        }
        url
    }

    /// A valid access token: the current one, or a new login.
    async fn token(&self, renew: bool) -> Result<String, DriverError> {
        let mut slot = self.token.lock().await;
        if let Some(t) = slot.as_ref() {
            if !renew && Instant::now() < t.renew_at {
                return Ok(t.access.clone());
            }
        }
        let form = vec![
            ("user".to_string(), self.login.user.clone()),
            ("pass".to_string(), self.login.password.clone()),
        ];
        let answer = self
            .exchange(Method::POST, &["host", "login.json"], None, Some(&form))
            .await?;
        let access = answer
            .body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| answer.invalid("no access_token: is API use enabled for this account?"))?
            .to_string();
        let lifetime = answer
            .body
            .get("access_token_expires")
            .and_then(Value::as_u64)
            .map(Duration::from_secs)
            .unwrap_or(Duration::from_secs(3600));
        tracing::debug!(path = "/api/host/login.json", "logged in to ZoneMinder");
        *slot = Some(Token {
            access: access.clone(),
            // A lifetime too large for the clock (a bad answer) renews after a day at most.
            renew_at: Instant::now()
                + lifetime
                    .min(Duration::from_secs(86_400))
                    .saturating_sub(TOKEN_MARGIN),
        });
        Ok(access)
    }

    /// One request with the token, retried when safe; a 401 renews the token and
    /// sends again once.
    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        form: Option<&Form>,
    ) -> Result<Answer, DriverError> {
        let attempts = if method == Method::GET {
            self.options.attempts
        } else {
            1
        };
        let with_token = |renew: bool| {
            let method = method.clone();
            async move {
                let mut q: Vec<(&str, String)> = query.to_vec();
                q.push(("token", self.token(renew).await?));
                self.exchange(method, segments, Some(&q), form).await
            }
        };
        let once = || async {
            match with_token(false).await {
                Err(DriverError::Unauthorized { .. }) => with_token(true).await,
                other => other,
            }
        };
        once.retry(crate::retry::policy(self.options.backoff, attempts))
            .sleep(tokio::time::sleep)
            .when(DriverError::is_retryable)
            .notify(|e, delay| {
                tracing::debug!(
                    %method,
                    delay_ms = delay.as_millis() as u64,
                    error = %e,
                    "retrying"
                );
            })
            .await
    }

    /// Sends one API request and maps every failure to an error that names the path only.
    async fn exchange(
        &self,
        method: Method,
        segments: &[&str],
        query: Option<&[(&str, String)]>,
        form: Option<&Form>,
    ) -> Result<Answer, DriverError> {
        let mut url = self.url(segments);
        let path = url.path().to_string();
        if let Some(q) = query {
            url.query_pairs_mut()
                .extend_pairs(q.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let request = with_form(self.client.request(method.clone(), url), form);
        let raw = self
            .fetch(request, method.as_str(), &path, "answer")
            .await?;
        self.api_answer(method, path, raw)
    }

    /// Sends `request` and reads the whole answer, logged as `what`; a transport
    /// failure names `method` and `path` only.
    async fn fetch(
        &self,
        request: reqwest::RequestBuilder,
        method: &str,
        path: &str,
        what: &str,
    ) -> Result<Raw, DriverError> {
        let start = Instant::now();
        let response = request
            .send()
            .await
            .map_err(|e| self.transport_error(method, path, e.without_url()))?;
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(reason) = messages::too_large(response.content_length(), MAX_ANSWER_BYTES) {
            return Err(DriverError::InvalidResponse {
                method: method.to_string(),
                path: path.to_string(),
                status: status.as_u16(),
                reason,
            });
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(method, path, e.without_url()))?;
        tracing::debug!(
            %method,
            %path,
            status = status.as_u16(),
            ms = start.elapsed().as_secs_f64() * 1000.0,
            bytes = bytes.len(),
            "{what}"
        );
        Ok(Raw {
            status,
            headers,
            bytes: bytes.into(),
        })
    }

    /// An API answer read as JSON (empty: null). ZoneMinder's error bodies
    /// become errors, also those it sends with HTTP 200.
    fn api_answer(&self, method: Method, path: String, raw: Raw) -> Result<Answer, DriverError> {
        let status = raw.status;
        let invalid = |reason: String| DriverError::InvalidResponse {
            method: method.to_string(),
            path: path.clone(),
            status: status.as_u16(),
            reason,
        };
        if raw.bytes.len() > MAX_ANSWER_BYTES {
            return Err(invalid(format!(
                "answer larger than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        let body: Value = if raw.bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            match serde_json::from_slice(&raw.bytes) {
                Ok(v) => v,
                // An error status says enough; its HTML page is not worth an error of its own.
                Err(_) if !status.is_success() => Value::Null,
                Err(e) => return Err(invalid(format!("not JSON: {e}"))),
            }
        };
        let message = mapping::body_error(&body).map(|s| self.scrub(&s));
        if !status.is_success() {
            return Err(self.status_error(method.to_string(), path, status, message));
        }
        if let Some(message) = message {
            // HTTP 200 with an error: ZoneMinder's way of refusing content.
            return Err(DriverError::Rejected {
                method: method.to_string(),
                path,
                message,
                detail: None,
            });
        }
        Ok(Answer {
            method,
            path,
            status: status.as_u16(),
            body,
        })
    }

    /// Removes the password and any token from a server message, and shortens it.
    fn scrub(&self, s: &str) -> String {
        let mut s = messages::redact(s, &[&self.login.password]);
        if let Some(i) = s.find("token=") {
            s.truncate(i + "token=".len());
            s.push_str("[redacted]");
        }
        messages::shorten(&s)
    }

    fn status_error(
        &self,
        method: String,
        path: String,
        status: StatusCode,
        message: Option<String>,
    ) -> DriverError {
        let message =
            message.unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_lowercase());
        match status.as_u16() {
            401 | 403 => DriverError::Unauthorized {
                method,
                path,
                status: status.as_u16(),
                credential: self.login.variables.clone(),
            },
            404 => DriverError::NotFound {
                method,
                path,
                message,
            },
            s => DriverError::Status {
                method,
                path,
                status: s,
                message,
            },
        }
    }

    fn transport_error(&self, method: &str, path: &str, e: reqwest::Error) -> DriverError {
        transport::no_answer(
            method,
            path,
            &self.host,
            self.options.timeout,
            &e,
            root_cause,
        )
    }

    /// Every monitor, as ZoneMinder's `Monitor` objects with their `Event_Summary`.
    async fn monitors(&self) -> Result<Vec<(Value, Value)>, DriverError> {
        let answer = self
            .call(Method::GET, &["monitors.json"], &[], None)
            .await?;
        let list = answer.list("monitors")?;
        list.iter()
            .map(|m| {
                let monitor = m
                    .get("Monitor")
                    .filter(|m| m.is_object())
                    .ok_or_else(|| answer.invalid("a monitor without `Monitor`"))?;
                Ok((
                    monitor.clone(),
                    m.get("Event_Summary").cloned().unwrap_or(Value::Null),
                ))
            })
            .collect()
    }

    /// The monitor named `name`, if there is exactly one; two of the same name are an error.
    async fn monitor(&self, name: &str) -> Result<Option<(Value, Value)>, DriverError> {
        let found: Vec<(Value, Value)> = self
            .monitors()
            .await?
            .into_iter()
            .filter(|(m, _)| mapping::text(m, "Name") == name)
            .collect();
        only_one(name, found)
    }

    /// The whole API entry (`Monitor`, `Monitor_Status`, `Event_Summary`) of the
    /// monitor named `name`, asked of ZoneMinder by name.
    async fn monitor_entry(&self, name: &str) -> Result<Option<Value>, DriverError> {
        let file = format!("Name:{name}.json");
        let answer = self
            .call(Method::GET, &["monitors", "index", &file], &[], None)
            .await?;
        let found: Vec<Value> = answer
            .list("monitors")?
            .iter()
            .filter(|e| {
                e.get("Monitor")
                    .is_some_and(|m| m.is_object() && mapping::text(m, "Name") == name)
            })
            .cloned()
            .collect();
        only_one(name, found)
    }

    /// The monitor `name` at version `if_match`, or the driver's 412.
    async fn monitor_at(
        &self,
        method: &str,
        name: &str,
        if_match: &str,
    ) -> Result<(Value, web::RetentionFilters), DriverError> {
        let Some((m, _)) = self.monitor(name).await? else {
            return Err(DriverError::NotFound {
                method: method.into(),
                path: format!("/api/monitors ({name})"),
                message: format!("no monitor named {name}"),
            });
        };
        let filters = self.retention_filters().await?;
        let current = mapping::version(&m, web::retention_of(&filters, &m));
        if current != if_match {
            return Err(DriverError::VersionMismatch {
                method: method.into(),
                path: format!("/api/monitors/{}.json", mapping::text(&m, "Id")),
                message: format!("monitor {name} is at version {current}, not {if_match}"),
            });
        }
        Ok((m, filters))
    }

    async fn setting(&self, name: &str) -> Result<String, DriverError> {
        let file = format!("{name}.json");
        let answer = self
            .call(Method::GET, &["configs", "viewByName", &file], &[], None)
            .await?;
        answer
            .body
            .pointer("/config/Value")
            .map(|v| mapping::text(&json!({ "v": v }), "v"))
            .ok_or_else(|| answer.invalid(format!("no value for {name}")))
    }

    async fn set_setting(&self, name: &str, value: &str) -> Result<(), DriverError> {
        let file = format!("{name}.json");
        let form = vec![("Config[Value]".to_string(), value.to_string())];
        self.call(Method::PUT, &["configs", "edit", &file], &[], Some(&form))
            .await?;
        Ok(())
    }

    async fn settings(&self) -> Result<Settings, DriverError> {
        let seconds = self.setting(SESSION_SETTING).await?;
        let secs: u64 = seconds.trim().parse().map_err(|_| {
            DriverError::Config(format!("{SESSION_SETTING} is `{seconds}`, not seconds"))
        })?;
        Ok(Settings {
            // Rounded up: a lifetime a little over N minutes is not within N.
            session_timeout_minutes: u32::try_from(secs.div_ceil(60)).unwrap_or(u32::MAX),
            version: seconds,
        })
    }

    async fn save_monitor(
        &self,
        method: Method,
        segments: &[&str],
        fields: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), DriverError> {
        let form: Form = fields
            .into_iter()
            .map(|(k, v)| (format!("Monitor[{k}]"), v))
            .collect();
        self.call(method, segments, &[], Some(&form)).await?;
        Ok(())
    }

    /// The monitor named `name`, just saved: ZoneMinder answers a save with
    /// `{"message":"Saved"}` only, so the monitor is found again by its name.
    async fn saved_monitor(&self, name: &str) -> Result<Value, DriverError> {
        let (m, _) = self
            .monitor(name)
            .await?
            .ok_or_else(|| DriverError::NotFound {
                method: "GET".into(),
                path: "/api/monitors.json".into(),
                message: format!("monitor {name} is missing after it was saved"),
            })?;
        Ok(m)
    }

    /// Reads a camera back after a change, for its new version.
    async fn camera(&self, name: &str) -> Result<Camera, DriverError> {
        let m = self.saved_monitor(name).await?;
        let filters = self.retention_filters().await?;
        camera_of(&m, &filters)
    }

    /// Gives monitor `m` the retention of `camera`, then reads the camera back
    /// and checks that ZoneMinder kept that retention.
    async fn finish_save(
        &self,
        m: &Value,
        camera: &Camera,
        filters: &web::RetentionFilters,
    ) -> Result<Camera, DriverError> {
        self.set_retention(m, camera.recording.retention_days, filters)
            .await?;
        self.saved(camera).await
    }

    /// Reads a camera back after a change and checks that ZoneMinder kept its retention.
    async fn saved(&self, camera: &Camera) -> Result<Camera, DriverError> {
        let got = self.camera(&camera.id).await?;
        if got.recording.retention_days != camera.recording.retention_days {
            return Err(DriverError::InvalidResponse {
                method: "POST".into(),
                path: self.web_path("filter"),
                status: 200,
                reason: format!(
                    "the retention filter of {} reads {} days after saving {}",
                    camera.id, got.recording.retention_days, camera.recording.retention_days
                ),
            });
        }
        Ok(got)
    }

    async fn first_event(
        &self,
        monitor_id: &str,
        direction: &str,
    ) -> Result<Option<Value>, DriverError> {
        let seg = format!("MonitorId:{monitor_id}.json");
        let query = [
            ("sort", "StartDateTime".to_string()),
            ("direction", direction.to_string()),
            ("limit", "1".to_string()),
        ];
        let answer = self
            .call(Method::GET, &["events", "index", &seg], &query, None)
            .await?;
        let events = answer.list("events")?;
        Ok(events.first().and_then(|e| e.get("Event")).cloned())
    }
}

/// The one monitor of `found` named `name`; two of the same name are an error.
fn only_one<T>(name: &str, mut found: Vec<T>) -> Result<Option<T>, DriverError> {
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        n => Err(DriverError::Conflict {
            method: "GET".into(),
            path: "/api/monitors.json".into(),
            message: format!("{n} monitors are named {name}: rename all but one in ZoneMinder"),
        }),
    }
}

/// ZoneMinder's `YYYY-MM-DD HH:MM:SS`, in the server's zone (UTC unless `tz` names another).
fn parse_time(s: &str, tz: &jiff::tz::TimeZone) -> Option<jiff::Timestamp> {
    let dt: jiff::civil::DateTime = s.trim().replace(' ', "T").parse().ok()?;
    dt.to_zoned(tz.clone()).ok().map(|z| z.timestamp())
}

/// The innermost cause of a transport error, with any `token=` in it redacted.
fn root_cause(e: &reqwest::Error) -> String {
    let Some(s) = messages::innermost_cause(e) else {
        return "transport error".into();
    };
    match s.find("token=") {
        Some(i) => format!("{}token=[redacted]", &s[..i]),
        None => s,
    }
}

/// `request` with `form` as its body, when there is one.
fn with_form(request: reqwest::RequestBuilder, form: Option<&Form>) -> reqwest::RequestBuilder {
    let Some(form) = form else {
        return request;
    };
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter())
        .finish();
    request
        .header(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        )
        .body(body)
}

/// The camera monitor `m` stands for, with the retention its filter enforces.
fn camera_of(m: &Value, filters: &web::RetentionFilters) -> Result<Camera, DriverError> {
    mapping::camera(m, web::retention_of(filters, m)).map_err(|reason| {
        DriverError::InvalidResponse {
            method: "GET".into(),
            path: "/api/monitors.json".into(),
            status: 200,
            reason,
        }
    })
}

/// `{Id}.json`, the path segment of monitor `m` in the API.
fn monitor_file(m: &Value) -> String {
    format!("{}.json", mapping::text(m, "Id"))
}

fn form_of(camera: &Camera) -> Result<Vec<(String, String)>, DriverError> {
    Ok(mapping::monitor_fields(camera)
        .map_err(DriverError::Config)?
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect())
}

#[async_trait]
impl Vms for ZoneMinderDriver {
    fn capabilities(&self) -> Capabilities {
        let unmanaged = |field: &str, reason: &str| Unmanaged {
            field: field.into(),
            reason: reason.into(),
        };
        Capabilities {
            deletes_recordings_with_camera: true,
            has_admin_journal: false,
            sends_request_ids: false,
            manages_alerts: false,
            manages_settings: true,
            unmanaged: vec![
                unmanaged(
                    "recording.schedule",
                    "ZoneMinder has no weekly schedule: an enabled camera records all the time (Function=Record), a disabled one neither captures nor records (Function=Monitor, Enabled=0); time-of-day spans are kept in Notes, not enforced",
                ),
                unmanaged(
                    "alerts.escalation",
                    "ZoneMinder has no alert rules, recipients or escalation delays",
                ),
            ],
        }
    }

    /// ZoneMinder keeps no versions: the driver compares its own hash of a monitor just
    /// before writing it, a check ZoneMinder does not hold to, so nothing stops a change
    /// made between the two (and no journal says who changed what).
    fn conditional_writes(&self) -> bool {
        false
    }

    async fn read_live(&self) -> Result<LiveConfig, DriverError> {
        let mut cameras = Vec::new();
        let monitors = self.monitors().await?;
        let filters = self.retention_filters().await?;
        for (m, _) in monitors {
            cameras.push(camera_of(&m, &filters)?);
        }
        cameras.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(LiveConfig {
            cameras,
            alert_rules: Vec::new(),
            settings: self.settings().await?,
        })
    }

    async fn export(&self) -> Result<Value, DriverError> {
        let monitors: Vec<Value> = self.monitors().await?.into_iter().map(|(m, _)| m).collect();
        let filters = self.retention_filters().await?;
        let retention: serde_json::Map<String, Value> = monitors
            .iter()
            .filter_map(|m| {
                let days = web::retention_of(&filters, m)?;
                Some((mapping::text(m, "Name"), json!(days)))
            })
            .collect();
        let session = self.setting(SESSION_SETTING).await?;
        Ok(json!({
            "format": EXPORT_FORMAT,
            "monitors": monitors,
            "retention_days": retention,
            "configs": { SESSION_SETTING: session },
        }))
    }

    async fn import(&self, export: &Value, _ctx: &OpContext) -> Result<(), DriverError> {
        super::export::check_format(export, EXPORT_FORMAT)?;
        let wanted = export
            .get("monitors")
            .and_then(Value::as_array)
            .ok_or_else(|| DriverError::Config("the snapshot has no monitors list".into()))?;
        let live = self.monitors().await?;
        for m in wanted {
            let name = mapping::text(m, "Name");
            let fields: Vec<(String, String)> = mapping::RESTORED_FIELDS
                .iter()
                .filter(|f| m.get(**f).is_some_and(|v| !v.is_null()))
                .map(|f| (f.to_string(), mapping::text(m, f)))
                .collect();
            match live.iter().find(|(l, _)| mapping::text(l, "Name") == name) {
                Some((l, _)) => {
                    self.save_monitor(Method::PUT, &["monitors", &monitor_file(l)], fields)
                        .await?;
                }
                None => {
                    self.save_monitor(Method::POST, &["monitors.json"], fields)
                        .await?;
                }
            }
        }
        // The live monitors the export does not name, by name: deleted with their filters.
        let dropped: Vec<&Value> = live
            .iter()
            .map(|(l, _)| l)
            .filter(|l| {
                let name = mapping::text(l, "Name");
                !wanted.iter().any(|m| mapping::text(m, "Name") == name)
            })
            .collect();
        for l in &dropped {
            self.call(Method::DELETE, &["monitors", &monitor_file(l)], &[], None)
                .await?;
        }
        // Retention filters follow the monitors (whose ids may have changed); exports made
        // before vmsops managed them have none and leave the filters alone.
        if let Some(retention) = export.get("retention_days").and_then(Value::as_object) {
            let filters = self.retention_filters().await?;
            for (m, _) in self.monitors().await? {
                let name = mapping::text(&m, "Name");
                match retention.get(&name).and_then(Value::as_u64) {
                    Some(days) => {
                        let days = u32::try_from(days).unwrap_or(u32::MAX);
                        self.set_retention(&m, days, &filters).await?;
                    }
                    None => self.remove_retention(&name, &filters).await?,
                }
            }
            for l in &dropped {
                self.remove_retention(&mapping::text(l, "Name"), &filters)
                    .await?;
            }
        }
        if let Some(v) = export
            .pointer(&format!("/configs/{SESSION_SETTING}"))
            .and_then(Value::as_str)
        {
            self.set_setting(SESSION_SETTING, v).await?;
        }
        Ok(())
    }

    async fn create_camera(
        &self,
        camera: &Camera,
        _ctx: &OpContext,
    ) -> Result<Camera, DriverError> {
        if self.monitor(&camera.id).await?.is_some() {
            return Err(DriverError::Conflict {
                method: "POST".into(),
                path: "/api/monitors.json".into(),
                message: format!("a monitor named {} exists", camera.id),
            });
        }
        let mut fields = form_of(camera)?;
        fields.push(("Type".into(), "Ffmpeg".into()));
        self.save_monitor(Method::POST, &["monitors.json"], fields)
            .await?;
        let m = self.saved_monitor(&camera.id).await?;
        let filters = self.retention_filters().await?;
        self.finish_save(&m, camera, &filters).await
    }

    async fn update_camera(
        &self,
        camera: &Camera,
        if_match: &str,
        _ctx: &OpContext,
    ) -> Result<Camera, DriverError> {
        let (m, filters) = self.monitor_at("PUT", &camera.id, if_match).await?;
        self.save_monitor(
            Method::PUT,
            &["monitors", &monitor_file(&m)],
            form_of(camera)?,
        )
        .await?;
        self.finish_save(&m, camera, &filters).await
    }

    async fn delete_camera(
        &self,
        id: &str,
        if_match: &str,
        _ctx: &OpContext,
    ) -> Result<(), DriverError> {
        let (m, filters) = self.monitor_at("DELETE", id, if_match).await?;
        self.call(Method::DELETE, &["monitors", &monitor_file(&m)], &[], None)
            .await?;
        self.remove_retention(id, &filters).await
    }

    async fn put_alert_rule(
        &self,
        rule: &AlertRule,
        _if_match: Option<&str>,
        _ctx: &OpContext,
    ) -> Result<AlertRule, DriverError> {
        Err(DriverError::Config(format!(
            "ZoneMinder has no alert rules (cannot set {})",
            rule.kind.as_str()
        )))
    }

    async fn delete_alert_rule(
        &self,
        kind: AlertKind,
        _if_match: &str,
        _ctx: &OpContext,
    ) -> Result<(), DriverError> {
        Err(DriverError::Config(format!(
            "ZoneMinder has no alert rules (cannot delete {})",
            kind.as_str()
        )))
    }

    async fn update_settings(
        &self,
        settings: &Settings,
        if_match: &str,
        _ctx: &OpContext,
    ) -> Result<Settings, DriverError> {
        let current = self.settings().await?;
        if current.version != if_match {
            return Err(DriverError::VersionMismatch {
                method: "PUT".into(),
                path: format!("/api/configs/edit/{SESSION_SETTING}.json"),
                message: format!("{SESSION_SETTING} is {}, not {if_match}", current.version),
            });
        }
        let seconds = u64::from(settings.session_timeout_minutes) * 60;
        self.set_setting(SESSION_SETTING, &seconds.to_string())
            .await?;
        self.settings().await
    }

    async fn camera_status(&self, id: &str) -> Result<CameraStatus, DriverError> {
        self.stream_status(id).await
    }

    async fn recordings(&self, camera_id: &str) -> Result<Option<Recordings>, DriverError> {
        let Some((m, summary)) = self.monitor(camera_id).await? else {
            // Deleting a monitor deletes its events: nothing is kept.
            return Ok(None);
        };
        let id = mapping::text(&m, "Id");
        let tz = self.server_tz().await;
        let oldest = self.first_event(&id, "asc").await?;
        let newest = self.first_event(&id, "desc").await?;
        let at = |e: &Option<Value>, field: &str| {
            e.as_ref()
                .and_then(|e| parse_time(&mapping::text(e, field), &tz))
        };
        let newest_end = at(&newest, "EndDateTime").or_else(|| at(&newest, "StartDateTime"));
        let bytes = mapping::text(&summary, "TotalEventDiskSpace")
            .parse::<u64>()
            .unwrap_or(0);
        Ok(Some(Recordings {
            camera_id: camera_id.to_string(),
            oldest: at(&oldest, "StartDateTime"),
            newest: newest_end,
            bytes,
        }))
    }

    async fn journal_since(&self, _cursor: Option<&str>) -> Result<JournalPage, DriverError> {
        // ZoneMinder's logs are daemon messages, not a record of who changed what.
        Ok(JournalPage {
            entries: Vec::new(),
            next_cursor: String::new(),
        })
    }

    async fn journal_position(&self) -> Result<Option<String>, DriverError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver(url: &str) -> Result<ZoneMinderDriver, DriverError> {
        ZoneMinderDriver::new(
            url,
            Login::new(
                "claire".into(),
                "pa55-word".into(),
                "ZM_USER",
                "ZM_PASSWORD",
            ),
            Options::default(),
        )
    }

    #[test]
    fn api_urls_hang_off_the_web_root() {
        let d = driver("http://127.0.0.1:8080/zm").expect("valid");
        assert_eq!(
            d.url(&["monitors", "3.json"]).as_str(),
            "http://127.0.0.1:8080/zm/api/monitors/3.json"
        );
        let d = driver("http://127.0.0.1:8080/zm/").expect("valid");
        assert_eq!(
            d.url(&["host", "login.json"]).as_str(),
            "http://127.0.0.1:8080/zm/api/host/login.json"
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_and_messages() {
        let d = driver("http://127.0.0.1:1/zm").expect("valid");
        assert!(!format!("{d:?}").contains("pa55-word"));
        let s = d.scrub("failed for /zm/api/monitors.json?token=eyJabc.def with pa55-word");
        assert!(!s.contains("eyJabc") && !s.contains("pa55-word"), "{s}");
        let e = d.status_error(
            "GET".into(),
            "/zm/api/monitors.json".into(),
            StatusCode::UNAUTHORIZED,
            None,
        );
        assert_eq!(
            e.to_string(),
            "GET /zm/api/monitors.json: 401: the VMS refused the credential; check the variable ZM_USER/ZM_PASSWORD"
        );
        assert!(driver("http://u:pw@127.0.0.1/zm").is_err());
    }

    #[test]
    fn zoneminder_times_are_read_in_its_zone() {
        let utc = parse_time("2026-11-27 10:00:00", &jiff::tz::TimeZone::UTC).expect("time");
        assert_eq!(utc.to_string(), "2026-11-27T10:00:00Z");
        let paris = jiff::tz::TimeZone::get("Europe/Paris").expect("tz");
        let t = parse_time("2026-11-27 10:00:00", &paris).expect("time");
        assert_eq!(t.to_string(), "2026-11-27T09:00:00Z");
        assert!(parse_time("never", &paris).is_none());
    }

    /// A web UI that gives a session cookie at login and then shows the login page again,
    /// as ZoneMinder does for an account that may not see events.
    async fn refusing_web_ui() -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let mut buf = vec![0; 16 << 10];
                let _ = conn.read(&mut buf).await;
                let page = "<title>ZM - Login</title><script>var csrfMagicToken = \"key:c5rf-s3cret,1\";</script>";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nSet-Cookie: ZMSESSID=c00kie-s3cret; path=/\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            }
        });
        format!("http://{addr}/zm")
    }

    #[tokio::test]
    async fn a_refused_filter_view_is_named_without_cookie_token_or_password() {
        let d = driver(&refusing_web_ui().await).expect("valid");
        let e = d
            .retention_filters()
            .await
            .expect_err("the filter view never opens");
        let s = e.to_string();
        assert!(s.contains("/zm/index.php?view=filter"), "{s}");
        assert!(s.contains("Events=Edit"), "{s}");
        for secret in ["pa55-word", "c00kie-s3cret", "c5rf-s3cret", "ZMSESSID"] {
            assert!(!s.contains(secret), "{secret} in {s}");
        }
        *d.web_session.lock().await = Some("c00kie-s3cret".into());
        assert!(!format!("{d:?}").contains("c00kie-s3cret"));
    }

    #[tokio::test]
    async fn an_unreachable_zoneminder_is_named_without_the_password() {
        let d = driver("http://127.0.0.1:1/zm").expect("valid");
        let e = d.read_live().await.expect_err("nothing listens on port 1");
        let s = e.to_string();
        assert!(s.contains("/zm/api/host/login.json"), "{s}");
        assert!(!s.contains("pa55-word"), "{s}");
    }
}
