//! A site's VMS connection for commands outside plan and apply (`snapshot create`,
//! `restore`, `audit review`): the site as configured at its last applied commit.
//!
//! The last applied commit is what the VMS was last made to match, so its
//! `vms` block is the one in service, whatever HEAD says now. Without an
//! applied commit, HEAD is read and the caller is told so ([`SiteAt::fell_back`]).
//! Never prints; never validates (the commit was validated when it was applied).

use std::path::Path;

use crate::desired::model::Site;
use crate::desired::{self, LoadError, Tree};
use crate::driver::{self, ConnectOptions, DriverError, Vms};
use crate::git::tree::SourceError;
use crate::state::{Applied, StateError, StateStore};

/// Failures to find a site's configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The state directory could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// The repository or the revision could not be read.
    #[error("site `{site}` at {rev}")]
    Source {
        /// The site.
        site: String,
        /// The revision read.
        rev: String,
        /// The cause.
        #[source]
        source: SourceError,
    },
    /// The site is not at that revision.
    #[error("site `{site}` at {rev}")]
    Load {
        /// The site.
        site: String,
        /// The revision read.
        rev: String,
        /// The cause.
        #[source]
        source: LoadError,
    },
    /// Its `site.yaml` cannot be read at that revision.
    #[error(
        "site `{site}`: its site.yaml at {rev} cannot be read (run `vmsops validate --rev {rev}`)"
    )]
    Unreadable {
        /// The site.
        site: String,
        /// The revision read.
        rev: String,
    },
    /// `vms.ca_cert` names a file that is not at that revision.
    #[error("site `{site}`: vms.ca_cert `{path}` is not in the repository at {rev}")]
    MissingCaCert {
        /// The site.
        site: String,
        /// The path in the repository.
        path: String,
        /// The revision read.
        rev: String,
    },
}

/// A site as configured at the revision its connection is read from.
#[derive(Debug, Clone)]
pub struct SiteAt {
    /// The site's configuration.
    pub site: Site,
    /// The commit read.
    pub commit: Option<String>,
    /// The site's last apply, if any.
    pub applied: Option<Applied>,
    /// True when nothing was applied yet and HEAD was read instead.
    pub fell_back: bool,
    /// The extra CA certificate named by `vms.ca_cert`, read at the same commit.
    pub ca_cert_pem: Option<Vec<u8>>,
}

impl SiteAt {
    /// The site's driver, connected with credentials from `env`.
    pub fn connect(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Box<dyn Vms>, DriverError> {
        driver::connect_with(
            &self.site.vms,
            env,
            ConnectOptions {
                ca_cert_pem: self.ca_cert_pem.clone(),
                ..ConnectOptions::default()
            },
        )
    }
}

/// `site` as configured at its last applied commit in `repo`, else at HEAD.
pub fn site_at_applied(
    repo: &Path,
    state: &StateStore,
    site: &str,
) -> Result<SiteAt, ConnectionError> {
    let applied = state.applied(site)?;
    let (rev, fell_back) = match &applied {
        Some(a) => (a.commit.clone(), false),
        None => ("HEAD".to_string(), true),
    };
    let mut at = site_at(repo, &rev, site)?;
    at.applied = applied;
    at.fell_back = fell_back;
    Ok(at)
}

/// `site` as configured at `rev` of `repo`.
pub fn site_at(repo: &Path, rev: &str, site: &str) -> Result<SiteAt, ConnectionError> {
    let tree = Tree::open(repo, rev).map_err(|source| ConnectionError::Source {
        site: site.into(),
        rev: rev.into(),
        source,
    })?;
    let loaded = desired::load(&tree, rev, Some(site)).map_err(|source| ConnectionError::Load {
        site: site.into(),
        rev: rev.into(),
        source,
    })?;
    let doc = loaded
        .sites
        .into_iter()
        .find(|d| d.name() == site)
        .ok_or_else(|| ConnectionError::Unreadable {
            site: site.into(),
            rev: rev.into(),
        })?;
    let Some(config) = doc.site else {
        return Err(ConnectionError::Unreadable {
            site: site.into(),
            rev: rev.into(),
        });
    };
    let ca_cert_pem = match &config.vms.ca_cert {
        None => None,
        Some(ca) => {
            let path = if doc.dir.is_empty() {
                ca.clone()
            } else {
                format!("{}/{ca}", doc.dir)
            };
            let pem = tree
                .read(&path)
                .map_err(|source| ConnectionError::Source {
                    site: site.into(),
                    rev: rev.into(),
                    source,
                })?
                .ok_or_else(|| ConnectionError::MissingCaCert {
                    site: site.into(),
                    path: path.clone(),
                    rev: rev.into(),
                })?;
            Some(pem)
        }
    };
    Ok(SiteAt {
        site: config,
        commit: tree.commit(),
        applied: None,
        fell_back: false,
        ca_cert_pem,
    })
}
