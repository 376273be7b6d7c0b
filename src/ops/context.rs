//! Gathering the facts the gate decides from, for one site: the trusted base,
//! the commits being applied, the approval tags, the desired cameras.
//!
//! Shared by `plan` (verdicts shown) and `apply` (verdicts enforced). Reads git
//! and the state directory; the gate itself stays pure.

use std::collections::HashMap;
use std::path::Path;

use git2::Oid;

use crate::desired::model::Site;
use crate::desired::{self, DesiredRepo, LoadError, SiteDoc, Tree};
use crate::gate::{DesiredCamera, GateInput, Mode, PolicySource, TagFacts};
use crate::git::approval_tags;
use crate::git::history::{commits_between, descends_from, CommitFacts};
use crate::git::tree::SourceError;
use crate::model::Capabilities;

/// Failures gathering the gate's facts.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The base revision could not be read.
    #[error("cannot read the base revision `{rev}`")]
    Base {
        /// The base asked for.
        rev: String,
        /// The cause.
        #[source]
        source: LoadError,
    },
    /// The base names no commit of the repository.
    #[error("base revision `{rev}` not found in {repo}: pass `--base` a commit, tag or branch of this repository (check `git log`); a base is always a commit, never the work tree")]
    BaseNotFound {
        /// The base asked for.
        rev: String,
        /// The repository.
        repo: String,
    },
    /// git history could not be read.
    #[error(transparent)]
    Git(#[from] SourceError),
    /// The approval tags could not be read.
    #[error("cannot read the approve/* tags")]
    Tags(#[source] crate::git::tags::FactsError),
}

/// Where the trusted policy of a site comes from.
#[derive(Debug, Clone)]
pub struct Trust {
    /// Trusted base or the revision itself.
    pub source: PolicySource,
    /// The base commit, when there is one.
    pub base: Option<String>,
    /// The site as it was at the base (its policy, windows, signers), or the revision's own.
    pub site: Site,
    /// Its allowed signers file.
    pub signers: Option<String>,
    /// Why the policy is untrusted, when it is.
    pub note: Option<String>,
}

/// The git facts of a change.
#[derive(Debug, Clone, Default)]
pub struct GitFacts {
    /// base..rev, or rev alone.
    pub commits: Vec<CommitFacts>,
    /// rev is base or descends from it (`None` without a base).
    pub descends: Option<bool>,
    /// `approve/*` tags near rev.
    pub tags: Vec<TagFacts>,
}

/// Base trees loaded once per commit, shared by the sites that use them.
#[derive(Default)]
pub struct Bases {
    loaded: HashMap<String, (String, DesiredRepo)>,
}

impl Bases {
    /// The desired state at `rev` (a commit, a branch…), loaded once.
    pub fn get(
        &mut self,
        repo_dir: &Path,
        rev: &str,
    ) -> Result<&(String, DesiredRepo), ContextError> {
        if !self.loaded.contains_key(rev) {
            let err = |source: LoadError| ContextError::Base {
                rev: rev.to_string(),
                source,
            };
            let tree = Tree::open(repo_dir, rev).map_err(|e| match e {
                SourceError::RevisionNotFound { rev, repo } => ContextError::BaseNotFound {
                    rev,
                    repo: repo.display().to_string(),
                },
                e => err(e.into()),
            })?;
            let commit = tree.commit().unwrap_or_default();
            let repo = desired::load(&tree, rev, None).map_err(err)?;
            self.loaded.insert(rev.to_string(), (commit, repo));
        }
        Ok(&self.loaded[rev])
    }
}

/// The trusted policy for `doc`: from `base` (explicit `--base`, else the last applied commit), else the revision's own.
pub fn trust(
    doc: &SiteDoc,
    site: &Site,
    base: Option<&str>,
    repo_dir: &Path,
    bases: &mut Bases,
) -> Result<Trust, ContextError> {
    let own = |note: Option<String>| Trust {
        source: PolicySource::Revision,
        base: None,
        site: site.clone(),
        signers: doc.allowed_signers.clone(),
        note,
    };
    // Nothing applied and no --base: the gate's `untrusted-base` verdict says it.
    let Some(base) = base else {
        return Ok(own(None));
    };
    let (commit, repo) = bases.get(repo_dir, base)?;
    match repo.sites.iter().find(|s| s.name() == site.name) {
        Some(SiteDoc {
            site: Some(b),
            allowed_signers,
            ..
        }) => Ok(Trust {
            source: PolicySource::TrustedBase,
            base: Some(commit.clone()),
            site: b.clone(),
            signers: allowed_signers.clone(),
            note: None,
        }),
        _ => Ok(Trust {
            base: Some(commit.clone()),
            ..own(Some(format!(
                "site `{}` does not exist at the base {}: its policy comes from this revision",
                site.name,
                crate::model::short_id(commit)
            )))
        }),
    }
}

/// The commits base..rev (or rev alone), the ancestry and the approval tags of `tree`'s revision.
pub fn git_facts(tree: &Tree, base: Option<&str>) -> Result<GitFacts, ContextError> {
    let Some((repo, rev)) = tree.git() else {
        // The work tree has no commits and no tags: nothing can be approved from it.
        return Ok(GitFacts::default());
    };
    let base_oid = base.and_then(|b| Oid::from_str(b).ok());
    let commits = match base_oid {
        Some(b) => commits_between(repo, b, rev)?,
        None => commits_between(repo, rev, rev)?,
    };
    let descends = match base_oid {
        Some(b) => Some(descends_from(repo, rev, b)?),
        None => None,
    };
    let tags = approval_tags(repo, rev).map_err(ContextError::Tags)?;
    Ok(GitFacts {
        commits,
        descends,
        tags,
    })
}

/// The gate's view of a site's desired cameras.
pub fn desired_cameras(site: &Site, doc: &SiteDoc) -> Vec<DesiredCamera> {
    doc.cameras
        .iter()
        .map(|c| DesiredCamera::of(site, &c.camera))
        .collect()
}

/// The gate's input from what this module gathered: the trusted policy, the git
/// facts, the desired cameras and review date of `site`; the caller adds the
/// operator, ticket, recordings and emergency.
#[allow(
    clippy::too_many_arguments,
    reason = "independent facts the gate borrows; a struct would only rename them"
)]
pub fn gate_input<'a>(
    mode: Mode,
    site: &Site,
    trusted: &'a Trust,
    facts: &'a GitFacts,
    cameras: &'a [DesiredCamera],
    rev: &'a str,
    now: jiff::Timestamp,
    caps: &'a Capabilities,
) -> GateInput<'a> {
    let mut input = GateInput::new(
        mode,
        &trusted.site.policy,
        &trusted.site.maintenance_windows,
        rev,
        now,
        caps,
    );
    input.policy_source = trusted.source;
    input.allowed_signers = trusted.signers.as_deref();
    input.base = trusted.base.as_deref();
    input.descends_from_base = facts.descends;
    input.commits = &facts.commits;
    input.tags = &facts.tags;
    input.cameras = cameras;
    input.alerts_reviewed_on = site
        .alerts
        .as_ref()
        .and_then(|a| a.reviewed_on.parse().ok());
    input
}
