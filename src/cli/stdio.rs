//! `-` as a file argument: standard input where a file is read, standard output where one is written.

use std::io::{IsTerminal, Read};
use std::path::Path;

/// Whether `path` is `-`.
pub fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The bytes of `path`, or of standard input for `-`; `what` names the file in the error.
pub fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    if is_dash(path) {
        // Nothing piped in: waiting for someone to type a plan would look like a hang.
        if std::io::stdin().is_terminal() {
            return Err(format!(
                "`-` reads {what} from standard input, which is a terminal: pipe it in, e.g. `vmsops plan --out - | vmsops apply -`"
            ));
        }
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read {what} from standard input: {e}"))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
}

/// How `path` is named in messages: `standard input` for `-`.
pub fn name(path: &Path) -> String {
    if is_dash(path) {
        "standard input".into()
    } else {
        path.display().to_string()
    }
}
