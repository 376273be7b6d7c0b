//! The driver interface: how vmsops reads and changes one VMS product.
//!
//! [`Vms`] is product-neutral; each product has one implementation (today
//! [`reference::ReferenceDriver`], for the API of docs/reference-vms-api.md, and
//! [`zoneminder::ZoneMinderDriver`]). Callers get
//! a boxed driver from [`connect`], which picks the driver named by the site
//! and reads the credential from the environment. Drivers never print and never
//! put a credential in an error, a log line or a return value.

pub mod error;
pub mod export;
pub mod messages;
pub mod reference;
pub mod transport;
pub mod zoneminder;

use std::time::Duration;

use async_trait::async_trait;

pub use error::DriverError;
use serde::{Deserialize, Serialize};

use crate::model::{AlertKind, DriverKind, VmsEndpoint};
pub use crate::model::{
    AlertRule, Camera, CameraStatus, Capabilities, JournalPage, LiveConfig, Recording, Recordings,
    Settings, StreamCondition, Unmanaged, VmsJournalEntry,
};

/// Who asks for a mutation and under which id; the caller journals both first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpContext {
    /// Unique id of this mutation, sent to the VMS.
    pub request_id: String,
    /// The person on whose behalf vmsops acts.
    pub operator: String,
}

/// Environment variable that overrides the per-request timeout (e.g. `30s`, `2m`).
pub const TIMEOUT_ENV: &str = "VMSOPS_HTTP_TIMEOUT";

/// One VMS, reached through its product's API.
///
/// Mutations take the version last read as `if_match` and fail with
/// [`DriverError::VersionMismatch`] if the object changed since; they carry an
/// [`OpContext`] so the VMS's own journal names the request and the operator.
#[async_trait]
pub trait Vms: Send + Sync {
    /// What this driver and its product can do.
    fn capabilities(&self) -> Capabilities;

    /// Whether the VMS itself refuses a write whose `If-Match` names a version the object
    /// no longer has (server-side versions, checked atomically with the write): what lets a
    /// rollback put back one object without undoing someone else's later change.
    fn conditional_writes(&self) -> bool {
        false
    }

    /// The whole live configuration, with versions.
    async fn read_live(&self) -> Result<LiveConfig, DriverError>;

    /// The product's full export, for snapshots; only `import` of the same driver reads it.
    async fn export(&self) -> Result<serde_json::Value, DriverError>;

    /// Replaces the whole configuration with an earlier `export` (restore).
    async fn import(&self, export: &serde_json::Value, ctx: &OpContext) -> Result<(), DriverError>;

    /// Camera `id`'s stream now; [`CameraStatus::unknown`] where the product cannot tell.
    async fn camera_status(&self, _id: &str) -> Result<CameraStatus, DriverError> {
        Ok(CameraStatus::unknown(
            "this driver does not read stream health",
        ))
    }

    /// The largest export, in bytes, that [`Vms::import`] can send as the product states
    /// it; `None` when the product states no limit.
    async fn import_limit(&self) -> Result<Option<u64>, DriverError> {
        Ok(None)
    }

    /// The configuration an `export` of this driver holds, so that a restore can go
    /// through per-object operations when the whole export is too large to import;
    /// `None` when this driver cannot restore that way.
    fn config_of_export(
        &self,
        _export: &serde_json::Value,
    ) -> Option<Result<LiveConfig, DriverError>> {
        None
    }

    /// Creates a camera; the returned camera carries its first version.
    async fn create_camera(&self, camera: &Camera, ctx: &OpContext) -> Result<Camera, DriverError>;

    /// Updates a camera whose version is still `if_match`.
    async fn update_camera(
        &self,
        camera: &Camera,
        if_match: &str,
        ctx: &OpContext,
    ) -> Result<Camera, DriverError>;

    /// Deletes a camera whose version is still `if_match`.
    async fn delete_camera(
        &self,
        id: &str,
        if_match: &str,
        ctx: &OpContext,
    ) -> Result<(), DriverError>;

    /// Creates (`if_match` = None) or updates an alert rule.
    async fn put_alert_rule(
        &self,
        rule: &AlertRule,
        if_match: Option<&str>,
        ctx: &OpContext,
    ) -> Result<AlertRule, DriverError>;

    /// Deletes the alert rule of `kind` whose version is still `if_match`.
    async fn delete_alert_rule(
        &self,
        kind: AlertKind,
        if_match: &str,
        ctx: &OpContext,
    ) -> Result<(), DriverError>;

    /// Updates the settings whose version is still `if_match`.
    async fn update_settings(
        &self,
        settings: &Settings,
        if_match: &str,
        ctx: &OpContext,
    ) -> Result<Settings, DriverError>;

    /// The recordings kept for a camera (also a deleted one); None if the VMS has none.
    async fn recordings(&self, camera_id: &str) -> Result<Option<Recordings>, DriverError>;

    /// Every VMS journal entry after `cursor` (from the start when None), up to now.
    async fn journal_since(&self, cursor: Option<&str>) -> Result<JournalPage, DriverError>;

    /// The current end of the VMS journal, as a cursor; None if the product has no journal.
    async fn journal_position(&self) -> Result<Option<String>, DriverError>;
}

/// Transport settings that do not come from the site file.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Longest wait for one answer.
    pub timeout: Duration,
    /// Extra CA certificate (PEM) that `vms.ca_cert` names, read by the caller from the revision.
    pub ca_cert_pem: Option<Vec<u8>>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            timeout: Duration::from_secs(30),
            ca_cert_pem: None,
        }
    }
}

/// The driver named by `vms.driver`, with its credential read from the environment.
///
/// `env` looks up an environment variable (`|k| std::env::var(k).ok()` in the
/// CLI); the timeout may be overridden by [`TIMEOUT_ENV`]. A site with
/// `vms.ca_cert` needs [`connect_with`], since the certificate is read from git.
pub fn connect(
    vms: &VmsEndpoint,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Box<dyn Vms>, DriverError> {
    connect_with(vms, env, ConnectOptions::default())
}

/// [`connect`] with explicit transport options.
pub fn connect_with(
    vms: &VmsEndpoint,
    env: &dyn Fn(&str) -> Option<String>,
    mut options: ConnectOptions,
) -> Result<Box<dyn Vms>, DriverError> {
    if let (Some(path), None) = (&vms.ca_cert, &options.ca_cert_pem) {
        // Trusting the system roots instead would fail later with a vaguer TLS error.
        return Err(DriverError::Config(format!(
            "vms.ca_cert ({path}) is set but its certificate was not loaded from the revision"
        )));
    }
    if let Some(v) = env(TIMEOUT_ENV).filter(|v| !v.is_empty()) {
        options.timeout = parse_timeout(&v)?;
    }
    let transport = transport::Options {
        timeout: options.timeout,
        ca_cert_pem: options.ca_cert_pem,
        ..transport::Options::default()
    };
    let Some(kind) = vms.driver_kind() else {
        return Err(DriverError::Config(format!(
            "unknown driver `{}` (known: {})",
            vms.driver,
            crate::model::KNOWN_DRIVERS.join(", ")
        )));
    };
    match kind {
        DriverKind::Reference => {
            let (variable, token) = credential(env, "reference", &vms.token_env, "token_env")?;
            let driver = reference::ReferenceDriver::new(
                &vms.url,
                reference::Credential::new(token, variable),
                transport,
            )?;
            Ok(Box::new(driver))
        }
        DriverKind::ZoneMinder => {
            let (user_var, user) =
                credential(env, "zoneminder", &vms.username_env, "username_env")?;
            let (password_var, password) =
                credential(env, "zoneminder", &vms.password_env, "password_env")?;
            let driver = zoneminder::ZoneMinderDriver::new(
                &vms.url,
                zoneminder::Login::new(user, password, &user_var, &password_var),
                transport,
            )?;
            Ok(Box::new(driver))
        }
    }
}

/// The name and value of the variable that the site field `vms.{field}` names,
/// which `driver` needs; an unset or empty variable is a missing credential.
fn credential(
    env: &dyn Fn(&str) -> Option<String>,
    driver: &str,
    variable: &Option<String>,
    field: &'static str,
) -> Result<(String, String), DriverError> {
    let variable = variable
        .clone()
        .ok_or_else(|| DriverError::Config(format!("the {driver} driver needs vms.{field}")))?;
    let value =
        env(&variable)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| DriverError::MissingCredential {
                variable: variable.clone(),
                field,
            })?;
    Ok((variable, value))
}

fn parse_timeout(v: &str) -> Result<Duration, DriverError> {
    let d: jiff::SignedDuration = v.parse().map_err(|_| {
        DriverError::Config(format!("{TIMEOUT_ENV}=`{v}` is not a duration like 30s"))
    })?;
    Duration::try_from(d)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| DriverError::Config(format!("{TIMEOUT_ENV}=`{v}` must be positive")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::VmsEndpoint;

    fn site_vms(driver: &str) -> VmsEndpoint {
        VmsEndpoint {
            driver: driver.into(),
            url: "http://127.0.0.1:9".into(),
            token_env: Some("SITE_TOKEN".into()),
            username_env: Some("SITE_USER".into()),
            password_env: Some("SITE_PASSWORD".into()),
            ca_cert: None,
        }
    }

    #[test]
    fn missing_token_names_the_variable() {
        for value in [None, Some(String::new())] {
            let err = connect(&site_vms("reference"), &|_| value.clone())
                .err()
                .expect("no token");
            assert_eq!(
                err.to_string(),
                "the environment variable SITE_TOKEN (named by vms.token_env) is unset or empty"
            );
        }
    }

    #[test]
    fn picks_the_driver_by_name() {
        let env = |k: &str| (k == "SITE_TOKEN").then(|| "s3cret".to_string());
        assert!(connect(&site_vms("reference"), &env).is_ok());
        let err = connect(&site_vms("nope"), &env).err().expect("unknown");
        assert!(err.to_string().contains("unknown driver `nope`"), "{err}");
        assert!(!err.to_string().contains("s3cret"));
    }

    #[test]
    fn every_driver_that_validate_accepts_exists() {
        let env = |k: &str| k.starts_with("SITE_").then(|| "t".to_string());
        for name in crate::model::KNOWN_DRIVERS {
            assert!(connect(&site_vms(name), &env).is_ok(), "{name}");
        }
    }

    #[test]
    fn a_ca_cert_must_be_loaded_by_the_caller() {
        let env = |k: &str| (k == "SITE_TOKEN").then(|| "t".to_string());
        let vms = VmsEndpoint {
            ca_cert: Some("certs/ca.pem".into()),
            ..site_vms("reference")
        };
        let err = connect(&vms, &env).err().expect("not loaded");
        assert!(err.to_string().contains("certs/ca.pem"), "{err}");
        let garbage = ConnectOptions {
            ca_cert_pem: Some(b"not a pem".to_vec()),
            ..ConnectOptions::default()
        };
        assert!(connect_with(&vms, &env, garbage).is_err());
    }

    #[test]
    fn timeout_comes_from_the_environment() {
        assert_eq!(parse_timeout("30s").ok(), Some(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2m").ok(), Some(Duration::from_secs(120)));
        assert!(parse_timeout("soon").is_err());
        assert!(parse_timeout("0s").is_err());
        let env = |k: &str| match k {
            "SITE_TOKEN" => Some("t".to_string()),
            TIMEOUT_ENV => Some("never".to_string()),
            _ => None,
        };
        assert!(connect(&site_vms("reference"), &env).is_err());
    }
}
