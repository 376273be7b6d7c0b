//! `nominative` (PROC-VMS-001 §01): the operator and every commit author are named persons.
//!
//! An identity is generic when its name, its email, or its email's local part
//! (without a `+suffix`) is in the trusted `generic_identities`, compared
//! without regard to case. Only a generic identity may be let through by an
//! emergency; an empty operator or an author without a name never is.

use super::{bypassable, check, short, verdict, GateInput, Mode};
use crate::plan::{Verdict, VerdictStatus};

/// The generic identity that `name` / `email` is, if any.
pub(super) fn generic<'p>(generic: &'p [String], name: &str, email: &str) -> Option<&'p str> {
    let name = name.trim();
    let email = email.trim();
    let local = email.split_once('@').map_or(email, |(l, _)| l);
    let local = local.split_once('+').map_or(local, |(l, _)| l);
    generic.iter().map(|g| g.trim()).find(|g| {
        !g.is_empty()
            && [name, email, local]
                .iter()
                .any(|s| !s.is_empty() && s.eq_ignore_ascii_case(g))
    })
}

/// The verdict, and whether the emergency let a generic identity through.
pub(super) fn check(input: &GateInput<'_>, emergency: Option<&str>) -> (Verdict, bool) {
    let ids = &input.policy.generic_identities;
    let mut hard = Vec::new();
    let mut soft = Vec::new();
    let mut named = Vec::new();
    match input.operator.map(str::trim) {
        None if input.mode == Mode::Plan => {}
        None | Some("") => hard.push(
            "no operator was given: name yourself with --operator or VMSOPS_OPERATOR".to_string(),
        ),
        Some(op) => match generic(ids, op, op) {
            Some(g) => soft.push(format!(
                "operator `{op}` is the generic identity `{g}`: act under your own name (--operator)"
            )),
            None => named.push(format!("operator {op}")),
        },
    }
    let mut authors = 0;
    for c in input.commits {
        let who = format!("{} <{}>", c.author_name, c.author_email);
        if c.author_name.trim().is_empty() {
            hard.push(format!(
                "commit {} has no author name: recommit it under a named author",
                short(&c.id)
            ));
        } else if let Some(g) = generic(ids, &c.author_name, &c.author_email) {
            soft.push(format!(
                "commit {} is authored by `{who}`, the generic identity `{g}`: recommit it under a named author (git commit --amend --reset-author)",
                short(&c.id)
            ));
        } else {
            authors += 1;
        }
    }
    if authors > 0 {
        named.push(format!(
            "{authors} commit{} by named authors",
            if authors == 1 { "" } else { "s" }
        ));
    }
    if !hard.is_empty() {
        hard.extend(soft);
        let v = verdict(check::NOMINATIVE, VerdictStatus::Refused, hard.join("; "));
        return (v, false);
    }
    if !soft.is_empty() {
        return bypassable(check::NOMINATIVE, soft.join("; "), emergency);
    }
    let mut message = if named.is_empty() {
        "no identity to check".to_string()
    } else {
        named.join(", ")
    };
    if input.operator.is_none() && input.mode == Mode::Plan {
        message.push_str("; the operator is checked at apply");
    }
    (
        verdict(check::NOMINATIVE, VerdictStatus::Allowed, message),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::tests::{commit, fixture};
    use crate::model::CommitFacts;

    #[test]
    fn generic_identities_by_name_email_or_local_part() {
        let ids: Vec<String> = ["admin", "root", "administrator"]
            .map(String::from)
            .to_vec();
        let cases = [
            ("Admin", "admin@site.example", Some("admin")),
            ("Jeanne Martin", "ROOT@site.example", Some("root")),
            ("Jeanne Martin", "root+ops@site.example", Some("root")),
            ("ADMINISTRATOR", "jm@site.example", Some("administrator")),
            ("admin", "", Some("admin")),
            ("Jeanne Martin", "jm@site.example", None),
            ("Admin Istrator", "admin.istrator@site.example", None),
            ("rootkit", "rootkit@site.example", None),
            ("", "", None),
        ];
        for (name, email, want) in cases {
            assert_eq!(generic(&ids, name, email), want, "{name} <{email}>");
        }
    }

    /// mode, operator, commits, emergency reason, expected status, message fragment.
    type Case<'a> = (
        Mode,
        Option<&'a str>,
        Vec<CommitFacts>,
        Option<&'a str>,
        VerdictStatus,
        &'a str,
    );

    #[test]
    fn operators_and_authors() {
        let f = fixture();
        let jm = commit("c1", "Jeanne Martin", "jm@site.example", &[]);
        let admin = commit("c2", "Admin", "admin@site.example", &[]);
        let nameless = commit("c3", " ", "x@site.example", &[]);
        use VerdictStatus::*;
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            (Mode::Apply, Some("jm"), vec![jm.clone()], None, Allowed, "operator jm"),
            (Mode::Apply, Some("Root"), vec![jm.clone()], None, Refused, "generic identity `root`"),
            (Mode::Apply, Some("admin@site.example"), vec![], None, Refused, "--operator"),
            (Mode::Apply, Some(""), vec![jm.clone()], None, Refused, "no operator"),
            (Mode::Apply, Some("  "), vec![], Some("fire"), Refused, "no operator"),
            (Mode::Apply, None, vec![], None, Refused, "no operator"),
            (Mode::Plan, None, vec![jm.clone()], None, Allowed, "checked at apply"),
            (Mode::Plan, None, vec![jm.clone(), admin.clone()], None, Refused, "Admin <admin@site.example>"),
            (Mode::Apply, Some("jm"), vec![admin.clone()], Some("site down"), Warning, "emergency: site down"),
            (Mode::Apply, Some("root"), vec![], Some("site down"), Warning, "emergency: site down"),
            (Mode::Apply, Some("root"), vec![], Some("  "), Refused, "generic identity"),
            (Mode::Apply, Some("jm"), vec![nameless.clone()], Some("site down"), Refused, "no author name"),
            (Mode::Restore, Some("admin"), vec![], None, Refused, "generic identity"),
        ];
        for (mode, operator, commits, emergency, want, fragment) in cases {
            let mut input = f.input(mode);
            input.operator = operator;
            input.commits = &commits;
            input.emergency = emergency;
            let (v, used) = check(&input, input.emergency_reason());
            assert_eq!(v.status, want, "{operator:?} {commits:?}: {}", v.message);
            assert!(v.message.contains(fragment), "{}", v.message);
            assert_eq!(used, want == Warning);
        }
    }
}
