//! The HTTP transport every driver shares: timeouts, retries, an extra CA,
//! the check of the VMS base URL and the errors of a request that got no answer.
//!
//! Must never put a URL's query, user info or a header into an error: those
//! carry credentials. Product-specific requests and answers belong to the drivers.

use std::time::Duration;

use url::Url;

use super::DriverError;

/// Transport settings of a driver.
#[derive(Debug, Clone)]
pub struct Options {
    /// Longest wait for one answer.
    pub timeout: Duration,
    /// Longest wait to establish a connection.
    pub connect_timeout: Duration,
    /// Tries per request when retrying is safe.
    pub attempts: u32,
    /// First backoff delay; doubled at each retry, with jitter.
    pub backoff: Duration,
    /// Extra CA certificate (PEM).
    pub ca_cert_pem: Option<Vec<u8>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(200),
            ca_cert_pem: None,
        }
    }
}

/// One client for all of a driver's requests: timeouts, no redirects (a redirect
/// could carry credentials elsewhere), and the extra CA when given.
pub fn http_client(options: &Options) -> Result<reqwest::Client, DriverError> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .user_agent(concat!("vmsops/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pem) = &options.ca_cert_pem {
        // A PEM without any certificate would otherwise be accepted silently.
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| DriverError::Config("vms.ca_cert holds no PEM certificate".into()))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| DriverError::Config(format!("cannot set up HTTP: {}", e.without_url())))
}

/// The VMS base URL checked (http or https, a host, no credentials in it — `instead`
/// says where credentials go), and its `host:port` for messages.
pub fn base_url(url: &str, instead: &str) -> Result<(Url, String), DriverError> {
    let base =
        Url::parse(url).map_err(|e| DriverError::Config(format!("vms.url is not a URL: {e}")))?;
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        return Err(DriverError::Config(
            "vms.url must be an http or https URL".into(),
        ));
    }
    if !base.username().is_empty() || base.password().is_some() {
        return Err(DriverError::Config(format!(
            "vms.url must not carry a user or password; use {instead}"
        )));
    }
    let host = match (base.host_str(), base.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => return Err(DriverError::Config("vms.url has no host".into())),
    };
    Ok((base, host))
}

/// The error for a request that got no complete answer, naming `method` and
/// `path` only; `cause` says what went wrong in words that carry no request data.
pub fn no_answer(
    method: &str,
    path: &str,
    host: &str,
    timeout: Duration,
    e: &reqwest::Error,
    cause: impl Fn(&reqwest::Error) -> String,
) -> DriverError {
    // Connect failures first: a connect timeout is "unreachable", not a slow answer.
    if e.is_connect() {
        return DriverError::Unreachable {
            method: method.into(),
            path: path.into(),
            host: host.into(),
            reason: cause(e),
        };
    }
    if e.is_timeout() {
        return DriverError::Timeout {
            method: method.into(),
            path: path.into(),
            after: timeout,
        };
    }
    DriverError::Connection {
        method: method.into(),
        path: path.into(),
        reason: cause(e),
    }
}
