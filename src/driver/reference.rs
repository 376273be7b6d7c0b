//! The `reference` driver: the reference VMS API (docs/reference-vms-api.md) over HTTP.
//!
//! One shared `reqwest::Client` (connect timeout 5 s, request timeout 30 s by
//! default); the bearer token is only ever in the `Authorization` header,
//! marked sensitive, and never in a log line or an error. Reads, and any
//! request answered 503 or refused before it was sent, are retried with
//! exponential backoff and jitter (`crate::retry`); a mutation that may have reached the
//! server is never sent twice otherwise. Every answer is validated: a
//! malformed one is [`DriverError::InvalidResponse`], never a panic.

mod wire;

use std::time::Instant;

use async_trait::async_trait;
use backon::Retryable;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_TYPE, IF_MATCH};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize as _;
use url::Url;

use super::error::DriverError;
use super::OpContext;
use super::Vms;
use super::{messages, transport};
use crate::model::AlertKind;
use crate::model::{
    AlertRule, Camera, CameraStatus, Capabilities, JournalPage, LiveConfig, Recordings, Settings,
    StreamCondition,
};
use wire::{
    AlertRuleOut, CameraOut, SettingsOut, WireAlertRule, WireCamera, WireExport, WireJournalPage,
    WireSettings, EXPORT_FORMAT,
};

/// Largest answer read; anything bigger is an invalid answer. The biggest answer is
/// the full export, about 400 bytes a camera: 256 MiB holds some 600,000 cameras,
/// several times the largest site vmsops is built for.
const MAX_ANSWER_BYTES: usize = 256 << 20;
/// Journal entries asked for per request.
const JOURNAL_PAGE: u32 = 1000;

/// A bearer token and the name of the variable it came from; `Debug` hides the token.
#[derive(Clone)]
pub struct Credential {
    token: String,
    variable: String,
}

impl Credential {
    /// A token read from the environment variable `variable`.
    pub fn new(token: String, variable: String) -> Self {
        Credential { token, variable }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential(from {}, redacted)", self.variable)
    }
}

pub use super::transport::Options;

/// A driver for one reference VMS.
#[derive(Debug)]
pub struct ReferenceDriver {
    client: reqwest::Client,
    base: Url,
    host: String,
    authorization: HeaderValue,
    credential: String,
    options: Options,
}

/// One request to send.
struct Call<'a> {
    method: Method,
    segments: &'a [&'a str],
    query: &'a [(&'a str, String)],
    body: Option<Vec<u8>>,
    if_match: Option<&'a str>,
    ctx: Option<&'a OpContext>,
}

/// A success answer.
struct Answer {
    method: Method,
    path: String,
    status: StatusCode,
    body: Vec<u8>,
}

impl Answer {
    fn json<T: DeserializeOwned>(&self) -> Result<T, DriverError> {
        serde_json::from_slice(&self.body).map_err(|e| DriverError::InvalidResponse {
            method: self.method.to_string(),
            path: self.path.clone(),
            status: self.status.as_u16(),
            reason: e.to_string(),
        })
    }

    fn invalid(&self, reason: impl Into<String>) -> DriverError {
        DriverError::InvalidResponse {
            method: self.method.to_string(),
            path: self.path.clone(),
            status: self.status.as_u16(),
            reason: reason.into(),
        }
    }
}

/// What one try produced.
enum Try {
    Done(Answer),
    /// Failed; `retry` if and only if sending it again is safe and may help.
    Failed {
        error: DriverError,
        retry: bool,
    },
}

impl ReferenceDriver {
    /// A driver for the VMS at `url` (http or https, no user info in it).
    pub fn new(url: &str, credential: Credential, options: Options) -> Result<Self, DriverError> {
        let (base, host) = transport::base_url(url, "token_env")?;
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", credential.token))
            .map_err(|_| {
                DriverError::Config(format!(
                    "the token in {} has characters a header cannot carry",
                    credential.variable
                ))
            })?;
        authorization.set_sensitive(true);
        let client = transport::http_client(&options)?;
        Ok(ReferenceDriver {
            client,
            base,
            host,
            authorization,
            credential: credential.variable,
            options,
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url.set_query(None);
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    fn headers(&self, call: &Call<'_>) -> Result<HeaderMap, DriverError> {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, self.authorization.clone());
        if call.body.is_some() {
            h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let value = |what: &str, v: &str| {
            HeaderValue::from_bytes(v.as_bytes()).map_err(|_| {
                DriverError::Config(format!("{what} `{v}` cannot be sent in a header"))
            })
        };
        if let Some(v) = call.if_match {
            h.insert(IF_MATCH, value("version", &format!("\"{v}\""))?);
        }
        if let Some(ctx) = call.ctx {
            h.insert("x-request-id", value("request id", &ctx.request_id)?);
            h.insert("x-on-behalf-of", value("operator", &ctx.operator)?);
        }
        Ok(h)
    }

    /// Sends a call, retrying when that is safe, and maps failures to errors.
    async fn send(&self, call: Call<'_>) -> Result<Answer, DriverError> {
        let url = self.url(call.segments, call.query);
        let headers = self.headers(&call)?;
        let idempotent = call.method == Method::GET;
        let once = || async {
            match self
                .try_once(&call, &url, headers.clone(), idempotent)
                .await
            {
                Try::Done(answer) => Ok(answer),
                Try::Failed { error, retry } => Err((error, retry)),
            }
        };
        once.retry(crate::retry::policy(
            self.options.backoff,
            self.options.attempts,
        ))
        .sleep(tokio::time::sleep)
        .when(|(_, retry)| *retry)
        .notify(|(error, _), delay| {
            tracing::debug!(
                method = %call.method,
                path = url.path(),
                delay_ms = delay.as_millis() as u64,
                error = %error,
                "retrying"
            );
        })
        .await
        .map_err(|(error, _)| error)
    }

    /// The answer's body, refused (not retried) when it declares or reaches more than
    /// [`MAX_ANSWER_BYTES`].
    async fn read_body(
        &self,
        response: &mut reqwest::Response,
        method: &str,
        path: &str,
        idempotent: bool,
    ) -> Result<Vec<u8>, Try> {
        let status = response.status();
        let too_large = |reason: String| Try::Failed {
            error: DriverError::InvalidResponse {
                method: method.to_string(),
                path: path.to_string(),
                status: status.as_u16(),
                reason,
            },
            retry: false,
        };
        if let Some(reason) = messages::too_large(response.content_length(), MAX_ANSWER_BYTES) {
            return Err(too_large(reason));
        }
        // Sized once from the announced length (already checked against the cap).
        let announced = response
            .content_length()
            .and_then(|n| usize::try_from(n).ok());
        let mut body = Vec::with_capacity(announced.unwrap_or(0).min(MAX_ANSWER_BYTES));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                        return Err(too_large(format!(
                            "answer larger than {MAX_ANSWER_BYTES} bytes"
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => {
                    let (error, _) = self.transport_error(method, path, &e);
                    return Err(Try::Failed {
                        error,
                        retry: idempotent || status == StatusCode::SERVICE_UNAVAILABLE,
                    });
                }
            }
        }
    }

    async fn try_once(
        &self,
        call: &Call<'_>,
        url: &Url,
        headers: HeaderMap,
        idempotent: bool,
    ) -> Try {
        let method = call.method.to_string();
        let path = url.path().to_string();
        let mut request = self
            .client
            .request(call.method.clone(), url.clone())
            .headers(headers);
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        let start = Instant::now();
        let outcome = request.send().await;
        let mut response = match outcome {
            Ok(r) => r,
            Err(e) => {
                let (error, sent) = self.transport_error(&method, &path, &e);
                tracing::debug!(%method, %path, error = %error, "no answer");
                return Try::Failed {
                    error,
                    retry: idempotent || !sent,
                };
            }
        };
        let status = response.status();
        let body = match self
            .read_body(&mut response, &method, &path, idempotent)
            .await
        {
            Ok(b) => b,
            Err(failed) => return failed,
        };
        tracing::debug!(
            %method,
            %path,
            status = status.as_u16(),
            ms = start.elapsed().as_secs_f64() * 1000.0,
            bytes = body.len(),
            "answer"
        );
        if status.is_success() {
            return Try::Done(Answer {
                method: call.method.clone(),
                path,
                status,
                body,
            });
        }
        let retry = status == StatusCode::SERVICE_UNAVAILABLE
            || (idempotent && matches!(status.as_u16(), 500 | 502 | 504 | 429));
        Try::Failed {
            error: self.status_error(method, path, status, &body),
            retry,
        }
    }

    /// The error for a transport failure, and whether the request may have been sent.
    fn transport_error(&self, method: &str, path: &str, e: &reqwest::Error) -> (DriverError, bool) {
        let error = transport::no_answer(
            method,
            path,
            &self.host,
            self.options.timeout,
            e,
            root_cause,
        );
        // Only a connection that was never made proves the request was not sent.
        (error, !e.is_connect())
    }

    fn status_error(
        &self,
        method: String,
        path: String,
        status: StatusCode,
        body: &[u8],
    ) -> DriverError {
        #[derive(serde::Deserialize)]
        struct ErrorBody {
            error: String,
            #[serde(default)]
            detail: serde_json::Value,
        }
        let parsed = serde_json::from_slice::<ErrorBody>(body).ok();
        let token = self
            .authorization
            .to_str()
            .unwrap_or_default()
            .trim_start_matches("Bearer ")
            .to_string();
        let scrub = |s: &str| messages::shorten(&messages::redact(s, &[&token]));
        let message = parsed
            .as_ref()
            .map(|b| scrub(&b.error))
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_lowercase());
        match status.as_u16() {
            401 | 403 => DriverError::Unauthorized {
                method,
                path,
                status: status.as_u16(),
                credential: self.credential.clone(),
            },
            404 => DriverError::NotFound {
                method,
                path,
                message,
            },
            409 => DriverError::Conflict {
                method,
                path,
                message,
            },
            412 => DriverError::VersionMismatch {
                method,
                path,
                message,
            },
            422 => DriverError::Rejected {
                method,
                path,
                message,
                detail: parsed
                    .filter(|b| !b.detail.is_null())
                    .map(|b| scrub(&b.detail.to_string())),
            },
            s => DriverError::Status {
                method,
                path,
                status: s,
                message,
            },
        }
    }

    async fn get(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<Answer, DriverError> {
        self.send(Call {
            method: Method::GET,
            segments,
            query,
            body: None,
            if_match: None,
            ctx: None,
        })
        .await
    }

    async fn mutate(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<Vec<u8>>,
        if_match: Option<&str>,
        ctx: &OpContext,
    ) -> Result<Answer, DriverError> {
        self.send(Call {
            method,
            segments,
            query: &[],
            body,
            if_match,
            ctx: Some(ctx),
        })
        .await
    }

    /// A mutation answered with the changed object, read as `W` and turned into `T`.
    async fn mutate_into<W: DeserializeOwned, T: From<W>>(
        &self,
        method: Method,
        segments: &[&str],
        body: Vec<u8>,
        if_match: Option<&str>,
        ctx: &OpContext,
    ) -> Result<T, DriverError> {
        let answer = self
            .mutate(method, segments, Some(body), if_match, ctx)
            .await?;
        Ok(answer.json::<W>()?.into())
    }

    /// Deletes the object at `segments` if its version is still `if_match`.
    async fn delete(
        &self,
        segments: &[&str],
        if_match: &str,
        ctx: &OpContext,
    ) -> Result<(), DriverError> {
        self.mutate(Method::DELETE, segments, None, Some(if_match), ctx)
            .await?;
        Ok(())
    }
}

fn encode(value: &impl serde::Serialize) -> Result<Vec<u8>, DriverError> {
    serde_json::to_vec(value)
        .map_err(|e| DriverError::Config(format!("cannot encode a request: {e}")))
}

/// The innermost cause of a transport error, shortened; it carries no URL and
/// no header, unlike the outer layers.
fn root_cause(e: &reqwest::Error) -> String {
    match messages::innermost_cause(e) {
        Some(cause) => messages::shorten(&cause),
        None if e.is_body() || e.is_decode() => "the answer was cut short".into(),
        None => "transport error".into(),
    }
}

/// The model of an export: cameras by id, alert rules by kind.
fn live_of(export: WireExport) -> LiveConfig {
    // Same layout: collected in place.
    let mut cameras: Vec<Camera> = export.cameras.into_iter().map(|c| c.0).collect();
    cameras.sort_by(|a, b| a.id.cmp(&b.id));
    let mut alert_rules: Vec<AlertRule> = export
        .alert_rules
        .into_iter()
        .map(AlertRule::from)
        .collect();
    alert_rules.sort_by_key(|r| r.kind);
    LiveConfig {
        cameras,
        alert_rules,
        settings: export.settings.into(),
    }
}

#[async_trait]
impl Vms for ReferenceDriver {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            deletes_recordings_with_camera: false,
            has_admin_journal: true,
            sends_request_ids: true,
            manages_alerts: true,
            manages_settings: true,
            unmanaged: Vec::new(),
        }
    }

    /// `If-Match` is checked by the server with the write (`412`): see docs/reference-vms-api.md.
    fn conditional_writes(&self) -> bool {
        true
    }

    /// One `GET /api/v1/config`: a consistent snapshot with versions, in one round trip.
    async fn read_live(&self) -> Result<LiveConfig, DriverError> {
        let answer = self.get(&["api", "v1", "config"], &[]).await?;
        let export: WireExport = answer.json()?;
        if export.format != EXPORT_FORMAT {
            return Err(answer.invalid(format!("unknown export format `{}`", export.format)));
        }
        drop(answer);
        Ok(live_of(export))
    }

    /// `GET /api/v1/cameras/{id}/status`; a state this driver does not know reads as unknown.
    async fn camera_status(&self, id: &str) -> Result<CameraStatus, DriverError> {
        #[derive(serde::Deserialize)]
        struct Wire {
            camera_id: String,
            state: String,
            fps: f64,
            recording: bool,
            since: jiff::Timestamp,
        }
        let answer = self
            .get(&["api", "v1", "cameras", id, "status"], &[])
            .await?;
        let w: Wire = answer.json()?;
        if w.camera_id != id {
            return Err(answer.invalid(format!("status of {} instead", w.camera_id)));
        }
        let condition = match w.state.as_str() {
            "connecting" => StreamCondition::Connecting,
            "connected" => StreamCondition::Connected,
            "disconnected" => StreamCondition::Disconnected,
            "disabled" => StreamCondition::Disabled,
            other => {
                return Ok(CameraStatus::unknown(format!(
                    "the VMS reports a stream state vmsops does not know: {}",
                    other.escape_debug()
                )))
            }
        };
        Ok(CameraStatus {
            condition,
            fps: Some(w.fps),
            recording: Some(w.recording),
            since: Some(w.since),
            reason: None,
        })
    }

    /// The limit `GET /api/v1/health` states (`max_import_bytes`); servers that state none have none known.
    async fn import_limit(&self) -> Result<Option<u64>, DriverError> {
        #[derive(serde::Deserialize)]
        struct Health {
            max_import_bytes: Option<u64>,
        }
        let answer = self.get(&["api", "v1", "health"], &[]).await?;
        Ok(answer.json::<Health>()?.max_import_bytes)
    }

    fn config_of_export(
        &self,
        export: &serde_json::Value,
    ) -> Option<Result<LiveConfig, DriverError>> {
        let read = WireExport::deserialize(export)
            .map_err(|e| {
                DriverError::Config(format!(
                    "the snapshot is not a readable {EXPORT_FORMAT} export: {e}"
                ))
            })
            .and_then(|w| {
                if w.format == EXPORT_FORMAT {
                    Ok(live_of(w))
                } else {
                    Err(DriverError::Config(format!(
                        "the snapshot's format is `{}`, not {EXPORT_FORMAT}",
                        w.format
                    )))
                }
            });
        Some(read)
    }

    async fn export(&self) -> Result<serde_json::Value, DriverError> {
        let answer = self.get(&["api", "v1", "config"], &[]).await?;
        let value: serde_json::Value = answer.json()?;
        if value.get("format").and_then(|f| f.as_str()) != Some(EXPORT_FORMAT) {
            return Err(answer.invalid(format!("not a {EXPORT_FORMAT} export")));
        }
        Ok(value)
    }

    async fn import(&self, export: &serde_json::Value, ctx: &OpContext) -> Result<(), DriverError> {
        super::export::check_format(export, EXPORT_FORMAT)?;
        self.mutate(
            Method::PUT,
            &["api", "v1", "config"],
            Some(encode(export)?),
            None,
            ctx,
        )
        .await?;
        Ok(())
    }

    async fn create_camera(&self, camera: &Camera, ctx: &OpContext) -> Result<Camera, DriverError> {
        let body = encode(&CameraOut::from(camera))?;
        self.mutate_into::<WireCamera, _>(Method::POST, &["api", "v1", "cameras"], body, None, ctx)
            .await
    }

    async fn update_camera(
        &self,
        camera: &Camera,
        if_match: &str,
        ctx: &OpContext,
    ) -> Result<Camera, DriverError> {
        let body = encode(&CameraOut::from(camera))?;
        let segments = ["api", "v1", "cameras", &camera.id];
        self.mutate_into::<WireCamera, _>(Method::PUT, &segments, body, Some(if_match), ctx)
            .await
    }

    async fn delete_camera(
        &self,
        id: &str,
        if_match: &str,
        ctx: &OpContext,
    ) -> Result<(), DriverError> {
        self.delete(&["api", "v1", "cameras", id], if_match, ctx)
            .await
    }

    async fn put_alert_rule(
        &self,
        rule: &AlertRule,
        if_match: Option<&str>,
        ctx: &OpContext,
    ) -> Result<AlertRule, DriverError> {
        let body = encode(&AlertRuleOut::from(rule))?;
        let segments = ["api", "v1", "alert-rules", rule.kind.as_str()];
        self.mutate_into::<WireAlertRule, _>(Method::PUT, &segments, body, if_match, ctx)
            .await
    }

    async fn delete_alert_rule(
        &self,
        kind: AlertKind,
        if_match: &str,
        ctx: &OpContext,
    ) -> Result<(), DriverError> {
        self.delete(&["api", "v1", "alert-rules", kind.as_str()], if_match, ctx)
            .await
    }

    async fn update_settings(
        &self,
        settings: &Settings,
        if_match: &str,
        ctx: &OpContext,
    ) -> Result<Settings, DriverError> {
        let body = encode(&SettingsOut {
            session_timeout_minutes: settings.session_timeout_minutes,
        })?;
        let segments = ["api", "v1", "settings"];
        self.mutate_into::<WireSettings, _>(Method::PUT, &segments, body, Some(if_match), ctx)
            .await
    }

    async fn recordings(&self, camera_id: &str) -> Result<Option<Recordings>, DriverError> {
        match self
            .get(&["api", "v1", "cameras", camera_id, "recordings"], &[])
            .await
        {
            Ok(answer) => {
                let r: Recordings = answer.json()?;
                if r.camera_id != camera_id {
                    return Err(answer.invalid(format!("recordings of {} instead", r.camera_id)));
                }
                Ok(Some(r))
            }
            Err(DriverError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn journal_since(&self, cursor: Option<&str>) -> Result<JournalPage, DriverError> {
        let mut since: u64 = match cursor {
            None => 1,
            Some(c) => c.parse().map_err(|_| {
                DriverError::Config(format!("`{c}` is not a reference VMS journal cursor"))
            })?,
        };
        let mut entries = Vec::new();
        loop {
            let query = [
                ("since", since.to_string()),
                ("limit", JOURNAL_PAGE.to_string()),
            ];
            let answer = self.get(&["api", "v1", "journal"], &query).await?;
            let page: WireJournalPage = answer.json()?;
            let Some(last) = page.items.last() else {
                break;
            };
            if last.seq < since || page.next_seq <= last.seq {
                return Err(answer.invalid("journal sequence numbers do not advance"));
            }
            since = page.next_seq;
            entries.extend(page.items);
        }
        Ok(JournalPage {
            entries,
            next_cursor: since.to_string(),
        })
    }

    async fn journal_position(&self) -> Result<Option<String>, DriverError> {
        let answer = self
            .get(&["api", "v1", "journal"], &[("limit", "0".to_string())])
            .await?;
        let page: WireJournalPage = answer.json()?;
        Ok(Some((page.last_seq + 1).to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver(url: &str) -> Result<ReferenceDriver, DriverError> {
        ReferenceDriver::new(
            url,
            Credential::new("s3cret-token".into(), "VMS_TOKEN".into()),
            Options::default(),
        )
    }

    #[test]
    fn urls_keep_a_base_path_and_encode_segments() {
        let d = driver("http://127.0.0.1:8480/vms/").expect("valid");
        let u = d.url(&["api", "v1", "cameras", "a b/c"], &[("limit", "5".into())]);
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:8480/vms/api/v1/cameras/a%20b%2Fc?limit=5"
        );
        assert_eq!(d.host, "127.0.0.1:8480");
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_them() {
        for url in ["ftp://h/", "not a url", "http://user:pw@127.0.0.1/"] {
            let e = driver(url).expect_err("refused").to_string();
            assert!(!e.contains("pw"), "{e}");
        }
    }

    #[test]
    fn debug_never_shows_the_token() {
        let d = driver("http://127.0.0.1:1").expect("valid");
        let shown = format!("{d:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!format!("{:?}", Credential::new("s3cret".into(), "V".into())).contains("s3cret"));
    }

    #[test]
    fn error_answers_become_typed_errors() {
        let d = driver("http://127.0.0.1:1").expect("valid");
        let e = d.status_error(
            "PUT".into(),
            "/api/v1/cameras/a".into(),
            StatusCode::PRECONDITION_FAILED,
            br#"{"error":"camera a is at version 4","detail":{"current_version":4}}"#,
        );
        assert!(matches!(e, DriverError::VersionMismatch { .. }), "{e}");
        let e = d.status_error(
            "GET".into(),
            "/p".into(),
            StatusCode::UNAUTHORIZED,
            b"garbage",
        );
        assert_eq!(
            e.to_string(),
            "GET /p: 401: the VMS refused the credential; check the variable VMS_TOKEN"
        );
        let e = d.status_error(
            "GET".into(),
            "/p".into(),
            StatusCode::BAD_GATEWAY,
            b"<html>",
        );
        assert_eq!(e.to_string(), "GET /p: 502: bad gateway");
    }
}
