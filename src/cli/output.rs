//! Writing to stdout; a closed pipe ends the command quietly.

use std::io::Write;

/// Writes `text` to stdout and flushes.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
