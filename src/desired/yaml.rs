//! Reading one YAML file: byte-level checks, parsing, and positions.
//!
//! Parsing goes through serde_norway (which bounds alias expansion and nesting
//! depth, so a YAML bomb is an error, not a hang). serde keeps no positions, so
//! a second, event-level pass (saphyr-parser, which never expands aliases) maps
//! every YAML path to its line and column. That pass runs only for files that
//! have something to report, keeping the clean path fast.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use saphyr_parser::{Event, Parser, Span};

use super::diagnostic::{Diagnostic, Pos};

/// Largest YAML file vmsops reads. A real site is far below; past this it is a mistake.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A path into a YAML document, e.g. `cameras[3].recording.fps`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct YamlPath(pub Vec<Seg>);

impl YamlPath {
    /// The document root.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by a key.
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    /// This path extended by an index.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    /// The path without its last step.
    pub fn parent(&self) -> Option<Self> {
        let mut p = self.clone();
        p.0.pop().map(|_| p)
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Where a node and, for mapping values, its key are.
#[derive(Debug, Clone, Copy)]
struct Located {
    key: Option<Pos>,
    value: Pos,
}

/// A YAML file as read from the repository, with lazy positions.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    /// The whole text.
    pub text: String,
    line_starts: Vec<usize>,
    index: OnceLock<HashMap<YamlPath, Located>>,
}

impl SourceFile {
    /// Wraps a text read from `path`.
    pub fn new(path: impl Into<String>, text: String) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            path: path.into(),
            text,
            line_starts,
            index: OnceLock::new(),
        }
    }

    /// The position of a 1-based line and 1-based character column, spanning to the end of that line's token.
    pub fn pos_at(&self, line: usize, column: usize) -> Pos {
        let line = line.clamp(1, self.line_starts.len());
        let start = self.line_starts[line - 1];
        let line_text = self.line_text(line);
        let col_bytes: usize = line_text
            .chars()
            .take(column.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        let rest = &line_text[col_bytes.min(line_text.len())..];
        let len = rest
            .find(|c: char| c.is_whitespace())
            .unwrap_or(rest.len())
            .max(usize::from(!rest.is_empty()));
        Pos {
            line,
            column: column.max(1),
            offset: start + col_bytes.min(line_text.len()),
            len,
        }
    }

    fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    fn pos_of_span(&self, span: &Span) -> Pos {
        let start = self.pos_at(span.start.line(), span.start.col() + 1);
        let len = if span.end.line() == span.start.line() && span.end.col() > span.start.col() {
            let line_text = self.line_text(start.line);
            line_text
                .chars()
                .skip(span.start.col())
                .take(span.end.col() - span.start.col())
                .map(char::len_utf8)
                .sum()
        } else {
            // A collection or a multi-line scalar: underline the rest of its first line.
            let line_text = self.line_text(start.line);
            let line_start = self.line_starts[start.line - 1];
            line_text
                .trim_end()
                .len()
                .saturating_sub(start.offset - line_start)
                .max(1)
        };
        Pos { len, ..start }
    }

    /// Where the value at `path` is, or the closest enclosing node that exists.
    pub fn locate_value(&self, path: &YamlPath) -> Pos {
        self.locate(path, false)
    }

    /// Where the key of the mapping entry at `path` is (the value's position for sequence items).
    pub fn locate_key(&self, path: &YamlPath) -> Pos {
        self.locate(path, true)
    }

    fn locate(&self, path: &YamlPath, want_key: bool) -> Pos {
        let index = self.index.get_or_init(|| build_index(self));
        let mut p = path.clone();
        loop {
            if let Some(l) = index.get(&p) {
                return if want_key {
                    l.key.unwrap_or(l.value)
                } else {
                    l.value
                };
            }
            match p.parent() {
                Some(parent) => p = parent,
                None => return self.pos_at(1, 1),
            }
        }
    }
}

enum Frame {
    Map {
        path: YamlPath,
        pending_key: Option<(String, Pos)>,
    },
    Seq {
        path: YamlPath,
        next: usize,
    },
    /// A collection used as a mapping key: its content has no path.
    ComplexKey,
}

/// Walks the parser's events once and records where every path starts.
fn build_index(file: &SourceFile) -> HashMap<YamlPath, Located> {
    let mut index = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut parser = Parser::new_from_str(&file.text);
    while let Some(Ok((event, span))) = parser.next_event() {
        let is_node = matches!(
            event,
            Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(_)
        );
        if is_node {
            let pos = file.pos_of_span(&span);
            // Where does this node sit: as a key, a value, an item, or the root?
            let (path, is_key) = match stack.last_mut() {
                None => (Some(YamlPath::root()), false),
                Some(Frame::ComplexKey) => (None, false),
                Some(Frame::Seq { path, next }) => {
                    let p = path.index(*next);
                    *next += 1;
                    (Some(p), false)
                }
                Some(Frame::Map { path, pending_key }) => match pending_key.take() {
                    None => {
                        let key = match &event {
                            Event::Scalar(v, ..) => v.to_string(),
                            _ => "?".to_string(),
                        };
                        *pending_key = Some((key, pos));
                        (None, true)
                    }
                    Some((key, key_pos)) => {
                        let p = path.key(&key);
                        index.insert(
                            p.clone(),
                            Located {
                                key: Some(key_pos),
                                value: pos,
                            },
                        );
                        (Some(p), false)
                    }
                },
            };
            if let Some(p) = &path {
                index.entry(p.clone()).or_insert(Located {
                    key: None,
                    value: pos,
                });
            }
            match event {
                Event::SequenceStart(..) => stack.push(match path {
                    Some(path) if !is_key => Frame::Seq { path, next: 0 },
                    _ => Frame::ComplexKey,
                }),
                Event::MappingStart(..) => stack.push(match path {
                    Some(path) if !is_key => Frame::Map {
                        path,
                        pending_key: None,
                    },
                    _ => Frame::ComplexKey,
                }),
                _ => {}
            }
        } else if matches!(event, Event::SequenceEnd | Event::MappingEnd) {
            stack.pop();
        }
    }
    index
}

/// Checks the bytes of a file and decodes them as UTF-8 text.
pub fn decode(path: &str, bytes: Vec<u8>) -> Result<String, Box<Diagnostic>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Box::new(
            Diagnostic::error(
                "file::too-large",
                format!(
                    "{path} is {} bytes; vmsops reads YAML files up to {} bytes",
                    bytes.len(),
                    MAX_FILE_BYTES
                ),
            )
            .in_file(path)
            .with_help("split the cameras over several files under cameras/, or check that this is the file you meant"),
        ));
    }
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(Box::new(
            Diagnostic::error(
                "file::binary",
                format!("{path} is a binary file (NUL byte at offset {at}), not YAML"),
            )
            .in_file(path)
            .with_help("site.yaml and cameras/*.yaml must be UTF-8 YAML text"),
        ));
    }
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Ok(text)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let line = 1 + bytes[..at].iter().filter(|b| **b == b'\n').count();
            Err(Box::new(
                Diagnostic::error(
                    "file::not-utf8",
                    format!("{path} is not valid UTF-8 (line {line}, byte offset {at})"),
                )
                .in_file(path)
                .with_help("save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"),
            ))
        }
    }
}

/// Parses the YAML text of `file` into a generic value.
pub fn parse(file: &SourceFile) -> Result<serde_norway::Value, Box<Diagnostic>> {
    serde_norway::from_str(&file.text).map_err(|e| {
        let pos = e.location().map(|l| file.pos_at(l.line(), l.column()));
        let message = strip_location(&e.to_string());
        let help = if message.contains("recursion limit") || message.contains("repetition limit") {
            "remove the deeply nested structure or the repeated aliases (anchors `&` / `*`): vmsops refuses documents that expand beyond a safe size"
        } else if message.contains("more than one document") {
            "keep one YAML document per file (remove the `---` separators) or split the file"
        } else {
            "fix the YAML syntax at this position (indentation, a missing `:` or an unclosed quote or bracket)"
        };
        let d = Diagnostic::error("yaml::syntax", format!("invalid YAML: {message}"))
            .in_file(&file.path)
            .with_help(help);
        Box::new(match pos {
            Some(p) => d.at(p, "here"),
            None => d,
        })
    })
}

/// serde_norway appends "at line L column C" to its messages; the diagnostic shows that already.
fn strip_location(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + " at line ".len()..];
        let digits = after.trim_start_matches(|c: char| c.is_ascii_digit());
        if let Some(col) = digits.strip_prefix(" column ") {
            rest = col.trim_start_matches(|c: char| c.is_ascii_digit());
        } else {
            out.push_str(" at line ");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("f.yaml", text.to_string())
    }

    #[test]
    fn locates_nested_values_and_keys() {
        let f = file("a: 1\ncameras:\n  - id: x\n    recording:\n      fps: 200\n");
        let p = YamlPath::root()
            .key("cameras")
            .index(0)
            .key("recording")
            .key("fps");
        let v = f.locate_value(&p);
        assert_eq!((v.line, v.column, v.len), (5, 12, 3));
        let k = f.locate_key(&p);
        assert_eq!((k.line, k.column), (5, 7));
        assert_eq!(&f.text[v.offset..v.offset + v.len], "200");
    }

    #[test]
    fn missing_path_falls_back_to_nearest_parent() {
        let f = file("cameras:\n  - id: x\n");
        let p = YamlPath::root().key("cameras").index(0).key("nope");
        assert_eq!(f.locate_value(&p).line, 2);
    }

    #[test]
    fn flow_sequences_are_indexed() {
        let f = file("days: [mon, tue, xyz]\n");
        let p = YamlPath::root().key("days").index(2);
        let v = f.locate_value(&p);
        assert_eq!((v.line, v.column, v.len), (1, 18, 3));
    }

    #[test]
    fn non_ascii_columns_become_byte_offsets() {
        let f = file("name: \"Hall d'entrée\"\nfps: 7\n");
        let v = f.locate_value(&YamlPath::root().key("fps"));
        assert_eq!(&f.text[v.offset..v.offset + v.len], "7");
    }

    #[test]
    fn syntax_error_is_located() {
        let f = file("a: 1\nb: [1, 2\nc: 3\n");
        let d = parse(&f).unwrap_err();
        assert!(d.line.is_some());
        assert!(!d.message.contains("at line"), "{}", d.message);
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let d = parse(&file(&text)).unwrap_err();
        assert!(d.message.contains("repetition limit"), "{}", d.message);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let d = parse(&file(&text)).unwrap_err();
        assert!(d.message.contains("recursion limit"), "{}", d.message);
    }

    #[test]
    fn decode_rejects_binary_and_latin1() {
        assert_eq!(
            decode("x", vec![b'a', 0, b'b']).unwrap_err().code,
            "file::binary"
        );
        assert_eq!(
            decode("x", vec![b'a', 0xe9, b'\n']).unwrap_err().code,
            "file::not-utf8"
        );
        assert_eq!(decode("x", "\u{feff}a: 1".into()).unwrap(), "a: 1");
    }

    #[test]
    fn strip_location_keeps_the_message() {
        assert_eq!(
            strip_location("did not find expected key at line 3 column 5, while parsing a block mapping at line 1 column 1"),
            "did not find expected key, while parsing a block mapping"
        );
    }
}
