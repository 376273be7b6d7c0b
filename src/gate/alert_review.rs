//! `alert-review` (PROC-VMS-001 §02): alert rules reviewed at least every `alert_review_max_age_days`.
//!
//! Only ever a warning: an overdue review must not block fixing an alert rule.

use jiff::tz::TimeZone;

use super::{check, verdict, GateInput};
use crate::plan::{Verdict, VerdictStatus};

/// The verdict for alert operations, or `None` without a review date.
pub(super) fn check(input: &GateInput<'_>) -> Option<Verdict> {
    let reviewed = input.alerts_reviewed_on?;
    // The review date has no time zone; UTC keeps the answer the same on every machine.
    let today = input.now.to_zoned(TimeZone::UTC).date();
    let age = (today - reviewed).get_days();
    let max = input.policy.alert_review_max_age_days;
    Some(if i64::from(age) > i64::from(max) {
        verdict(
            check::ALERT_REVIEW,
            VerdictStatus::Warning,
            format!(
                "alert rules last reviewed on {reviewed}, {age} days ago (at most {max}): review them with the Responsable Sécurité and update `reviewed_on`"
            ),
        )
    } else {
        verdict(
            check::ALERT_REVIEW,
            VerdictStatus::Allowed,
            format!("alert rules reviewed on {reviewed}, {age} days ago (at most {max})"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::tests::fixture;
    use crate::gate::Mode;

    #[test]
    fn overdue_reviews_warn() {
        let f = fixture();
        let cases = [
            (None, None),
            (Some("2025-04-01"), Some(VerdictStatus::Allowed)),
            (Some("2024-10-31"), Some(VerdictStatus::Allowed)),
            (Some("2024-10-30"), Some(VerdictStatus::Warning)),
        ];
        for (reviewed, want) in cases {
            let mut input = f.input(Mode::Apply);
            input.now = "2025-05-02T12:00:00Z".parse().unwrap();
            input.alerts_reviewed_on = reviewed.map(|d| d.parse().unwrap());
            assert_eq!(check(&input).map(|v| v.status), want, "{reviewed:?}");
        }
    }
}
