//! `ancestry` (PROC-VMS-001 §04): the revision is the base or descends from it.
//!
//! A revision on another branch would undo changes that were applied and
//! journaled; it must be rebased on the base first.

use super::{check, short, verdict, GateInput};
use crate::plan::{Verdict, VerdictStatus};

/// The verdict, or `None` without a base to compare with.
pub(super) fn check(input: &GateInput<'_>) -> Option<Verdict> {
    let base = input.base?;
    let descends = input.descends_from_base?;
    let rev = short(input.rev);
    Some(if descends {
        verdict(
            check::ANCESTRY,
            VerdictStatus::Allowed,
            if input.rev == base {
                format!("{rev} is the base")
            } else {
                format!("{rev} descends from the base {}", short(base))
            },
        )
    } else {
        verdict(
            check::ANCESTRY,
            VerdictStatus::Refused,
            format!(
                "{rev} does not descend from the base {}: rebase the change on {} (git rebase), or it would undo what was applied",
                short(base),
                short(base)
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::tests::fixture;
    use crate::gate::Mode;

    #[test]
    fn descends_or_not() {
        let f = fixture();
        #[rustfmt::skip]
        let cases = [
            (None, None, None),
            (Some("b".repeat(40)), None, None),
            (Some("b".repeat(40)), Some(true), Some(VerdictStatus::Allowed)),
            (Some(f.rev.clone()), Some(true), Some(VerdictStatus::Allowed)),
            (Some("b".repeat(40)), Some(false), Some(VerdictStatus::Refused)),
        ];
        for (base, descends, want) in cases {
            let mut input = f.input(Mode::Apply);
            input.base = base.as_deref();
            input.descends_from_base = descends;
            assert_eq!(
                check(&input).map(|v| v.status),
                want,
                "{base:?} {descends:?}"
            );
        }
    }
}
