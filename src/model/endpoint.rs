//! Where a VMS is and which driver speaks to it; credentials only by the names of their variables.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The drivers vmsops knows, by the name `vms.driver` uses.
pub const KNOWN_DRIVERS: &[&str] = &["reference", "zoneminder"];

/// Connection to the VMS. Secrets are never written here, only the names of
/// the environment variables that hold them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, rename = "Vms")]
pub struct VmsEndpoint {
    /// Driver for the VMS product, e.g. `reference`.
    pub driver: String,
    /// Base URL of the VMS API (for ZoneMinder, its web root, e.g. `http://host/zm`).
    pub url: String,
    /// Name of the environment variable holding the API token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub token_env: Option<String>,
    /// Name of the environment variable holding the user name (products with a login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub username_env: Option<String>,
    /// Name of the environment variable holding the password (products with a login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub password_env: Option<String>,
    /// Extra CA certificate (PEM), a path relative to the site folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
}
