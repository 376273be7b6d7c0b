//! `/api/v1/settings`: the VMS-wide settings, one versioned object.
//!
//! Must never change the settings without a matching `If-Match`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::extract::{self, require_version, Caller, Submission};
use super::{json_response, App};
use crate::sim::api_error::ApiError;
use crate::sim::engine::{Planned, Reply};
use crate::sim::model::SettingsBody;
use crate::sim::store::Change;
use crate::sim::validate::Problems;

/// `GET /api/v1/settings`.
pub async fn get(State(app): State<App>) -> Result<Response, ApiError> {
    let (body, version) = app
        .engine
        .read(|s| (serde_json::to_vec(&s.settings), s.settings.version))?;
    json_response(StatusCode::OK, body, Some(version))
}

/// `PUT /api/v1/settings`: needs `If-Match`.
pub async fn put(
    State(app): State<App>,
    caller: Caller,
    Submission { if_match, body }: Submission,
) -> Response {
    let attempt = caller.attempt("settings.update", "settings".into());
    app.mutate(attempt, move |data, ctx| {
        let body: SettingsBody = extract::json(&body?)?;
        let mut problems = Problems::default();
        problems.settings("", &body);
        problems.check("invalid settings")?;
        require_version("the settings", if_match?.as_ref(), data.settings.version)?;
        let settings = body.into_settings(ctx.version);
        Ok(Planned {
            reply: Reply::json(StatusCode::OK, &settings)?.with_etag(ctx.version),
            changes: vec![Change::PutSettings(settings)],
        })
    })
    .await
}
