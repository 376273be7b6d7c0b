//! `vmsops sim --seed DIR`: the cameras a site folder declares, as a VMS would hold them.
//!
//! Reads the folder's files as they are on disk (no git needed: the folder is
//! what the user already has, e.g. `examples/sites/paris-hq`) and gives each
//! camera its effective recording. Only what the cameras need is required:
//! the site's policy (approvers, allowed signers) is not checked here, since a
//! site folder copied out of its repository no longer has its signers file.

use std::path::{Path, PathBuf};

use crate::desired::{self, Tree, WORKTREE};
use crate::model::Camera;
use crate::plan::comparable::ComparableCamera;

/// Why a site folder cannot seed a VMS.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The folder could not be read, or holds no site.
    #[error("--seed {}", dir.display())]
    Load {
        /// The folder given.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: desired::LoadError,
    },
    /// The folder holds no site.
    #[error("--seed {}: no site here: give a folder holding site.yaml (and its cameras/), e.g. examples/sites/paris-hq", dir.display())]
    NoSite {
        /// The folder given.
        dir: PathBuf,
    },
    /// The folder holds several sites; one is needed.
    #[error("--seed {}: {count} sites here ({names}); give one site's folder, e.g. {}", dir.display(), dir.join("sites").join(first).display())]
    SeveralSites {
        /// The folder given.
        dir: PathBuf,
        /// How many sites.
        count: usize,
        /// Their names.
        names: String,
        /// The first one's folder name.
        first: String,
    },
    /// A file could not be read as a site or cameras file.
    #[error("--seed {}: {errors} error(s) in the site's files; run `vmsops validate --repo {} --rev WORKTREE` to see them", dir.display(), dir.display())]
    Invalid {
        /// The folder given.
        dir: PathBuf,
        /// How many errors.
        errors: usize,
    },
}

/// The cameras of the one site in `dir`, each with its profile and overrides applied.
pub fn site_cameras(dir: &Path) -> Result<Vec<Camera>, SeedError> {
    let load_err = |source| SeedError::Load {
        dir: dir.to_path_buf(),
        source,
    };
    let tree = Tree::open(dir, WORKTREE).map_err(|e| load_err(e.into()))?;
    let repo = desired::load(&tree, WORKTREE, None).map_err(load_err)?;
    if repo.sites.is_empty() {
        return Err(SeedError::NoSite {
            dir: dir.to_path_buf(),
        });
    }
    let [doc] = repo.sites.as_slice() else {
        let names: Vec<&str> = repo.sites.iter().map(|s| s.name()).collect();
        return Err(SeedError::SeveralSites {
            dir: dir.to_path_buf(),
            count: names.len(),
            names: names.join(", "),
            first: repo
                .sites
                .first()
                .map(|s| s.dir.rsplit('/').next().unwrap_or_default().to_string())
                .unwrap_or_default(),
        });
    };
    let invalid = |errors| SeedError::Invalid {
        dir: dir.to_path_buf(),
        errors,
    };
    let errors = repo.diagnostics.iter().filter(|d| d.is_error()).count();
    let Some(site) = doc.site.as_ref().filter(|_| errors == 0) else {
        return Err(invalid(errors.max(1)));
    };
    // A camera whose profile does not exist has no recording to give the VMS.
    let cameras: Vec<Camera> = doc
        .cameras
        .iter()
        .filter_map(|c| ComparableCamera::from_desired(site, &c.camera).map(|s| s.to_camera()))
        .collect();
    match doc.cameras.len() - cameras.len() {
        0 => Ok(cameras),
        unknown_profiles => Err(invalid(unknown_profiles)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sites/paris-hq")
    }

    #[test]
    fn the_example_site_gives_its_ten_cameras_with_their_effective_recording() {
        let cameras = site_cameras(&example()).expect("seedable");
        assert_eq!(cameras.len(), 10);
        let hall = cameras.iter().find(|c| c.id == "hall-01").expect("hall-01");
        // standard profile at 15 fps, overridden to 25 in entrance.yaml
        assert_eq!(hall.recording.fps, 25);
        assert!(cameras.iter().all(|c| c.version.is_empty()));
    }

    #[test]
    fn a_repository_of_several_sites_is_refused_naming_them() {
        let dir = tempfile::tempdir().expect("tmp");
        for name in ["a", "b"] {
            let site = dir.path().join("sites").join(name);
            std::fs::create_dir_all(&site).expect("mkdir");
            let text = std::fs::read_to_string(example().join("site.yaml"))
                .expect("site")
                .replace("name: paris-hq", &format!("name: {name}"));
            std::fs::write(site.join("site.yaml"), text).expect("write");
        }
        let e = site_cameras(dir.path()).expect_err("two sites").to_string();
        assert!(e.contains("2 sites here (a, b)"), "{e}");
    }

    #[test]
    fn a_folder_without_a_site_or_with_a_broken_file_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        assert!(matches!(
            site_cameras(dir.path()),
            Err(SeedError::Load { .. })
        ));
        std::fs::write(dir.path().join("site.yaml"), "kind: [").expect("write");
        assert!(matches!(
            site_cameras(dir.path()),
            Err(SeedError::Invalid { .. })
        ));
    }
}
