//! Writing to stdout; a closed pipe ends the command quietly.

use std::io::Write;

/// Writes `text` to stdout and flushes.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Streams what `write` produces to stdout through one buffer, then flushes: large
/// documents are never held whole in memory.
pub fn stream(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    write(&mut out)?;
    out.flush()
}

/// The `format_version` of the JSON documents the command layer defines; it
/// changes when a field changes meaning (fields may be added, none removed).
pub const FORMAT_VERSION: u32 = 1;

/// Writes `doc` to stdout as pretty JSON with a final newline: the whole of stdout in json mode.
pub fn json(doc: &impl serde::Serialize) -> std::io::Result<()> {
    stream(|w| {
        serde_json::to_writer_pretty(&mut *w, doc)?;
        w.write_all(b"\n")
    })
}
