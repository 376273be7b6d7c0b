//! The HTTP transport every driver shares: timeouts, retries, an extra CA.

use std::time::Duration;

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
