//! Reading requests: caller, path, query, JSON bodies and `If-Match`, with
//! every rejection turned into the API's JSON error (never a panic, never
//! a plain-text answer).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::sim::api_error::ApiError;
use crate::sim::auth::User;
use crate::sim::engine::Attempt;
use crate::sim::model::Versioned;

/// Longest `X-Request-Id` / `X-On-Behalf-Of` kept in the journal.
const MAX_HEADER_CHARS: usize = 256;

/// Who sent a request and on whose behalf.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The authenticated user.
    pub user: String,
    /// `X-Request-Id`.
    pub request_id: Option<String>,
    /// `X-On-Behalf-Of`.
    pub on_behalf_of: Option<String>,
}

impl Caller {
    /// The journal's view of this caller attempting `action` on `target`.
    pub fn attempt(self, action: &'static str, target: String) -> Attempt {
        Attempt {
            user: self.user,
            request_id: self.request_id,
            on_behalf_of: self.on_behalf_of,
            action,
            target,
        }
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    // UTF-8, not just visible ASCII: operators have accented names.
    let v = std::str::from_utf8(headers.get(name)?.as_bytes())
        .ok()?
        .trim();
    (!v.is_empty()).then(|| v.chars().take(MAX_HEADER_CHARS).collect())
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let user = parts
            .extensions
            .get::<User>()
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "not authenticated"))?;
        Ok(Caller {
            user: user.0.clone(),
            request_id: header_text(&parts.headers, "x-request-id"),
            on_behalf_of: header_text(&parts.headers, "x-on-behalf-of"),
        })
    }
}

/// The single `{id}` / `{kind}` path parameter.
#[derive(Debug, Clone)]
pub struct Id(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Id(id))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// Query parameters.
#[derive(Debug, Clone)]
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Params(q))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// What a mutating request brings besides its caller and path: its `If-Match`
/// header and its body, both still unchecked. Neither is rejected here: a
/// malformed one must fail inside the mutation, so that the attempt is journaled.
#[derive(Debug)]
pub struct Submission {
    /// The parsed `If-Match` header, or why it is malformed (400).
    pub if_match: Result<Option<IfMatch>, ApiError>,
    /// The body, or why it could not be read (413 past the size limit).
    pub body: Result<Bytes, ApiError>,
}

impl<S: Send + Sync> FromRequest<S> for Submission {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let if_match = IfMatch::from_headers(request.headers());
        let body = body(Bytes::from_request(request, state).await);
        Ok(Submission { if_match, body })
    }
}

/// The body, or why it could not be read (413 past the size limit).
pub fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(status, "request body too large")
        } else {
            ApiError::new(status, e.body_text())
        }
    })
}

/// Parses a JSON body: 400 if it is not JSON, 422 if it has the wrong shape.
pub fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    parse(serde_json::Deserializer::from_slice(bytes))
}

/// [`json`] over a reader (a body parsed as it arrives).
pub fn json_from_reader<T: DeserializeOwned>(r: impl std::io::Read) -> Result<T, ApiError> {
    parse(serde_json::Deserializer::from_reader(r))
}

fn parse<'de, R: serde_json::de::Read<'de>, T: DeserializeOwned>(
    mut de: serde_json::Deserializer<R>,
) -> Result<T, ApiError> {
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::unprocessable(format!(
                "invalid body at `{path}`: {inner}"
            ))
            .with_detail(serde_json::json!([{ "field": path, "message": inner.to_string() }])),
            _ => ApiError::bad_request(format!("malformed JSON: {inner}")),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value)
}

/// The `id` a camera body claims, for the journal, when the body is JSON at all.
pub fn peek_id(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: String,
    }
    serde_json::from_slice::<IdOnly>(bytes).ok().map(|i| i.id)
}

/// A parsed `If-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version.
    Any,
    /// Strong entity tags; weak ones never match (RFC 9110 strong comparison).
    Tags(Vec<String>),
}

impl IfMatch {
    /// The header, if present; 400 if it is not a list of entity tags.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<IfMatch>, ApiError> {
        let Some(raw) = headers.get(axum::http::header::IF_MATCH) else {
            return Ok(None);
        };
        let bad = || ApiError::bad_request("If-Match must be \"VERSION\" (quoted) or *");
        let text = raw.to_str().map_err(|_| bad())?.trim();
        if text == "*" {
            return Ok(Some(IfMatch::Any));
        }
        let mut tags = Vec::new();
        for part in text.split(',').map(str::trim) {
            if let Some(weak) = part.strip_prefix("W/") {
                if !(weak.len() >= 2 && weak.starts_with('"') && weak.ends_with('"')) {
                    return Err(bad());
                }
            } else if part.len() >= 2 && part.starts_with('"') && part.ends_with('"') {
                tags.push(part[1..part.len() - 1].to_string());
            } else if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                // Lenient: a bare number is what a hand-written curl usually sends.
                tags.push(part.to_string());
            } else {
                return Err(bad());
            }
        }
        Ok(Some(IfMatch::Tags(tags)))
    }

    /// True if and only if the header admits `version`.
    pub fn admits(&self, version: u64) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::Tags(tags) => tags.iter().any(|t| t.parse() == Ok(version)),
        }
    }
}

/// 428 when `If-Match` is missing, 412 when it names another version.
pub fn require_version(
    what: &str,
    if_match: Option<&IfMatch>,
    current: u64,
) -> Result<(), ApiError> {
    match if_match {
        None => Err(ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            format!("changing {what} needs If-Match: \"VERSION\" (from its last GET)"),
        )),
        Some(m) if m.admits(current) => Ok(()),
        Some(_) => Err(ApiError::version_mismatch(what, current)),
    }
}

/// The existing object a change applies to, once its preconditions hold, in
/// the API's order: 404 if it is missing (`missing` says how), 400 if
/// `If-Match` is malformed, then 428/412 as [`require_version`] decides.
pub fn existing<'s, T: Versioned>(
    found: Option<&'s T>,
    missing: impl FnOnce() -> ApiError,
    what: &str,
    if_match: Result<Option<IfMatch>, ApiError>,
) -> Result<&'s T, ApiError> {
    let current = found.ok_or_else(missing)?;
    require_version(what, if_match?.as_ref(), current.version())?;
    Ok(current)
}

/// `"N"`, the `ETag` of version N.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn parse(v: &str) -> Result<Option<IfMatch>, ApiError> {
        let mut h = HeaderMap::new();
        h.insert("if-match", HeaderValue::from_str(v).expect("header"));
        IfMatch::from_headers(&h)
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(parse("*").ok().flatten(), Some(IfMatch::Any));
        let m = parse("\"3\", \"7\"").ok().flatten().expect("tags");
        assert!(m.admits(3) && m.admits(7) && !m.admits(4));
        assert!(parse("12").ok().flatten().expect("bare").admits(12));
        assert!(!parse("W/\"3\"").ok().flatten().expect("weak").admits(3));
        assert!(!parse("\"abc\"").ok().flatten().expect("opaque").admits(0));
        for bad in ["abc", "\"3", "W/3", ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(IfMatch::from_headers(&HeaderMap::new()).ok(), Some(None));
    }

    #[test]
    fn missing_is_428_and_stale_is_412() {
        let stale = IfMatch::Tags(vec!["1".into()]);
        assert_eq!(
            require_version("camera a", None, 2)
                .expect_err("missing")
                .status,
            StatusCode::PRECONDITION_REQUIRED
        );
        assert_eq!(
            require_version("camera a", Some(&stale), 2)
                .expect_err("stale")
                .status,
            StatusCode::PRECONDITION_FAILED
        );
        assert!(require_version("camera a", Some(&IfMatch::Any), 2).is_ok());
    }

    #[test]
    fn json_errors_are_400_or_422() {
        #[derive(serde::Deserialize, Debug)]
        struct T {
            n: u32,
        }
        assert_eq!(
            json::<T>(b"{").expect_err("eof").status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            json::<T>(b"{\"n\": 1}x").expect_err("syntax").status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            json::<T>(b"").expect_err("empty").status,
            StatusCode::BAD_REQUEST
        );
        let e = json::<T>(b"{\"n\": \"x\"}").expect_err("type");
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.message.contains("`n`"), "{}", e.message);
        assert_eq!(json::<T>(b"{\"n\": 1} ").expect("ok").n, 1);
    }
}
