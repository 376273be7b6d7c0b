//! Renders diagnostics as text with the offending line shown (miette).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use super::diagnostic::{Diagnostic, Severity};

/// The texts of the files that diagnostics point into, by repository path.
pub type Sources = HashMap<String, Arc<str>>;

/// Adapts a [`Diagnostic`] to miette's report handler.
struct Report<'a> {
    diag: &'a Diagnostic,
    source: Option<NamedSource<Arc<str>>>,
    related: Vec<Report<'a>>,
    related_message: Option<String>,
    related_span: Option<(usize, usize)>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.related_message {
            Some(m) => f.write_str(m),
            None => f.write_str(&self.diag.message),
        }
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.related_message.is_some() {
            return None;
        }
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match (self.related_message.is_some(), self.diag.severity) {
            (true, _) => miette::Severity::Advice,
            (false, Severity::Error) => miette::Severity::Error,
            (false, Severity::Warning) => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        if self.related_message.is_some() {
            return None;
        }
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let (span, label) = match self.related_message {
            Some(_) => (self.related_span?, None),
            None => (self.diag.span?, self.diag.label.clone()),
        };
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(label, SourceSpan::from(span)),
        )))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

fn named(sources: &Sources, file: Option<&String>) -> Option<NamedSource<Arc<str>>> {
    let file = file?;
    let text = sources.get(file)?;
    Some(NamedSource::new(file, Arc::clone(text)))
}

/// Renders one diagnostic; `color` selects the coloured theme.
pub fn render(diag: &Diagnostic, sources: &Sources, color: bool) -> String {
    let related = diag
        .related
        .iter()
        .map(|r| Report {
            diag,
            source: named(sources, Some(&r.file)),
            related: Vec::new(),
            related_message: Some(format!(
                "{} ({}:{}:{})",
                r.message, r.file, r.pos.line, r.pos.column
            )),
            related_span: Some((r.pos.offset, r.pos.len)),
        })
        .collect();
    let source = if diag.span.is_some() && !diag.conceal_source {
        named(sources, diag.file.as_ref())
    } else {
        None
    };
    let report = Report {
        diag,
        source,
        related,
        related_message: None,
        related_span: None,
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    if report.source.is_none() {
        match (&diag.file, diag.line, diag.column) {
            (Some(file), Some(l), Some(c)) if diag.conceal_source => out.push_str(&format!(
                "{file}:{l}:{c} (line not shown: it holds a secret)\n"
            )),
            (Some(file), Some(l), Some(c)) => out.push_str(&format!("{file}:{l}:{c}:\n")),
            (Some(file), _, _) => out.push_str(&format!("{file}:\n")),
            _ => {}
        }
    }
    // Rendering into a String cannot fail.
    let _ = handler.render_report(&mut out, &report);
    out
}
