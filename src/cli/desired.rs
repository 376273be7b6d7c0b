//! Loading and validating the desired state for commands that act on it.

use std::io::Write;

use vmsops::desired::{self, render, validate::validate, DesiredRepo, Tree};

use super::RepoArgs;

/// Loads `args.rev` and validates it; on errors, prints them to stderr and fails.
pub fn load_valid(
    args: &RepoArgs,
    rev: &str,
    today: jiff::civil::Date,
) -> Result<(Tree, DesiredRepo), Box<dyn std::error::Error + Send + Sync>> {
    let tree = Tree::open(&args.repo, rev)?;
    let repo = desired::load(&tree, rev, args.site.as_deref())?;
    let mut diags = repo.diagnostics.clone();
    diags.extend(validate(&repo, today));
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        let sources = repo.sources();
        let color = super::color_enabled(&std::io::stderr());
        let mut err = std::io::stderr().lock();
        for d in &errors {
            let _ = writeln!(err, "{}", render::render(d, &sources, color));
        }
        return Err(format!(
            "the desired state at {rev} has {} error(s): run `vmsops validate --rev {rev}` and fix them",
            errors.len()
        )
        .into());
    }
    Ok((tree, repo))
}

/// `I/N`: this process handles shard I (0-based) of N.
#[derive(Debug, Clone, Copy)]
pub struct Shard {
    /// This shard, 0-based.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("`{s}` is not a shard: write I/N with 0 <= I < N, e.g. 0/3 (I is 0-based, like JOB_COMPLETION_INDEX)")
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}
