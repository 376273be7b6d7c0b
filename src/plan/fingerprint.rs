//! A fingerprint of a live configuration, so that a saved plan can tell it went stale.

use crate::model::LiveConfig;

/// `sha256:` and the hex digest of the configuration's JSON, which drivers emit in sorted order.
pub fn fingerprint(live: &LiveConfig) -> String {
    let bytes = serde_json::to_vec(live).unwrap_or_default();
    format!("sha256:{}", crate::canonical::sha256_hex(&bytes))
}
