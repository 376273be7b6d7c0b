//! What an apply's automatic rollback put back and what it left alone, as text.

use vmsops::ops::apply::{ApplyReport, RollbackMethod};
use vmsops::plan::style::Style;
use vmsops::safe_text::terminal;

/// The rollback's lines: the objects put back, each one left alone and why, or the full import.
pub fn render(r: &ApplyReport, style: Style, out: &mut String) {
    let Some(rb) = &r.rollback else {
        return;
    };
    let site = &r.site;
    match &rb.method {
        RollbackMethod::FullImport { why } => {
            if rb.error.is_none() {
                out.push_str(&style.yellow(&format!(
                    "{site}: rolled back by one full import of the snapshot: {why}; changes made by others since the snapshot were overwritten\n"
                )));
            }
        }
        RollbackMethod::PerObject => {
            let targets: Vec<_> = rb.rolled_back.iter().map(|o| terminal(&o.target)).collect();
            let line = if targets.is_empty() {
                format!("{site}: rolled back: no object (nothing this apply wrote needed putting back)\n")
            } else {
                format!(
                    "{site}: rolled back: {} (as in the snapshot, If-Match on the versions this apply wrote)\n",
                    targets.join(", ")
                )
            };
            out.push_str(&line);
            for n in &rb.not_rolled_back {
                out.push_str(&style.yellow(&format!(
                    "{site}: not rolled back: {}\n",
                    terminal(&n.to_string())
                )));
            }
        }
    }
}
