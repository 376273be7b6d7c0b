//! `vmsops import`: read a VMS (its journal position first, then its live configuration),
//! write the site's files, and record the baseline.
//!
//! Only reads the VMS, never changes it. Never overwrites a site's files: the
//! caller refuses an existing site folder, and an existing allowed-signers file
//! or schema is left as it is.

use std::path::Path;

use crate::driver::{self, DriverError};
use crate::import::{import, ImportError, ImportRequest, Imported, ALLOWED_SIGNERS_SKELETON};
use crate::model::{Capabilities, LiveConfig, VmsEndpoint};
use crate::plan::comparable::ComparableConfig;
use crate::state::{Baseline, StateError, StateStore};

/// What import reads from a VMS.
#[derive(Debug)]
pub struct ImportRead {
    /// The live configuration.
    pub live: LiveConfig,
    /// What the driver can do.
    pub caps: Capabilities,
    /// The VMS journal's position before the read: the site's baseline.
    pub cursor: Option<String>,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportRunError {
    /// The VMS could not be read.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The live configuration cannot become a site.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A file of the repository could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The baseline could not be recorded.
    #[error(transparent)]
    State(#[from] StateError),
}

/// An imported site: what was read, what was written, where its baseline is.
#[derive(Debug)]
pub struct ImportedSite {
    /// The live configuration read.
    pub live: LiveConfig,
    /// The files and profiles written.
    pub imported: Imported,
    /// The VMS journal position recorded as the baseline.
    pub cursor: Option<String>,
}

/// Connects to `vms` and reads it for import.
pub async fn read(
    vms: &VmsEndpoint,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ImportRead, DriverError> {
    let d = driver::connect(vms, env)?;
    // The journal position first: anything after it is out-of-band unless vmsops made it.
    let cursor = d.journal_position().await?;
    let live = d.read_live().await?;
    Ok(ImportRead {
        live,
        caps: d.capabilities(),
        cursor,
    })
}

/// Reads the VMS at `vms`, writes the site's files under `out` and records its baseline in `state`.
pub async fn import_site(
    req: &ImportRequest,
    vms: &VmsEndpoint,
    out: &Path,
    state: &StateStore,
    now: jiff::Timestamp,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ImportedSite, ImportRunError> {
    let r = read(vms, env).await?;
    let imported = import(req, &ComparableConfig::from_live(&r.live, &r.caps))?;
    let baseline = Baseline {
        journal_cursor: r.cursor.clone(),
        at: now,
        reason: "import".into(),
        url: vms.url.clone(),
        origin: None,
    };
    let site = req.site.clone();
    let state = state.clone();
    let out = out.to_path_buf();
    let imported = super::blocking::blocking(move || {
        write_repo_files(&out, &imported)?;
        state.set_baseline(&site, &baseline)?;
        Ok::<_, ImportRunError>(imported)
    })?;
    Ok(ImportedSite {
        live: r.live,
        imported,
        cursor: r.cursor,
    })
}

/// Writes the site files, and the signers skeleton and schemas where the repository has none yet.
fn write_repo_files(out: &Path, imported: &Imported) -> Result<(), ImportRunError> {
    let write = |path: &Path, text: &str| {
        crate::state::write_atomic(path, text.as_bytes()).map_err(|source| ImportRunError::Write {
            path: path.display().to_string(),
            source,
        })
    };
    for f in &imported.files {
        write(&out.join(&f.path), &f.text)?;
    }
    let signers = out.join(crate::desired::model::DEFAULT_ALLOWED_SIGNERS);
    if !signers.exists() {
        write(&signers, ALLOWED_SIGNERS_SKELETON)?;
    }
    for (kind, name) in [
        (crate::desired::schema::FileKind::Site, "site"),
        (crate::desired::schema::FileKind::Cameras, "cameras"),
    ] {
        let p = out.join(format!("schemas/{name}.schema.json"));
        if !p.exists() {
            write(&p, &crate::desired::schema::schema_text(kind))?;
        }
    }
    Ok(())
}
