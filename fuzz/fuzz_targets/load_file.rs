//! Any bytes given as a site.yaml or a cameras file: diagnostics, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vmsops::desired::load::check_bytes;
use vmsops::desired::schema::FileKind;

fuzz_target!(|data: &[u8]| {
    for kind in [FileKind::Site, FileKind::Cameras] {
        for d in check_bytes(kind, "fuzz.yaml", data.to_vec()) {
            // Every diagnostic must be renderable against its own text.
            let _ = d.to_string();
        }
    }
});
