//! A fingerprint of a live configuration, so that a saved plan can tell it went stale.

use sha2::{Digest, Sha256};

use crate::model::LiveConfig;

/// `sha256:` and the hex digest of the configuration's JSON, which drivers emit in sorted order.
pub fn fingerprint(live: &LiveConfig) -> String {
    let bytes = serde_json::to_vec(live).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256:");
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
