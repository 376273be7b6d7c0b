//! `/api/v1/cameras`: list (paginated), read, create, update, delete, recordings.
//!
//! Must never delete a camera's recordings: they outlive the camera.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::extract::{self, Caller, Id, IfMatch, Params, Submission};
use super::{json_response, App};
use crate::sim::api_error::ApiError;
use crate::sim::engine::{Ctx, Planned, Reply};
use crate::sim::model::{Camera, CameraBody};
use crate::sim::store::VmsData;
use crate::sim::validate::Problems;

/// Page size when `limit` is not given.
const DEFAULT_LIMIT: usize = 100;
/// Largest page.
pub const MAX_LIMIT: usize = 1000;

/// Query of the camera list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Serialize)]
struct ListPage<'a> {
    items: Vec<&'a Camera>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
}

/// The cursor is the hex of the last id served: opaque to clients, stable across restarts.
fn encode_cursor(id: &str) -> String {
    id.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_cursor(cursor: &str) -> Option<String> {
    if !cursor.len().is_multiple_of(2) || !cursor.is_ascii() {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// `GET /api/v1/cameras?limit=N&cursor=C`.
pub async fn list(
    State(app): State<App>,
    Params(q): Params<ListQuery>,
) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be from 1 to {MAX_LIMIT}"
        )));
    }
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| ApiError::bad_request("invalid cursor"))?),
    };
    let body = app.engine.read(|s| {
        let mut items: Vec<&Camera> = match &after {
            None => s.cameras.values().take(limit + 1).collect(),
            Some(a) => s
                .cameras
                .range::<str, _>((
                    std::ops::Bound::Excluded(a.as_str()),
                    std::ops::Bound::Unbounded,
                ))
                .map(|(_, c)| c)
                .take(limit + 1)
                .collect(),
        };
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|c| encode_cursor(&c.id))
        } else {
            None
        };
        serde_json::to_vec(&ListPage { items, next_cursor })
    })?;
    json_response(StatusCode::OK, body, None)
}

/// `GET /api/v1/cameras/{id}`.
pub async fn get(State(app): State<App>, Id(id): Id) -> Result<Response, ApiError> {
    let found = app.engine.read(|s| {
        s.cameras
            .get(&id)
            .map(|c| (serde_json::to_vec(c), c.version))
    })?;
    match found {
        Some((body, version)) => json_response(StatusCode::OK, body, Some(version)),
        None => Err(not_found(&id)),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("camera {id} not found"))
}

fn parse_camera(bytes: &[u8], path_id: Option<&str>) -> Result<(String, CameraBody), ApiError> {
    let body: CameraBody = extract::json(bytes)?;
    let mut problems = Problems::default();
    let id = match (path_id, &body.id) {
        (Some(p), Some(b)) if p != b => {
            problems.add("id", format!("differs from the path ({p})"));
            p.to_string()
        }
        (Some(p), _) => p.to_string(),
        (None, Some(b)) => {
            problems.camera_id("", b);
            b.clone()
        }
        (None, None) => {
            problems.add("id", "is required");
            String::new()
        }
    };
    problems.camera("", &body);
    problems.check("invalid camera")?;
    Ok((id, body))
}

/// Writes `camera` with its recording span and answers `status` with it; a
/// created camera's answer also says where it lives.
fn put_camera(
    data: &VmsData,
    ctx: Ctx,
    camera: Camera,
    status: StatusCode,
) -> Result<Planned, ApiError> {
    let mut reply = Reply::json(status, &camera)?.with_etag(ctx.version);
    if status == StatusCode::CREATED {
        reply = reply.with_location(format!("/api/v1/cameras/{}", camera.id));
    }
    Ok(Planned {
        changes: data.put_camera(camera, ctx.now).into(),
        reply,
    })
}

/// `POST /api/v1/cameras`: 201, or 409 if the id exists.
pub async fn create(
    State(app): State<App>,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = extract::body(body);
    let target = body
        .as_ref()
        .ok()
        .and_then(|b| extract::peek_id(b))
        .unwrap_or_default();
    let attempt = caller.attempt("camera.create", target);
    app.mutate(attempt, move |data, ctx| {
        let (id, body) = parse_camera(&body?, None)?;
        if data.cameras.contains_key(&id) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("camera {id} already exists"),
            ));
        }
        let camera = body.into_camera(id, ctx.version);
        put_camera(data, ctx, camera, StatusCode::CREATED)
    })
    .await
}

/// `PUT /api/v1/cameras/{id}`: needs `If-Match`; vendor, model and firmware are read-only.
pub async fn update(
    State(app): State<App>,
    caller: Caller,
    Id(id): Id,
    Submission { if_match, body }: Submission,
) -> Response {
    let attempt = caller.attempt("camera.update", id.clone());
    app.mutate(attempt, move |data, ctx| {
        let (id, body) = parse_camera(&body?, Some(&id))?;
        let current = extract::existing(
            data.cameras.get(&id),
            || not_found(&id),
            &format!("camera {id}"),
            if_match,
        )?;
        let mut problems = Problems::default();
        for (field, old, new) in [
            ("vendor", &current.vendor, &body.vendor),
            ("model", &current.model, &body.model),
            ("firmware", &current.firmware, &body.firmware),
        ] {
            if old != new {
                problems.add(
                    field,
                    format!("is read-only after creation (`{old}`, not `{new}`)"),
                );
            }
        }
        problems.check("vendor, model and firmware cannot be changed")?;
        let camera = body.into_camera(id, ctx.version);
        put_camera(data, ctx, camera, StatusCode::OK)
    })
    .await
}

/// `DELETE /api/v1/cameras/{id}`: needs `If-Match`; 204; recordings are kept.
pub async fn delete(
    State(app): State<App>,
    caller: Caller,
    Id(id): Id,
    headers: HeaderMap,
) -> Response {
    let if_match = IfMatch::from_headers(&headers);
    let attempt = caller.attempt("camera.delete", id.clone());
    app.mutate(attempt, move |data, ctx| {
        extract::existing(
            data.cameras.get(&id),
            || not_found(&id),
            &format!("camera {id}"),
            if_match,
        )?;
        Ok(Planned {
            changes: data.delete_camera(&id, ctx.now).into(),
            reply: Reply::no_content(),
        })
    })
    .await
}

/// `GET /api/v1/cameras/{id}/recordings`, also for a deleted camera.
pub async fn recordings(State(app): State<App>, Id(id): Id) -> Result<Response, ApiError> {
    let now = jiff::Timestamp::now();
    let view = app
        .engine
        .read(|s| s.recordings.get(&id).map(|span| span.view(&id, now)))?
        .ok_or_else(|| ApiError::not_found(format!("no recordings for camera {id}")))?;
    json_response(StatusCode::OK, serde_json::to_vec(&view), None)
}

/// `GET /api/v1/cameras/{id}/status`: the stream as the VMS sees it now.
pub async fn status(State(app): State<App>, Id(id): Id) -> Result<Response, ApiError> {
    let (now, utc) = (std::time::Instant::now(), jiff::Timestamp::now());
    let status = app
        .engine
        .read(|s| {
            s.cameras
                .get(&id)
                .map(|c| app.engine.streams.status(c, now, utc))
        })?
        .ok_or_else(|| ApiError::not_found(format!("no camera {id}")))?;
    json_response(StatusCode::OK, serde_json::to_vec(&status), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        for id in ["a", "hall-01", "cam-09999"] {
            assert_eq!(decode_cursor(&encode_cursor(id)).as_deref(), Some(id));
        }
        for bad in ["zz", "abc", "é1", "ff"] {
            assert_eq!(decode_cursor(bad), None, "{bad}");
        }
    }
}
