//! What `apply` shows while operations run: a progress bar on a terminal, else
//! one line per operation as it ends (a CI log follows the apply as it goes).

use std::io::{IsTerminal, Write};

use vmsops::ops::apply::{Outcome, Progress, StepResult};
use vmsops::plan::style::Style;
use vmsops::safe_text::terminal;

/// Where the lines of a run without a terminal go, and how they look.
#[derive(Debug, Clone, Copy)]
pub struct Lines {
    /// To stderr (stdout holds a JSON document), else to stdout.
    pub to_stderr: bool,
    /// Each line starts with the time it was written (`--log-format json`).
    pub timestamps: bool,
    /// Colours, when that stream is a terminal.
    pub style: Style,
}

/// A site's progress: a bar on a terminal, else a line per operation.
pub enum Reporter {
    /// indicatif's bar, on stderr.
    Bar(indicatif::ProgressBar),
    /// One flushed line per operation, as it ends.
    Lines(Lines),
}

impl Reporter {
    /// A bar when stderr is a terminal, else lines.
    pub fn new(site: &str, lines: Lines) -> Self {
        if !std::io::stderr().is_terminal() {
            return Reporter::Lines(lines);
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(site.to_string());
        Reporter::Bar(bar)
    }

    /// Whether each operation's line was already written (the report then leaves them out).
    pub fn streamed(&self) -> bool {
        matches!(self, Reporter::Lines(_))
    }

    /// Clears the bar before the report is printed.
    pub fn finish(&self) {
        if let Reporter::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Reporter {
    fn start(&self, total: usize) {
        if let Reporter::Bar(bar) = self {
            bar.set_length(total as u64);
        }
    }

    fn step(&self, r: &StepResult) {
        match self {
            Reporter::Bar(bar) => {
                bar.set_message(format!("{} {}", r.op.op.as_str(), r.op.target));
                bar.inc(1);
            }
            Reporter::Lines(l) => {
                let mut line = step_line(r, l.style);
                if l.timestamps {
                    line = format!("{} {}", jiff::Timestamp::now(), line.trim_start());
                }
                // Written and flushed now: a closed stream must not stop the apply.
                let _ = if l.to_stderr {
                    writeln!(std::io::stderr().lock(), "{line}")
                } else {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "{line}").and_then(|()| out.flush())
                };
            }
        }
    }
}

/// One operation's line: `  ✓ camera.create hall-01`, `  ✗ … : why`, `  - …: not attempted`.
pub fn step_line(s: &StepResult, style: Style) -> String {
    let what = format!("{} {}", s.op.op.as_str(), terminal(s.op.target.as_str()));
    match &s.outcome {
        Outcome::Succeeded => format!("  {} {what}", style.green("✓")),
        Outcome::Failed(e) => format!(
            "  {} {what}: {}",
            style.red("✗"),
            terminal(&vmsops::error_chain(e))
        ),
        Outcome::NotAttempted => format!("  {} {what}: not attempted", style.dim("-")),
    }
}
