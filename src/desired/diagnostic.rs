//! Diagnostics: one problem found in the desired state, with its place.
//!
//! A diagnostic is plain data (serialisable for `--format json`); rendering it
//! with the offending line underlined is miette's job, done in `render`.

use schemars::JsonSchema;
use std::fmt;

use serde::Serialize;

/// A place in a file. Lines and columns are 1-based (columns count characters);
/// `offset` and `len` are bytes, for underlining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset of the start.
    #[serde(skip)]
    pub offset: usize,
    /// Length in bytes of what to underline.
    #[serde(skip)]
    pub len: usize,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Makes the desired state unusable: exit 1.
    Error,
    /// Worth acting on, but the desired state is usable: exit 0.
    Warning,
}

/// A second place that explains a diagnostic (e.g. the first definition of a duplicate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Related {
    /// File of the other place.
    pub file: String,
    /// Its position.
    #[serde(flatten)]
    pub pos: Pos,
    /// What is there.
    pub message: String,
}

/// One problem in the desired state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable identifier of the kind of problem, e.g. `camera::duplicate-id`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The file, relative to the repository root.
    pub file: Option<String>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Byte span to underline.
    #[serde(skip)]
    pub span: Option<(usize, usize)>,
    /// Short text under the underline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// Other places involved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    /// The line holds a secret: show where it is, never what it says.
    #[serde(skip)]
    pub conceal_source: bool,
}

impl Diagnostic {
    /// A new error.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A new warning.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            file: None,
            line: None,
            column: None,
            span: None,
            label: None,
            help: None,
            related: Vec::new(),
            conceal_source: false,
        }
    }

    /// Marks the offending line as secret: it is located but not shown.
    pub fn concealed(mut self) -> Self {
        self.conceal_source = true;
        self
    }

    /// Sets the file.
    pub fn in_file(mut self, file: &str) -> Self {
        self.file = Some(file.to_string());
        self
    }

    /// Sets the position and the text under the underline.
    pub fn at(mut self, pos: Pos, label: impl Into<String>) -> Self {
        self.line = Some(pos.line);
        self.column = Some(pos.column);
        self.span = Some((pos.offset, pos.len));
        self.label = Some(label.into());
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a related place.
    pub fn with_related(mut self, file: &str, pos: Pos, message: impl Into<String>) -> Self {
        self.related.push(Related {
            file: file.to_string(),
            pos,
            message: message.into(),
        });
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line, self.column) {
            (Some(file), Some(l), Some(c)) => write!(f, "{file}:{l}:{c}: {}", self.message),
            (Some(file), _, _) => write!(f, "{file}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}
