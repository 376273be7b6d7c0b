//! The markdown rendering of a plan, for a pull-request comment.
//!
//! Stays under [`MAX_CHARS`]: past that, the remaining operations are counted,
//! not shown, and the reader is pointed at the JSON plan. Never lets user text
//! (names, messages, values) open HTML, break a table or close a code fence.

use serde_json::Value;

use super::document::{GitChanges, PlanDocument, SitePlan, Summary};
use super::effect::{class_name, Effect};
use super::{Operation, Verdict, VerdictStatus};
use crate::model::short_id;

/// Hard limit: GitHub refuses comments over 65,536 characters.
pub const MAX_CHARS: usize = 60_000;

/// Room for the closing note, whatever happens: sections stop fitting before this.
const BUDGET: usize = MAX_CHARS - 400;

/// Renders a plan as markdown of at most [`MAX_CHARS`] characters, under `### vmsops {title}`.
pub fn render(doc: &PlanDocument, title: &str) -> String {
    let doc = &doc.terminal_safe();
    let mut out = format!("### vmsops {}\n\n", escape(title));
    summary_table(&mut out, doc);
    let omitted: usize = doc.sites.iter().map(|s| push_site(&mut out, s)).sum();
    if omitted > 0 {
        out.push_str(&format!(
            "\n_…and {omitted} more operation(s) not shown to keep this comment under {MAX_CHARS} characters; run `vmsops plan --format json` for the full plan._\n"
        ));
    }
    out
}

/// True if `more` still fits after `out` within [`BUDGET`].
fn fits(out: &str, more: &str) -> bool {
    out.len() + more.len() <= BUDGET
}

/// The summary line, then one table row per site with its counts.
fn summary_table(out: &mut String, doc: &PlanDocument) {
    let s = &doc.summary;
    out.push_str(&format!("**{}**", s.line()));
    if s.refused > 0 {
        out.push_str(&format!(" ⛔ **{} refused by the gate.**", s.refused));
    }
    out.push_str("\n\n| site | desired | add | change | remove | refused | findings |\n|---|---|---:|---:|---:|---:|---:|\n");
    for site in &doc.sites {
        let one = Summary::of(std::slice::from_ref(site));
        let commit = site
            .desired_commit
            .as_deref()
            .map_or("work tree".to_string(), |c| format!("`{}`", short_id(c)));
        let status = if site.error.is_some() { " ❌" } else { "" };
        out.push_str(&format!(
            "| {}{status} | {commit} | {} | {} | {} | {} | {} |\n",
            escape(&site.site),
            one.add,
            one.change,
            one.remove,
            one.refused,
            one.findings
        ));
    }
}

/// Appends one site's section, as much of it as fits; returns how many operations were left out.
fn push_site(out: &mut String, site: &SitePlan) -> usize {
    let common = super::common_verdicts(&site.operations);
    let section = site_head(site, &common);
    if !fits(out, &section) {
        return site.operations.len();
    }
    out.push_str(&section);
    let mut omitted = 0;
    for op in &site.operations {
        let block = op_block(op, &common);
        if fits(out, &block) {
            out.push_str(&block);
        } else {
            omitted += 1;
        }
    }
    // Findings and unmanaged fields are dropped silently when they do not fit: they are not operations.
    for extra in [findings_block(site), unmanaged_line(site)]
        .into_iter()
        .flatten()
    {
        if fits(out, &extra) {
            out.push_str(&extra);
        }
    }
    omitted
}

/// A site's title, notes, commits, status and the gate's verdicts on the whole change.
fn site_head(site: &SitePlan, common: &[Verdict]) -> String {
    let mut section = format!("\n#### {}\n\n", escape(&site.site));
    if let Some(status) = site.status {
        section.push_str(&format!("**Status: {}**", status.as_str()));
        if status == super::document::DriftStatus::Drifted && !site.drift.is_empty() {
            let changed: Vec<String> = site
                .drift
                .iter()
                .map(|o| format!("`{} {}`", o.op.as_str(), escape(o.target.as_str())))
                .collect();
            section.push_str(&format!(
                " — changed in the VMS since the last apply: {}",
                changed.join(", ")
            ));
        }
        section.push_str("\n\n");
    }
    for n in &site.notes {
        section.push_str(&format!("> ⚠️ {}\n\n", escape(n)));
    }
    if let Some(git) = &site.git {
        section.push_str(&git_details(git));
    }
    if let Some(e) = &site.error {
        section.push_str(&format!("❌ could not be planned: {}\n", escape(e)));
    } else if site.operations.is_empty() && !site.drift.is_empty() {
        section
            .push_str("The desired state now matches the VMS: apply it to record it as applied.\n");
    } else if site.operations.is_empty() {
        section.push_str("No changes: the VMS matches the desired state.\n");
    }
    if !common.is_empty() {
        section.push_str("**Gate, for the whole change:**\n\n");
        for v in common {
            section.push_str(&format!(
                "- {} **{}**: {}\n",
                icon(v.status),
                v.check,
                escape(&v.message)
            ));
        }
        section.push('\n');
    }
    section
}

/// The commits since the base, folded.
fn git_details(git: &GitChanges) -> String {
    let mut s = format!(
        "<details><summary>{} commit(s) since <code>{}</code></summary>\n\n",
        git.commits.len(),
        short_id(&git.base)
    );
    for c in &git.commits {
        let tickets = if c.tickets.is_empty() {
            String::new()
        } else {
            format!(" — {}", escape(&c.tickets.join(", ")))
        };
        s.push_str(&format!(
            "- `{}` {} — {}{tickets}\n",
            short_id(&c.id),
            escape(&c.summary),
            escape(&c.author_name)
        ));
    }
    s.push_str("\n</details>\n\n");
    s
}

/// The site's findings, if any.
fn findings_block(site: &SitePlan) -> Option<String> {
    if site.findings.is_empty() {
        return None;
    }
    let mut f = String::from("\n**Findings**\n\n");
    for x in &site.findings {
        f.push_str(&format!(
            "- ⚠️ `{}` {}: {}\n",
            x.kind,
            escape(&x.target),
            escape(&x.message)
        ));
    }
    Some(f)
}

/// The fields this driver does not manage, on one small line, if any.
fn unmanaged_line(site: &SitePlan) -> Option<String> {
    if site.unmanaged.is_empty() {
        return None;
    }
    let fields = site
        .unmanaged
        .iter()
        .map(|x| format!("`{}`", x.field))
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!(
        "\n<sub>Not managed by this driver: {fields}</sub>\n"
    ))
}

/// A value on one line of a ```diff block: no newline, no fence.
fn value(v: &Value) -> String {
    match v {
        Value::Array(items) => items.iter().map(value).collect::<Vec<_>>().join("; "),
        Value::String(s) => s.replace(['\n', '\r'], " ").replace("```", "ˋˋˋ"),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// The mark of a verdict.
fn icon(status: VerdictStatus) -> &'static str {
    match status {
        VerdictStatus::Refused => "⛔",
        VerdictStatus::Warning => "⚠️",
        VerdictStatus::Allowed => "✅",
    }
}

/// One operation, folded: its changes as a diff, then the verdicts not shown for the whole change.
fn op_block(op: &Operation, common: &[Verdict]) -> String {
    let effect = Effect::of(op.op);
    let mark = if op.is_refused() { "⛔ " } else { "" };
    let mut b = format!(
        "<details><summary>{mark}<code>{} {} {}</code> — {}</summary>\n\n```diff\n",
        effect.symbol(),
        op.op.as_str(),
        escape(op.target.as_str()),
        class_name(op.class)
    );
    for c in &op.changes {
        if effect != Effect::Add {
            b.push_str(&format!("- {}: {}\n", c.path, value(&c.from)));
        }
        if effect != Effect::Remove {
            b.push_str(&format!("+ {}: {}\n", c.path, value(&c.to)));
        }
    }
    b.push_str("```\n");
    for v in op.verdicts.iter().filter(|v| !common.contains(v)) {
        b.push_str(&format!(
            "\n{} **{}**: {}\n",
            icon(v.status),
            v.check,
            escape(&v.message)
        ));
    }
    b.push_str("\n</details>\n");
    b
}

/// Keeps text from opening HTML, breaking a table, mentioning someone, linking or
/// carrying control characters.
fn escape(s: &str) -> String {
    crate::safe_text::markdown(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::document::{sample, PlanDocument};

    #[test]
    fn every_kind_of_operation() {
        insta::assert_snapshot!(render(&sample(), "plan"));
    }

    #[test]
    fn a_huge_plan_stays_under_the_limit_and_says_so() {
        let mut doc = sample();
        let op = doc.sites[0].operations[1].clone();
        doc.sites[0].operations = (0..5000)
            .map(|i| {
                let mut o = op.clone();
                o.target = crate::plan::Target::Camera(format!("cam-{i:05}"));
                o
            })
            .collect();
        let doc = PlanDocument::new(doc.sites);
        let out = render(&doc, "plan");
        assert!(out.chars().count() <= MAX_CHARS, "{}", out.len());
        assert!(out.len() <= MAX_CHARS);
        assert!(out.contains("more operation(s) not shown"));
        assert!(out.contains("Plan: 0 to add, 5000 to change, 0 to remove."));
    }

    #[test]
    fn user_text_cannot_break_out_of_its_block() {
        let mut doc = sample();
        doc.sites[0].operations[2].changes[0].to =
            serde_json::json!("x\n```\n<img src=x onerror=alert(1)>");
        doc.sites[0].findings[0].message = "<b>|</b>".into();
        let out = render(&doc, "plan");
        let fences = out.lines().filter(|l| l.starts_with("```")).count();
        assert_eq!(fences % 2, 0, "{out}");
        assert!(!out.contains("\n<img"), "{out}");
        assert!(out.contains("&lt;b&gt;\\|&lt;/b&gt;"), "{out}");
    }

    #[test]
    fn each_drift_status() {
        let doc = super::super::document::statuses();
        insta::assert_snapshot!(render(&doc, "drift"));
    }

    // Regression: VMS values with ESC, BEL or newlines reached the terminal raw and could forge a `Plan:` line.
    #[test]
    fn values_from_a_vms_are_escaped() {
        let (doc, check) = super::super::document::hostile();
        check(&render(&doc, "plan"));
    }
}
