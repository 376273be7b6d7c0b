//! `/api/v1/config`: the full export and the full import (restore).
//!
//! An import replaces cameras, alert rules and settings, gives every imported
//! object a new version, and never touches recordings: cameras it removes keep
//! theirs, as with `DELETE`. The export's `ETag` is the state's revision; an
//! import with `If-Match` applies only if nothing changed since that export.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use jiff::Timestamp;
use serde::Serialize;

use super::extract::{Caller, IfMatch};
use super::streamed;
use super::{json_response, App};
use crate::sim::api_error::ApiError;
use crate::sim::engine::{Ctx, Planned, Reply};
use crate::sim::model::{AlertRule, Camera, ConfigBody, Settings, EXPORT_FORMAT};
use crate::sim::store::{Change, VmsData};
use crate::sim::validate::Problems;

#[derive(Serialize)]
struct Export<'a> {
    format: &'static str,
    exported_at: Timestamp,
    cameras: Vec<&'a Camera>,
    alert_rules: Vec<&'a AlertRule>,
    settings: &'a Settings,
}

fn export(s: &VmsData) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&Export {
        format: EXPORT_FORMAT,
        exported_at: Timestamp::now(),
        cameras: s.cameras.values().collect(),
        alert_rules: s.alert_rules.values().collect(),
        settings: &s.settings,
    })
}

/// `GET /api/v1/config`.
pub async fn get(State(app): State<App>) -> Result<Response, ApiError> {
    let (body, revision) = app.engine.read(|s| (export(s), s.revision))?;
    json_response(StatusCode::OK, body, Some(revision))
}

/// `PUT /api/v1/config`: 200 with the new export.
pub async fn put(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let if_match = IfMatch::from_headers(&headers);
    // Parsed as it arrives, up to the import limit; a failure is still journaled below.
    let parsed = streamed::json::<ConfigBody>(body, app.max_import_bytes).await;
    let attempt = caller.attempt("config.import", "config".into());
    app.mutate(attempt, move |data, ctx| {
        let body = parsed?;
        problems_of(&body).check("invalid configuration")?;
        // Optional: without If-Match an import replaces whatever is there.
        if let Some(m) = if_match? {
            if !m.admits(data.revision) {
                return Err(ApiError::version_mismatch(
                    "the configuration",
                    data.revision,
                ));
            }
        }
        plan_import(data, ctx, body)
    })
    .await
}

/// Every problem of an import: its format, each camera (ids required and
/// unique), each alert rule (kinds required and unique) and the settings.
fn problems_of(body: &ConfigBody) -> Problems {
    let mut problems = Problems::default();
    if body.format != EXPORT_FORMAT {
        problems.add("format", format!("must be {EXPORT_FORMAT}"));
    }
    let mut ids = BTreeSet::new();
    for (i, c) in body.cameras.iter().enumerate() {
        let prefix = format!("cameras[{i}]");
        match &c.id {
            Some(id) => {
                problems.camera_id(&prefix, id);
                if !ids.insert(id) {
                    problems.add(&format!("{prefix}.id"), format!("duplicate id {id}"));
                }
            }
            None => problems.add(&format!("{prefix}.id"), "is required"),
        }
        problems.camera(&prefix, c);
    }
    let mut kinds = BTreeSet::new();
    for (i, r) in body.alert_rules.iter().enumerate() {
        let prefix = format!("alert_rules[{i}]");
        match r.kind {
            Some(k) if !kinds.insert(k) => problems.add(
                &format!("{prefix}.kind"),
                format!("duplicate kind {}", k.as_str()),
            ),
            Some(_) => {}
            None => problems.add(&format!("{prefix}.kind"), "is required"),
        }
        problems.alert_rule(&prefix, r);
    }
    problems.settings("settings", &body.settings);
    problems
}

/// The changes of a valid import and its answer: what the import leaves out is
/// deleted, what it brings is written at the new version.
fn plan_import(data: &VmsData, ctx: Ctx, body: ConfigBody) -> Result<Planned, ApiError> {
    // Valid, so every camera has an id and every rule a kind.
    let ids: BTreeSet<String> = body.cameras.iter().filter_map(|c| c.id.clone()).collect();
    let kinds: BTreeSet<_> = body.alert_rules.iter().filter_map(|r| r.kind).collect();
    let mut changes = Vec::new();
    for id in data.cameras.keys().filter(|id| !ids.contains(*id)) {
        changes.extend(data.delete_camera(id, ctx.now));
    }
    for k in data.alert_rules.keys().filter(|k| !kinds.contains(*k)) {
        changes.push(Change::DeleteAlertRule(*k));
    }
    let cameras: Vec<Camera> = body
        .cameras
        .into_iter()
        .map(|c| {
            let id = c.id.clone().unwrap_or_default();
            c.into_camera(id, ctx.version)
        })
        .collect();
    let rules: Vec<AlertRule> = body
        .alert_rules
        .into_iter()
        .filter_map(|r| {
            let kind = r.kind?;
            Some(r.into_rule(kind, ctx.version))
        })
        .collect();
    let settings = body.settings.into_settings(ctx.version);
    let mut sorted_cameras: Vec<&Camera> = cameras.iter().collect();
    sorted_cameras.sort_by(|a, b| a.id.cmp(&b.id));
    let mut sorted_rules: Vec<&AlertRule> = rules.iter().collect();
    sorted_rules.sort_by_key(|r| r.kind);
    let reply = Reply::json(
        StatusCode::OK,
        &Export {
            format: EXPORT_FORMAT,
            exported_at: ctx.now,
            cameras: sorted_cameras,
            alert_rules: sorted_rules,
            settings: &settings,
        },
    )?
    .with_etag(ctx.version);
    for c in cameras {
        changes.extend(data.put_camera(c, ctx.now));
    }
    changes.extend(rules.into_iter().map(Change::PutAlertRule));
    changes.push(Change::PutSettings(settings));
    Ok(Planned { changes, reply })
}
