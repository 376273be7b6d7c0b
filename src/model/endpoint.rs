//! Where a VMS is and which driver speaks to it; credentials only by the names of their variables.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The drivers vmsops knows, by the name `vms.driver` uses.
pub const KNOWN_DRIVERS: [&str; 2] = [
    DriverKind::Reference.as_str(),
    DriverKind::ZoneMinder.as_str(),
];

/// A driver vmsops knows: the VMS product it speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DriverKind {
    /// `reference`: the reference VMS (docs/reference-vms-api.md, `vmsops sim`).
    Reference,
    /// `zoneminder`: ZoneMinder.
    ZoneMinder,
}

impl DriverKind {
    /// Every driver, in the order they are listed to users.
    pub const ALL: [DriverKind; 2] = [DriverKind::Reference, DriverKind::ZoneMinder];

    /// The driver `vms.driver` names, if vmsops knows it.
    pub fn parse(name: &str) -> Option<DriverKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Its name in `vms.driver`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DriverKind::Reference => "reference",
            DriverKind::ZoneMinder => "zoneminder",
        }
    }

    /// The product's name, for sentences.
    pub fn product(self) -> &'static str {
        match self {
            DriverKind::Reference => "The reference VMS",
            DriverKind::ZoneMinder => "ZoneMinder",
        }
    }
}

impl std::fmt::Display for DriverKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Connection to the VMS. Secrets are never written here, only the names of
/// the environment variables that hold them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields, rename = "Vms")]
pub struct VmsEndpoint {
    /// Driver for the VMS product, e.g. `reference`.
    // A string, not a DriverKind: validation locates an unknown driver in the file.
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

impl VmsEndpoint {
    /// The driver `driver` names; `None` when vmsops knows none by that name (validation reports it).
    pub fn driver_kind(&self) -> Option<DriverKind> {
        DriverKind::parse(&self.driver)
    }
}
