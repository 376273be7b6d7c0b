//! The journal and the monthly review as text for a terminal and markdown for a ticket or a PR.
//!
//! Returns strings and never prints (that is the command layer's job); it
//! decides nothing either: what is listed is the review's choice.

use crate::safe_text::terminal;
use std::fmt::Write;

use super::entry::Entry;
use super::review::{Category, Finding, Review, Source};

/// One line per entry, for `audit log`.
pub fn log_text(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        // Every value came from a repository, a VMS or a person: never raw to a terminal.
        let mut line = String::new();
        let _ = write!(
            line,
            "#{}  {}  {}  {}  {}",
            e.seq,
            e.at,
            e.site.as_deref().unwrap_or("-"),
            e.operator.as_deref().unwrap_or("-"),
            e.action
        );
        if let Some(t) = &e.target {
            let _ = write!(line, " {t}");
        }
        let _ = write!(line, "  {}", e.result.as_str());
        let mut extra: Vec<String> = Vec::new();
        if let Some(t) = &e.ticket {
            extra.push(format!("ticket={t}"));
        }
        if let Some(c) = &e.commit {
            extra.push(format!("commit={}", crate::model::short_id(c)));
        }
        if let Some(a) = &e.approval {
            extra.push(format!("approval={}", a.tag));
        }
        if let Some(s) = &e.snapshot {
            extra.push(format!("snapshot={s}"));
        }
        if let Some(r) = &e.emergency {
            extra.push(format!("emergency={r:?}"));
        }
        if let Some(err) = e
            .detail
            .as_ref()
            .and_then(|d| d.get("error"))
            .and_then(|v| v.as_str())
        {
            extra.push(format!("error={err:?}"));
        }
        if !extra.is_empty() {
            let _ = write!(line, "  {}", extra.join(" "));
        }
        out.push_str(&crate::safe_text::terminal(&line));
        out.push('\n');
    }
    if entries.is_empty() {
        out.push_str("No journal entries.\n");
    }
    out
}

/// The finding's entry number, marked `VMS` when it is from the VMS's journal.
fn reference(f: &Finding) -> String {
    match f.source {
        Source::Vmsops => format!("#{}", f.seq),
        Source::Vms => format!("VMS #{}", f.seq),
    }
}

/// The action and its target.
fn what(f: &Finding) -> String {
    let mut s = f.action.clone();
    if let Some(t) = &f.target {
        s.push(' ');
        s.push_str(t);
    }
    s
}

/// The findings grouped in [`Category::ALL`] order, empty categories left out.
fn by_category(r: &Review) -> Vec<(Category, Vec<&Finding>)> {
    Category::ALL
        .iter()
        .map(|c| (*c, r.findings.iter().filter(|f| f.category == *c).collect()))
        .filter(|(_, fs): &(Category, Vec<&Finding>)| !fs.is_empty())
        .collect()
}

/// The last sentence: how many items to investigate.
fn closing(r: &Review) -> String {
    let n = r.anomalies();
    if n == 0 {
        "Nothing to investigate.".into()
    } else {
        format!(
            "{n} item{} to investigate (PROC-VMS-001 §04).",
            if n == 1 { "" } else { "s" }
        )
    }
}

/// The review for a terminal.
pub fn review_text(r: &Review) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Audit review of {} (UTC, {} to {})",
        r.month, r.from, r.to
    );
    let _ = writeln!(
        out,
        "vmsops journal: {} entr{} this month; VMS journals: {} entr{} this month",
        r.entries,
        if r.entries == 1 { "y" } else { "ies" },
        r.vms_entries,
        if r.vms_entries == 1 { "y" } else { "ies" },
    );
    if let Some(b) = &r.journal_break {
        let _ = writeln!(
            out,
            "\nThe journal's hash chain is broken: {b}\n  Entries after that point cannot be trusted; investigate before relying on this review."
        );
    }
    for (c, fs) in by_category(r) {
        let _ = writeln!(out, "\n{} ({})", c.title(), fs.len());
        for f in fs {
            // What a VMS journal says (its users, actions, targets) is escaped, never printed raw.
            let _ = writeln!(
                out,
                "  {}  {}  {}  {} by {} ({}): {}",
                terminal(f.site.as_deref().unwrap_or("-")),
                reference(f),
                f.at,
                terminal(&what(f)),
                terminal(f.who.as_deref().unwrap_or("?")),
                terminal(&f.result),
                terminal(&f.message)
            );
        }
    }
    if !r.notes.is_empty() {
        out.push_str("\nNotes\n");
        for n in &r.notes {
            let _ = writeln!(out, "  {}", terminal(n));
        }
    }
    if !r.errors.is_empty() {
        out.push_str("\nIncomplete\n");
        for e in &r.errors {
            let _ = writeln!(out, "  {}", terminal(e));
        }
    }
    let _ = writeln!(out, "\n{}", closing(r));
    out
}

/// Text made safe for a markdown table cell.
fn cell(s: &str) -> String {
    crate::safe_text::markdown(s)
}

/// The review in markdown (for a ticket, a wiki page or a PR comment).
pub fn review_markdown(r: &Review) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Audit review {}\n", r.month);
    let _ = writeln!(
        out,
        "Period (UTC): {} to {}. vmsops journal: {} entries; VMS journals: {} entries.\n",
        r.from, r.to, r.entries, r.vms_entries
    );
    let _ = writeln!(out, "**{}**\n", closing(r));
    if let Some(b) = &r.journal_break {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> The journal's hash chain is broken: {}\n",
            cell(b)
        );
    }
    for (c, fs) in by_category(r) {
        let _ = writeln!(out, "### {} ({})\n", c.title(), fs.len());
        out.push_str("| site | entry | at | operation | who | result | why |\n");
        out.push_str("|---|---|---|---|---|---|---|\n");
        for f in fs {
            let _ = writeln!(
                out,
                "| {} | {} | {} | `{}` | {} | {} | {} |",
                cell(f.site.as_deref().unwrap_or("-")),
                reference(f),
                f.at,
                cell(&what(f)),
                cell(f.who.as_deref().unwrap_or("?")),
                f.result,
                cell(&f.message)
            );
        }
        out.push('\n');
    }
    if !r.notes.is_empty() || !r.errors.is_empty() {
        out.push_str("### Notes\n\n");
        for n in r.errors.iter().chain(&r.notes) {
            let _ = writeln!(out, "- {}", cell(n));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Action, EntryResult, NewEntry};

    // Regression: `audit log` printed ESC and BEL from a ticket trailer raw to the terminal.
    #[test]
    fn the_log_never_prints_control_characters_from_a_value() {
        let mut n = NewEntry::new(
            jiff::Timestamp::UNIX_EPOCH,
            Action::CameraUpdate,
            EntryResult::Success,
        );
        n.ticket = Some("BI-2026-0001, WO-77\u{1b}[2J\u{1b}]0;pwned\u{7}".into());
        n.operator = Some("tech\r\n#99  forged line".into());
        let text = log_text(&[Entry::seal(n, 1, None)]);
        assert!(!text.contains(['\u{1b}', '\u{7}', '\r']), "{text:?}");
        assert_eq!(text.lines().count(), 1, "one line per entry: {text}");
        assert!(text.contains("WO-77"), "{text}");
    }
}
