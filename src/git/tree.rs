//! Where the desired state is read from: a git revision, or the work tree.
//!
//! Reading from the object database (git2) makes what is validated and planned
//! exactly what was committed. Paths are repository-relative and `/`-separated;
//! symlinks are followed only while they stay inside the repository.

use std::path::{Component, Path, PathBuf};

use git2::{ObjectType, Oid, Repository};

/// The revision name that selects the work tree instead of a commit.
pub const WORKTREE: &str = "WORKTREE";

const MAX_SYMLINK_HOPS: usize = 8;

/// Failures to open or read the repository.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// `--repo` is not inside a git repository.
    #[error("{path} is not a git repository (use `--repo DIR` to point at one, or `--rev WORKTREE` to read plain files)")]
    NotARepository {
        /// The directory given.
        path: PathBuf,
    },
    /// The directory does not exist.
    #[error("{path} does not exist or is not a directory: pass `--repo DIR`, the git repository of the sites (default: the current directory)")]
    NoSuchDirectory {
        /// The directory given.
        path: PathBuf,
    },
    /// The revision names nothing in the repository.
    #[error("revision `{rev}` not found in {repo} (check `git log`, or use `--rev WORKTREE` for uncommitted files)")]
    RevisionNotFound {
        /// The revision given.
        rev: String,
        /// The repository.
        repo: PathBuf,
    },
    /// The repository has no commit yet.
    #[error("{repo} has no commits yet: commit the site, or use `--rev WORKTREE`")]
    NoCommits {
        /// The repository.
        repo: PathBuf,
    },
    /// A symlink leads outside the repository.
    #[error("{path} is a symlink to `{target}`, outside the repository; vmsops reads only files inside it")]
    SymlinkEscapes {
        /// The link.
        path: String,
        /// Where it points.
        target: String,
    },
    /// Symlinks loop or chain too deep.
    #[error("{path}: too many levels of symlinks")]
    SymlinkLoop {
        /// The link.
        path: String,
    },
    /// A filesystem error.
    #[error("cannot read {path}")]
    Io {
        /// The file or directory.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A git error.
    #[error("git error reading {what}")]
    Git {
        /// What was being read.
        what: String,
        /// The cause.
        #[source]
        source: git2::Error,
    },
}

/// A tree of files to read the desired state from.
pub enum Tree {
    /// A commit's tree.
    Git {
        /// The repository.
        repo: Repository,
        /// The commit.
        commit: Oid,
        /// Its tree.
        tree: Oid,
        /// The folder of `--repo` inside the repository (`""` at its root, else ending in `/`).
        prefix: String,
    },
    /// Files on disk under `root`.
    Worktree {
        /// The canonical root directory.
        root: PathBuf,
    },
}

/// An entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Repository-relative path.
    pub path: String,
    /// True for directories.
    pub is_dir: bool,
}

impl Tree {
    /// Opens `repo_dir` at `rev` (`WORKTREE` for the files on disk).
    pub fn open(repo_dir: &Path, rev: &str) -> Result<Self, SourceError> {
        if !repo_dir.is_dir() {
            return Err(SourceError::NoSuchDirectory {
                path: repo_dir.to_path_buf(),
            });
        }
        let canonical = repo_dir.canonicalize().map_err(|source| SourceError::Io {
            path: repo_dir.display().to_string(),
            source,
        })?;
        if rev == WORKTREE {
            return Ok(Tree::Worktree { root: canonical });
        }
        let repo = Repository::discover(repo_dir).map_err(|_| SourceError::NotARepository {
            path: repo_dir.to_path_buf(),
        })?;
        let commit = resolve_commit(&repo, rev)?;
        let tree = repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|source| SourceError::Git {
                what: format!("the tree of {commit}"),
                source,
            })?
            .id();
        // `--repo` may name a folder inside the repository: paths are relative to it.
        let prefix = repo
            .workdir()
            .and_then(|w| w.canonicalize().ok())
            .and_then(|w| canonical.strip_prefix(w).ok().map(Path::to_path_buf))
            .map(|p| {
                let p = p.to_string_lossy().replace('\\', "/");
                if p.is_empty() {
                    p
                } else {
                    format!("{p}/")
                }
            })
            .unwrap_or_default();
        Ok(Tree::Git {
            repo,
            commit,
            tree,
            prefix,
        })
    }

    /// The commit id being read, or `None` for the work tree.
    pub fn commit(&self) -> Option<String> {
        match self {
            Tree::Git { commit, .. } => Some(commit.to_string()),
            Tree::Worktree { .. } => None,
        }
    }

    /// The git repository and commit, unless this is the work tree.
    pub fn git(&self) -> Option<(&Repository, Oid)> {
        match self {
            Tree::Git { repo, commit, .. } => Some((repo, *commit)),
            Tree::Worktree { .. } => None,
        }
    }

    /// The repository's root directory on disk, when it has one.
    pub fn root_dir(&self) -> Option<PathBuf> {
        match self {
            Tree::Git { repo, prefix, .. } => repo.workdir().map(|w| w.join(prefix)),
            Tree::Worktree { root } => Some(root.clone()),
        }
    }

    /// Reads a file; `Ok(None)` when there is no file at `path`.
    pub fn read(&self, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
        match self {
            Tree::Git {
                repo, tree, prefix, ..
            } => git_read(repo, *tree, prefix, path),
            Tree::Worktree { root } => fs_read(root, path),
        }
    }

    /// Lists a directory, sorted by name; empty when it does not exist.
    pub fn list(&self, dir: &str) -> Result<Vec<DirEntry>, SourceError> {
        let mut entries = match self {
            Tree::Git {
                repo, tree, prefix, ..
            } => git_list(repo, *tree, prefix, dir)?,
            Tree::Worktree { root } => fs_list(root, dir)?,
        };
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    /// Every `*.yaml` file under `dir`, recursively, sorted.
    pub fn yaml_files_under(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let mut out = Vec::new();
        let mut todo = vec![(dir.to_string(), 0usize)];
        while let Some((d, depth)) = todo.pop() {
            for e in self.list(&d)? {
                if e.is_dir {
                    // Deeper than any real layout: a symlink loop, not a site.
                    if depth < 32 {
                        todo.push((e.path, depth + 1));
                    }
                } else if e.path.ends_with(".yaml") {
                    out.push(e.path);
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

fn resolve_commit(repo: &Repository, rev: &str) -> Result<Oid, SourceError> {
    let repo_path = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
    if rev == "HEAD" && repo.head().is_err() {
        return Err(SourceError::NoCommits { repo: repo_path });
    }
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|_| SourceError::RevisionNotFound {
            rev: rev.to_string(),
            repo: repo_path,
        })
}

/// Joins `link_dir` and a symlink target lexically; `None` if it leaves the root.
fn resolve_link(link_path: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = link_path.split('/').collect();
    parts.pop();
    for c in Path::new(target).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

fn git_err(what: &str) -> impl FnOnce(git2::Error) -> SourceError + '_ {
    move |source| SourceError::Git {
        what: what.to_string(),
        source,
    }
}

fn git_read(
    repo: &Repository,
    tree: Oid,
    prefix: &str,
    path: &str,
) -> Result<Option<Vec<u8>>, SourceError> {
    let tree = repo.find_tree(tree).map_err(git_err(path))?;
    let mut current = path.to_string();
    for _ in 0..MAX_SYMLINK_HOPS {
        let entry = match tree.get_path(Path::new(&format!("{prefix}{current}"))) {
            Ok(e) => e,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(git_err(path)(e)),
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Ok(None);
        }
        let blob = repo.find_blob(entry.id()).map_err(git_err(path))?;
        if entry.filemode() != 0o120000 {
            return Ok(Some(blob.content().to_vec()));
        }
        let target = String::from_utf8_lossy(blob.content()).to_string();
        current = resolve_link(&current, &target).ok_or_else(|| SourceError::SymlinkEscapes {
            path: path.to_string(),
            target: target.clone(),
        })?;
    }
    Err(SourceError::SymlinkLoop {
        path: path.to_string(),
    })
}

fn git_list(
    repo: &Repository,
    tree: Oid,
    prefix: &str,
    dir: &str,
) -> Result<Vec<DirEntry>, SourceError> {
    let root = repo.find_tree(tree).map_err(git_err(dir))?;
    let full = format!("{prefix}{dir}");
    let full = full.trim_end_matches('/');
    let sub = if full.is_empty() {
        root
    } else {
        match root.get_path(Path::new(full)) {
            Ok(e) if e.kind() == Some(ObjectType::Tree) => {
                repo.find_tree(e.id()).map_err(git_err(dir))?
            }
            _ => return Ok(Vec::new()),
        }
    };
    Ok(sub
        .iter()
        .filter_map(|e| {
            let name = e.name()?;
            let path = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            Some(DirEntry {
                path,
                is_dir: e.kind() == Some(ObjectType::Tree),
            })
        })
        .collect())
}

/// The on-disk path of `path`, refusing symlinks that lead outside `root`.
fn fs_checked(root: &Path, path: &str) -> Result<Option<PathBuf>, SourceError> {
    let full = root.join(path);
    match std::fs::symlink_metadata(&full) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SourceError::Io {
                path: path.to_string(),
                source,
            })
        }
        Ok(_) => {}
    }
    let canonical = match full.canonicalize() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(40) => {
            return Err(SourceError::SymlinkLoop {
                path: path.to_string(),
            })
        }
        Err(source) => {
            return Err(SourceError::Io {
                path: path.to_string(),
                source,
            })
        }
    };
    if !canonical.starts_with(root) {
        return Err(SourceError::SymlinkEscapes {
            path: path.to_string(),
            target: std::fs::read_link(&full)
                .map(|t| t.display().to_string())
                .unwrap_or_else(|_| canonical.display().to_string()),
        });
    }
    Ok(Some(canonical))
}

fn fs_read(root: &Path, path: &str) -> Result<Option<Vec<u8>>, SourceError> {
    let Some(full) = fs_checked(root, path)? else {
        return Ok(None);
    };
    if full.is_dir() {
        return Ok(None);
    }
    std::fs::read(&full)
        .map(Some)
        .map_err(|source| SourceError::Io {
            path: path.to_string(),
            source,
        })
}

fn fs_list(root: &Path, dir: &str) -> Result<Vec<DirEntry>, SourceError> {
    let Some(full) = fs_checked(root, dir)? else {
        return Ok(Vec::new());
    };
    if !full.is_dir() {
        return Ok(Vec::new());
    }
    let rd = std::fs::read_dir(&full).map_err(|source| SourceError::Io {
        path: dir.to_string(),
        source,
    })?;
    let mut out = Vec::new();
    for e in rd {
        let e = e.map_err(|source| SourceError::Io {
            path: dir.to_string(),
            source,
        })?;
        let Some(name) = e.file_name().to_str().map(String::from) else {
            continue;
        };
        if name == ".git" {
            continue;
        }
        let path = if dir.is_empty() {
            name
        } else {
            format!("{dir}/{name}")
        };
        // `is_dir` follows symlinks; escapes are caught when the entry is read.
        let is_dir = e.path().is_dir();
        out.push(DirEntry { path, is_dir });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_inside_and_refuse_outside() {
        assert_eq!(
            resolve_link("a/b/c.yaml", "../d.yaml").as_deref(),
            Some("a/d.yaml")
        );
        assert_eq!(
            resolve_link("a/c.yaml", "./x/y.yaml").as_deref(),
            Some("a/x/y.yaml")
        );
        assert_eq!(resolve_link("a/c.yaml", "../../etc/passwd"), None);
        assert_eq!(resolve_link("a/c.yaml", "/etc/passwd"), None);
    }
}
