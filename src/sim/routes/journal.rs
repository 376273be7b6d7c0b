//! `GET /api/v1/journal?since=SEQ&limit=N`: the administration journal, read-only.
//!
//! Must never change the journal: the journal has no write route.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::cameras::MAX_LIMIT;
use super::extract::Params;
use super::{json_response, App};
use crate::sim::api_error::ApiError;
use crate::sim::journal::page;

/// Query of the journal.
#[derive(Debug, Deserialize)]
pub struct JournalQuery {
    since: Option<u64>,
    limit: Option<usize>,
}

/// Entries with `seq >= since` (from the first when absent), up to `limit` (default and max 1000).
pub async fn get(
    State(app): State<App>,
    Params(q): Params<JournalQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(MAX_LIMIT);
    if limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit must be from 0 to {MAX_LIMIT}"
        )));
    }
    let since = q.since.unwrap_or(1);
    let body = app
        .engine
        .read(|s| serde_json::to_vec(&page(&s.journal, since, limit)))?;
    json_response(StatusCode::OK, body, None)
}
