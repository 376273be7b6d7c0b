//! `/api/v1/alert-rules`: at most one rule per kind, versioned like cameras.
//!
//! `PUT` without `If-Match` creates a missing rule and answers 412 if the rule
//! exists (the client's implicit precondition, "it does not exist yet", fails).
//!
//! Must never hold two rules of one kind.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::extract::{self, require_version, Caller, Id, IfMatch, Submission};
use super::{json_response, App};
use crate::model::AlertKind;
use crate::sim::api_error::ApiError;
use crate::sim::engine::{Planned, Reply};
use crate::sim::model::{AlertRule, AlertRuleBody};
use crate::sim::store::Change;
use crate::sim::validate::Problems;

fn kind_of(text: &str) -> Option<AlertKind> {
    serde_json::from_value(serde_json::Value::String(text.to_string())).ok()
}

fn not_found(kind: &str) -> ApiError {
    ApiError::not_found(format!("no alert rule of kind {kind}"))
}

/// `GET /api/v1/alert-rules`: `{"items": [...]}`, by kind.
pub async fn list(State(app): State<App>) -> Result<Response, ApiError> {
    let body = app.engine.read(|s| {
        let items: Vec<&AlertRule> = s.alert_rules.values().collect();
        serde_json::to_vec(&serde_json::json!({ "items": items }))
    })?;
    json_response(StatusCode::OK, body, None)
}

/// `GET /api/v1/alert-rules/{kind}`.
pub async fn get(State(app): State<App>, Id(kind): Id) -> Result<Response, ApiError> {
    let k = kind_of(&kind).ok_or_else(|| not_found(&kind))?;
    let found = app.engine.read(|s| {
        s.alert_rules
            .get(&k)
            .map(|r| (serde_json::to_vec(r), r.version))
    })?;
    let (body, version) = found.ok_or_else(|| not_found(&kind))?;
    json_response(StatusCode::OK, body, Some(version))
}

/// `PUT /api/v1/alert-rules/{kind}`: create (no `If-Match`, 201) or update (200).
pub async fn put(
    State(app): State<App>,
    caller: Caller,
    Id(kind): Id,
    Submission { if_match, body }: Submission,
) -> Response {
    let action = match &if_match {
        Ok(None) => "alert.create",
        _ => "alert.update",
    };
    let attempt = caller.attempt(action, kind.clone());
    app.mutate(attempt, move |data, ctx| {
        let k = kind_of(&kind).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "unknown alert kind `{kind}` (signal_loss, disk_full or temperature)"
            ))
        })?;
        let body: AlertRuleBody = extract::json(&body?)?;
        let mut problems = Problems::default();
        if body.kind.is_some_and(|b| b != k) {
            problems.add("kind", format!("differs from the path ({kind})"));
        }
        problems.alert_rule("", &body);
        problems.check("invalid alert rule")?;
        let status = match (data.alert_rules.get(&k), if_match?) {
            (None, None) => StatusCode::CREATED,
            (None, Some(_)) => return Err(not_found(&kind)),
            (Some(cur), None) => {
                return Err(ApiError::version_mismatch(
                    &format!("alert rule {kind} exists and"),
                    cur.version,
                ))
            }
            (Some(cur), Some(m)) => {
                require_version(&format!("alert rule {kind}"), Some(&m), cur.version)?;
                StatusCode::OK
            }
        };
        let rule = body.into_rule(k, ctx.version);
        let mut reply = Reply::json(status, &rule)?.with_etag(ctx.version);
        if status == StatusCode::CREATED {
            reply = reply.with_location(format!("/api/v1/alert-rules/{kind}"));
        }
        Ok(Planned {
            changes: vec![Change::PutAlertRule(rule)],
            reply,
        })
    })
    .await
}

/// `DELETE /api/v1/alert-rules/{kind}`: needs `If-Match`; 204.
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    Id(kind): Id,
    headers: HeaderMap,
) -> Response {
    let if_match = IfMatch::from_headers(&headers);
    let attempt = caller.attempt("alert.delete", kind.clone());
    app.mutate(attempt, move |data, _| {
        let k = kind_of(&kind).ok_or_else(|| not_found(&kind))?;
        extract::existing(
            data.alert_rules.get(&k),
            || not_found(&kind),
            &format!("alert rule {kind}"),
            if_match,
        )?;
        Ok(Planned {
            changes: vec![Change::DeleteAlertRule(k)],
            reply: Reply::no_content(),
        })
    })
    .await
}
