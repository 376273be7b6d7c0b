//! Why a driver call failed, in words that name the request but never a secret.
//!
//! Every message names the HTTP method and the URL path (never the query
//! string, the host's user info or a header), so a token can never leak
//! through an error, whatever the transport library would have printed.

use std::time::Duration;

/// A failed driver call.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The VMS could not be reached: connection refused, DNS or TLS failure.
    #[error("{method} {path}: cannot reach the VMS at {host}: {reason}")]
    Unreachable {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// `host:port` of the VMS.
        host: String,
        /// The transport's reason, without any request data.
        reason: String,
    },
    /// The connection broke after it was established (reset, closed early).
    #[error("{method} {path}: connection to the VMS failed: {reason}")]
    Connection {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// The transport's reason, without any request data.
        reason: String,
    },
    /// No answer in time.
    #[error("{method} {path}: no answer from the VMS within {}s", after.as_secs_f64())]
    Timeout {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// The request timeout in force.
        after: Duration,
    },
    /// 401 or 403: the credential was refused.
    #[error("{method} {path}: {status}: the VMS refused the credential; check the variable {credential}")]
    Unauthorized {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// 401 or 403.
        status: u16,
        /// Name of the variable holding the credential (never its value).
        credential: String,
    },
    /// 404: the object does not exist.
    #[error("{method} {path}: 404 not found: {message}")]
    NotFound {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// The server's `error` message.
        message: String,
    },
    /// 409: the object already exists.
    #[error("{method} {path}: 409 conflict: {message}")]
    Conflict {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// The server's `error` message.
        message: String,
    },
    /// 412: the object changed since it was read.
    #[error(
        "{method} {path}: 412 version mismatch: {message}; someone changed it meanwhile: re-plan"
    )]
    VersionMismatch {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// The server's `error` message.
        message: String,
    },
    /// 422: the VMS refused the content.
    #[error("{method} {path}: 422 rejected: {message}{}", detail_suffix(detail))]
    Rejected {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// The server's `error` message.
        message: String,
        /// The server's `detail`, as compact JSON, if any.
        detail: Option<String>,
    },
    /// Any other non-success status.
    #[error("{method} {path}: {status}: {message}")]
    Status {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// HTTP status code.
        status: u16,
        /// The server's `error` message, or the status's reason phrase.
        message: String,
    },
    /// The answer could not be read or did not have the expected shape.
    #[error("{method} {path}: {status}: invalid answer from the VMS: {reason}")]
    InvalidResponse {
        /// HTTP method.
        method: String,
        /// URL path.
        path: String,
        /// HTTP status code of the answer.
        status: u16,
        /// What was wrong with it.
        reason: String,
    },
    /// The variable that should hold a credential is unset or empty.
    #[error("the environment variable {variable} (named by vms.{field}) is unset or empty")]
    MissingCredential {
        /// The variable's name.
        variable: String,
        /// The site field that names it, e.g. `token_env`.
        field: &'static str,
    },
    /// The site's VMS connection cannot be used by this driver.
    #[error("invalid VMS connection: {0}")]
    Config(String),
}

fn detail_suffix(detail: &Option<String>) -> String {
    match detail {
        Some(d) => format!(" ({d})"),
        None => String::new(),
    }
}

impl DriverError {
    /// True if and only if trying the same request again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            DriverError::Unreachable { .. }
            | DriverError::Connection { .. }
            | DriverError::Timeout { .. } => true,
            DriverError::Status { status, .. } => matches!(status, 429 | 500 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// The HTTP status of the answer, if the VMS answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            DriverError::Unauthorized { status, .. }
            | DriverError::Status { status, .. }
            | DriverError::InvalidResponse { status, .. } => Some(*status),
            DriverError::NotFound { .. } => Some(404),
            DriverError::Conflict { .. } => Some(409),
            DriverError::VersionMismatch { .. } => Some(412),
            DriverError::Rejected { .. } => Some(422),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> DriverError {
        DriverError::Status {
            method: "PUT".into(),
            path: "/api/v1/cameras/a".into(),
            status,
            message: "boom".into(),
        }
    }

    #[test]
    fn retryable_only_for_transient_failures() {
        assert!(status(503).is_retryable());
        assert!(status(500).is_retryable());
        assert!(!status(400).is_retryable());
        assert!(!DriverError::VersionMismatch {
            method: "PUT".into(),
            path: "/p".into(),
            message: "m".into()
        }
        .is_retryable());
        assert!(DriverError::Timeout {
            method: "GET".into(),
            path: "/p".into(),
            after: Duration::from_secs(1)
        }
        .is_retryable());
    }

    #[test]
    fn messages_name_method_path_status_and_the_variable() {
        let e = DriverError::Unauthorized {
            method: "GET".into(),
            path: "/api/v1/config".into(),
            status: 401,
            credential: "VMSOPS_TOKEN".into(),
        };
        assert_eq!(
            e.to_string(),
            "GET /api/v1/config: 401: the VMS refused the credential; check the variable VMSOPS_TOKEN"
        );
        assert_eq!(status(500).to_string(), "PUT /api/v1/cameras/a: 500: boom");
        let r = DriverError::Rejected {
            method: "POST".into(),
            path: "/api/v1/cameras".into(),
            message: "invalid camera".into(),
            detail: Some("[\"fps\"]".into()),
        };
        assert_eq!(
            r.to_string(),
            "POST /api/v1/cameras: 422 rejected: invalid camera ([\"fps\"])"
        );
    }
}
