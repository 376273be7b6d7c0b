//! ANSI colours for terminal output, off unless asked for.

/// Colours on or off.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Emit ANSI escape codes.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{s}\u{1b}[0m")
        } else {
            s.to_string()
        }
    }

    /// Additions.
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }

    /// Removals and refusals.
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }

    /// Changes and warnings.
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }

    /// Headings.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }

    /// Secondary text.
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}
