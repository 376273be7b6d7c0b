//! The HTTP surface of the reference VMS (docs/reference-vms-api.md): routes, bearer
//! authentication, fault latency, request logs and body limits.
//!
//! Handlers only translate HTTP to engine calls and back. Logs name the
//! method, path, status and duration, never a header (the token is one).

pub mod alert_rules;
pub mod cameras;
pub mod config;
pub mod extract;
pub mod journal;
pub mod settings;
pub mod streamed;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::api_error::ApiError;
use super::auth::Tokens;
use super::engine::{Answer, Attempt, Ctx, Engine, Planned, Reply};
use super::store::VmsData;

/// Largest accepted body outside `/api/v1/config`.
pub const MAX_BODY_BYTES: usize = 256 << 10;

/// What every handler shares.
#[derive(Clone)]
pub struct App {
    /// The state and its mutation protocol.
    pub engine: Arc<Engine>,
    /// Accepted bearer tokens.
    pub tokens: Arc<Tokens>,
    /// Injected delay before every request.
    pub latency: Duration,
    /// Largest full import accepted, as `GET /api/v1/health` states it.
    pub max_import_bytes: usize,
}

impl App {
    /// Runs a mutation off the async workers (it fsyncs) and frames its answer.
    pub async fn mutate(
        &self,
        attempt: Attempt,
        plan: impl FnOnce(&VmsData, Ctx) -> Result<Planned, ApiError> + Send + 'static,
    ) -> Response {
        let engine = Arc::clone(&self.engine);
        let answer = tokio::task::spawn_blocking(move || engine.mutate(attempt, plan))
            .await
            .unwrap_or_else(|_| {
                Answer::unjournaled(ApiError::internal("the request handler failed"))
            });
        let mut response = match answer.result {
            Ok(reply) => reply_response(reply),
            Err(e) => e.into_response(),
        };
        if let Some(seq) = answer.seq {
            response
                .headers_mut()
                .insert("x-journal-seq", HeaderValue::from(seq));
        }
        response
    }
}

fn reply_response(reply: Reply) -> Response {
    let mut response = match reply.body {
        Some(body) => (
            reply.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        None => reply.status.into_response(),
    };
    let headers = response.headers_mut();
    if let Some(v) = reply.etag {
        if let Ok(v) = HeaderValue::from_str(&extract::etag(v)) {
            headers.insert(header::ETAG, v);
        }
    }
    if let Some(l) = reply.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, l);
    }
    response
}

/// A JSON answer of a read, with an `ETag` when it is one versioned object.
pub fn json_response(
    status: StatusCode,
    body: Result<Vec<u8>, serde_json::Error>,
    etag: Option<u64>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| ApiError::internal(format!("cannot encode the answer: {e}")))?;
    Ok(reply_response(Reply {
        status,
        body: Some(body),
        etag,
        location: None,
    }))
}

/// The whole API.
pub fn router(app: App) -> Router {
    let authenticated = Router::new()
        .route("/api/v1/cameras", get(cameras::list).post(cameras::create))
        .route(
            "/api/v1/cameras/{id}",
            get(cameras::get)
                .put(cameras::update)
                .delete(cameras::delete),
        )
        .route("/api/v1/cameras/{id}/recordings", get(cameras::recordings))
        .route("/api/v1/cameras/{id}/status", get(cameras::status))
        .route("/api/v1/alert-rules", get(alert_rules::list))
        .route(
            "/api/v1/alert-rules/{kind}",
            get(alert_rules::get)
                .put(alert_rules::put)
                .delete(alert_rules::delete),
        )
        .route("/api/v1/settings", get(settings::get).put(settings::put))
        .route(
            "/api/v1/config",
            // The import counts its own limit as it streams the body into the parser.
            get(config::get).put(config::put),
        )
        .route("/api/v1/journal", get(journal::get))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), authenticate));
    authenticated
        .route("/api/v1/health", get(health))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(app.clone(), delay))
        .layer(middleware::from_fn(log_request))
        .with_state(app)
}

/// Alive, and the largest full import this server takes (so a client can choose how to restore).
async fn health(State(app): State<App>) -> Response {
    axum::Json(serde_json::json!({ "status": "ok", "max_import_bytes": app.max_import_bytes }))
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here")
}

async fn authenticate(State(app): State<App>, mut request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match app.tokens.authenticate(header) {
        Some(user) => {
            tracing::trace!(user = %user.0, "authenticated");
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        None => ApiError::new(StatusCode::UNAUTHORIZED, "missing or unknown bearer token")
            .into_response(),
    }
}

async fn delay(State(app): State<App>, request: Request, next: Next) -> Response {
    if !app.latency.is_zero() {
        tokio::time::sleep(app.latency).await;
    }
    next.run(request).await
}

async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let start = Instant::now();
    let response = next.run(request).await;
    tracing::debug!(
        %method,
        %path,
        status = response.status().as_u16(),
        ms = start.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}
