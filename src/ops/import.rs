//! Reading a VMS for `vmsops import`: its journal position first, then its live configuration.

use crate::driver::{self, DriverError};
use crate::model::{Capabilities, LiveConfig, VmsEndpoint};

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
