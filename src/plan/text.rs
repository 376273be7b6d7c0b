//! The Terraform-like text rendering of a plan, for a terminal or a CI log.
//!
//! Colours only through [`Style`], so that `Style { color: false }` never
//! emits an escape sequence; never decides anything about the plan it shows.

use std::io::Write;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::document::{DriftStatus, PlanDocument, SitePlan};
use super::effect::{class_name, Effect};
use super::style::Style;
use super::{Change, OpKind, Operation, VerdictStatus};

/// Rendered text is handed to the writer once it reaches this size.
const SPILL_BYTES: usize = 1 << 16;

/// Renders a plan; `style` decides colours.
pub fn render(doc: &PlanDocument, style: Style) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = render_to(doc, style, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Renders a plan to `w` as it goes, one site's escaped copy and at most
/// [`SPILL_BYTES`] of text in memory at a time.
pub fn render_to(doc: &PlanDocument, style: Style, w: &mut dyn Write) -> std::io::Result<()> {
    let mut out = String::new();
    for site in &doc.sites {
        // Every string from outside is escaped before any colour is added.
        render_site(&mut out, &site.terminal_safe(), style, w)?;
    }
    let s = &doc.summary;
    let line = s.line();
    out.push_str(&style.bold(&line));
    let gated = doc
        .sites
        .iter()
        .flat_map(|x| &x.operations)
        .any(|o| !o.verdicts.is_empty());
    if s.refused > 0 {
        out.push_str(&format!(
            " {}",
            style.red(&format!("Gate: {} refused.", s.refused))
        ));
    } else if gated {
        out.push_str(&format!(
            " {}",
            style.green("Gate: every operation allowed.")
        ));
    }
    if s.findings > 0 {
        out.push_str(&format!(
            " {} {}.",
            s.findings,
            if s.findings == 1 {
                "finding"
            } else {
                "findings"
            }
        ));
    }
    if s.errors > 0 {
        out.push_str(&format!(
            " {}",
            style.red(&format!("{} site(s) could not be planned.", s.errors))
        ));
    }
    out.push('\n');
    w.write_all(out.as_bytes())
}

/// Hands `out` to `w` once it is large; what is handed over is cleared.
fn spill(out: &mut String, w: &mut dyn Write) -> std::io::Result<()> {
    if out.len() >= SPILL_BYTES {
        w.write_all(out.as_bytes())?;
        out.clear();
    }
    Ok(())
}

/// A commit's short id, or `work tree`.
fn short(commit: &Option<String>) -> String {
    match commit {
        Some(c) => crate::model::short_id(c).to_string(),
        None => "work tree".into(),
    }
}

/// One site: its heading, commits, status, operations, findings and unmanaged fields.
/// The drift status line, and when drifted what changed in the VMS since the last apply.
fn render_status(out: &mut String, site: &SitePlan, status: DriftStatus, style: Style) {
    let (line, paint): (String, fn(&Style, &str) -> String) = match status {
        DriftStatus::InSync => ("in-sync: the VMS matches what was applied and what is desired".into(), Style::green),
        DriftStatus::Pending => (
            format!(
                "pending: the VMS matches what was applied; {} waiting to be applied (approval or window)",
                plural(site.operations.len(), "change")
            ),
            Style::yellow,
        ),
        DriftStatus::Drifted => ("drifted: the VMS changed outside vmsops".into(), Style::red),
        DriftStatus::Unknown => ("unknown: drift cannot be checked".into(), Style::red),
    };
    out.push_str(&format!("  status: {}\n", paint(&style, &line)));
    if status == DriftStatus::Drifted && !site.drift.is_empty() {
        out.push_str("  changed in the VMS since the last apply:\n");
        for op in &site.drift {
            let paths: Vec<&str> = op.changes.iter().map(|c| c.path.as_str()).collect();
            out.push_str(&format!(
                "    {} {}{}\n",
                op.op.as_str(),
                op.target,
                if paths.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", paths.join(", "))
                }
            ));
        }
    }
}

/// The line for a site with nothing to apply; a drifted one says how to record that.
fn no_changes(site: &SitePlan) -> &'static str {
    if site.status == Some(DriftStatus::Drifted) && !site.drift.is_empty() {
        "  The desired state now matches the VMS: apply it to record it as applied.\n"
    } else {
        "  No changes: the VMS matches the desired state.\n"
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn render_site(
    out: &mut String,
    site: &SitePlan,
    style: Style,
    w: &mut dyn Write,
) -> std::io::Result<()> {
    out.push_str(&style.bold(&format!(
        "{} — {} at {}, desired {}\n",
        site.site,
        site.driver,
        site.url,
        short(&site.desired_commit)
    )));
    if let Some(status) = site.status {
        render_status(out, site, status, style);
    }
    for note in &site.notes {
        out.push_str(&format!("  {}\n", style.yellow(&format!("! {note}"))));
    }
    if let Some(git) = site.git.as_ref().filter(|g| !g.commits.is_empty()) {
        out.push_str(&format!(
            "  changes since {}:\n",
            crate::model::short_id(&git.base)
        ));
        for c in &git.commits {
            let tickets = if c.tickets.is_empty() {
                String::new()
            } else {
                format!(" [{}]", c.tickets.join(", "))
            };
            out.push_str(&format!(
                "    {} {} — {} <{}>{}\n",
                crate::model::short_id(&c.id),
                c.summary,
                c.author_name,
                c.author_email,
                tickets
            ));
        }
    }
    if let Some(e) = &site.error {
        out.push_str(&format!("  {}\n\n", style.red(&format!("error: {e}"))));
        return spill(out, w);
    }
    if site.operations.is_empty() {
        out.push_str(no_changes(site));
    }
    // Checks about the whole change are shown once, not under every operation.
    let common = super::common_verdicts(&site.operations);
    if !common.is_empty() {
        out.push_str("\n  Gate, for the whole change:\n");
        render_verdicts(out, &common, style);
    }
    for op in &site.operations {
        out.push('\n');
        render_op(out, op, &common, style);
        spill(out, w)?;
    }
    if !site.findings.is_empty() {
        out.push_str("\n  Findings:\n");
        for f in &site.findings {
            out.push_str(&format!(
                "    {} {} {}: {}\n",
                style.yellow("!"),
                f.kind,
                f.target,
                f.message
            ));
        }
    }
    if !site.unmanaged.is_empty() {
        out.push_str(&format!(
            "\n  {}\n",
            style.dim("Not managed by this driver (informational):")
        ));
        for u in &site.unmanaged {
            out.push_str(&format!(
                "    {}\n",
                style.dim(&format!("{}: {}", u.field, u.reason))
            ));
        }
    }
    out.push('\n');
    spill(out, w)
}

/// What an operation acts on, and what happens to it.
fn noun(op: OpKind) -> (&'static str, &'static str) {
    match op {
        OpKind::CameraCreate => ("camera", "created"),
        OpKind::CameraUpdate => ("camera", "updated in place"),
        OpKind::CameraDelete => ("camera", "removed"),
        OpKind::AlertCreate => ("alert", "created"),
        OpKind::AlertUpdate => ("alert", "updated in place"),
        OpKind::AlertDelete => ("alert", "removed"),
        OpKind::SettingsUpdate => ("settings", "updated"),
        OpKind::PolicyChange => ("policy", "changed"),
    }
}

/// One line per verdict, marked and coloured by its status.
fn render_verdicts<'a>(
    out: &mut String,
    verdicts: impl IntoIterator<Item = &'a super::Verdict>,
    style: Style,
) {
    for v in verdicts {
        let (paint, mark): (fn(&Style, &str) -> String, &str) = match v.status {
            VerdictStatus::Refused => (Style::red, "✗ refused by"),
            VerdictStatus::Warning => (Style::yellow, "!"),
            VerdictStatus::Allowed => (Style::dim, "✓"),
        };
        let line = format!("{mark} {}: {}", v.check, v.message);
        out.push_str(&format!("    {}\n", paint(&style, &line)));
    }
}

/// One operation: its heading, its changes, then the verdicts not shown for the whole change.
fn render_op(out: &mut String, op: &Operation, common: &[super::Verdict], style: Style) {
    let (kind, verb) = noun(op.op);
    out.push_str(&style.dim(&format!(
        "  # {kind} {} will be {verb} [{}]\n",
        op.target,
        class_name(op.class)
    )));
    let effect = Effect::of(op.op);
    let paint: fn(&Style, &str) -> String = match effect {
        Effect::Add => Style::green,
        Effect::Remove => Style::red,
        Effect::Change => Style::yellow,
    };
    out.push_str(&format!(
        "  {} {kind} \"{}\" {{\n",
        paint(&style, effect.symbol()),
        op.target
    ));
    let width = op.changes.iter().map(|c| c.path.len()).max().unwrap_or(0);
    for c in &op.changes {
        render_change(out, c, effect, width, style);
    }
    out.push_str("    }\n");
    render_verdicts(
        out,
        op.verdicts.iter().filter(|v| !common.contains(v)),
        style,
    );
}

/// A JSON value on one line.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// The lines of a list value (`null` is no line); `None` for a scalar.
fn lines_of(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Array(items) => Some(items.iter().map(scalar).collect()),
        Value::Null => Some(Vec::new()),
        _ => None,
    }
}

/// One field change: a line diff for lists, `from -> to` for scalars.
fn render_change(out: &mut String, c: &Change, effect: Effect, width: usize, style: Style) {
    let sym = effect.symbol();
    let list = matches!(c.from, Value::Array(_)) || matches!(c.to, Value::Array(_));
    if list {
        if let (Some(from), Some(to)) = (lines_of(&c.from), lines_of(&c.to)) {
            out.push_str(&format!("      {} {} = [\n", style.yellow(sym), c.path));
            let (a, b) = (from.join("\n") + "\n", to.join("\n") + "\n");
            let diff = TextDiff::from_lines(&a, &b);
            for change in diff.iter_all_changes() {
                let text = change.value().trim_end_matches('\n');
                if text.is_empty() {
                    continue;
                }
                match change.tag() {
                    ChangeTag::Delete => {
                        out.push_str(&format!("          {}\n", style.red(&format!("- {text},"))))
                    }
                    ChangeTag::Insert => out.push_str(&format!(
                        "          {}\n",
                        style.green(&format!("+ {text},"))
                    )),
                    ChangeTag::Equal => out.push_str(&format!("            {text},\n")),
                }
            }
            out.push_str("        ]\n");
            return;
        }
    }
    let value = match effect {
        Effect::Add => style.green(&scalar(&c.to)),
        Effect::Remove => style.red(&scalar(&c.from)),
        Effect::Change => format!(
            "{} -> {}",
            style.red(&scalar(&c.from)),
            style.green(&scalar(&c.to))
        ),
    };
    out.push_str(&format!(
        "      {} {:<width$} = {value}\n",
        style.yellow(sym),
        c.path
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_operation() {
        let out = render(&super::super::document::sample(), Style { color: false });
        insta::assert_snapshot!(out);
    }

    #[test]
    fn colours_only_when_asked() {
        let doc = super::super::document::sample();
        assert!(!render(&doc, Style { color: false }).contains('\u{1b}'));
        assert!(render(&doc, Style { color: true }).contains("\u{1b}[32m"));
    }

    #[test]
    fn each_drift_status() {
        let doc = super::super::document::statuses();
        insta::assert_snapshot!(render(&doc, Style { color: false }));
    }

    // Regression: VMS values with ESC, BEL or newlines reached the terminal raw and could forge a `Plan:` line.
    #[test]
    fn values_from_a_vms_are_escaped() {
        let (doc, check) = super::super::document::hostile();
        check(&render(&doc, Style { color: true }));
    }
}
