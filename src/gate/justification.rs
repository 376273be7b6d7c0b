//! `justification` (PROC-VMS-001 §04): with `require_ticket`, a work order or request id.
//!
//! The ticket comes from `--ticket` / `VMSOPS_TICKET` or from `Ticket:`
//! trailers on the commits being applied. A blank value (`--ticket ""`) is not
//! a ticket. An emergency does not replace one.

use super::{check, short, verdict, GateInput};
use crate::plan::{Verdict, VerdictStatus};

/// The verdict and the ticket that justifies the change, if any.
pub(super) fn check(input: &GateInput<'_>) -> (Verdict, Option<String>) {
    let given = input.ticket.map(str::trim).filter(|t| !t.is_empty());
    let mut trailers: Vec<(&str, &str)> = Vec::new();
    for c in input.commits {
        for t in c.tickets.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
            if !trailers.iter().any(|(x, _)| *x == t) {
                trailers.push((t, &c.id));
            }
        }
    }
    let ticket = given.map(str::to_string).or_else(|| {
        (!trailers.is_empty()).then(|| {
            trailers
                .iter()
                .map(|(t, _)| *t)
                .collect::<Vec<_>>()
                .join(", ")
        })
    });
    let v = match (given, trailers.first()) {
        (Some(t), _) => verdict(
            check::JUSTIFICATION,
            VerdictStatus::Allowed,
            format!("ticket {t} (--ticket or VMSOPS_TICKET)"),
        ),
        (None, Some((_, id))) => verdict(
            check::JUSTIFICATION,
            VerdictStatus::Allowed,
            format!(
                "ticket {} (Ticket: trailer of commit {})",
                ticket.as_deref().unwrap_or_default(),
                short(id)
            ),
        ),
        (None, None) if input.policy.require_ticket => verdict(
            check::JUSTIFICATION,
            VerdictStatus::Refused,
            "no ticket: the policy requires a work order or request id; pass --ticket ID (or VMSOPS_TICKET), or add a `Ticket: ID` trailer to a commit of the change",
        ),
        (None, None) => verdict(
            check::JUSTIFICATION,
            VerdictStatus::Allowed,
            "no ticket, and the policy does not require one",
        ),
    };
    (v, ticket)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::tests::{commit, fixture};
    use crate::gate::Mode;
    use crate::model::CommitFacts;

    /// require_ticket, --ticket, commits, expected status, ticket found.
    type Case<'a> = (
        bool,
        Option<&'a str>,
        Vec<CommitFacts>,
        VerdictStatus,
        Option<&'a str>,
    );

    #[test]
    fn tickets_from_flags_or_trailers() {
        let mut f = fixture();
        let plain = commit("c1", "Jeanne Martin", "jm@site.example", &[]);
        let trailed = commit("c2", "Jeanne Martin", "jm@site.example", &["CR-42"]);
        use VerdictStatus::*;
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            (true, Some("CR-1"), vec![plain.clone()], Allowed, Some("CR-1")),
            (true, Some(" CR-1 "), vec![], Allowed, Some("CR-1")),
            (true, Some(""), vec![plain.clone()], Refused, None),
            (true, Some("   "), vec![], Refused, None),
            (true, None, vec![plain.clone()], Refused, None),
            (true, None, vec![plain.clone(), trailed.clone()], Allowed, Some("CR-42")),
            (true, Some(""), vec![trailed.clone()], Allowed, Some("CR-42")),
            (true, Some("CR-1"), vec![trailed.clone()], Allowed, Some("CR-1")),
            (false, None, vec![plain.clone()], Allowed, None),
        ];
        for (require, ticket, commits, want, want_ticket) in cases {
            f.policy.require_ticket = require;
            let mut input = f.input(Mode::Apply);
            input.ticket = ticket;
            input.commits = &commits;
            let (v, t) = check(&input);
            assert_eq!(v.status, want, "{ticket:?}: {}", v.message);
            assert_eq!(t.as_deref(), want_ticket);
        }
    }

    #[test]
    fn an_emergency_is_not_a_ticket() {
        let f = fixture();
        let mut input = f.input(Mode::Apply);
        input.emergency = Some("cameras down");
        assert_eq!(check(&input).0.status, VerdictStatus::Refused);
    }
}
