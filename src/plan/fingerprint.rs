//! A fingerprint of a live configuration, so that a saved plan can tell it went stale.

use sha2::{Digest, Sha256};

use crate::model::LiveConfig;

/// `sha256:` and the hex digest of the configuration's JSON, which drivers emit in sorted order.
pub fn fingerprint(live: &LiveConfig) -> String {
    // Hashed as it is serialised: a large site's JSON is never held in memory.
    let mut hasher = Sha256::new();
    // Neither the configuration's serialisation nor the hasher can fail.
    let _ = serde_json::to_writer(&mut hasher, live);
    format!("sha256:{}", crate::canonical::hex(&hasher.finalize()))
}
