//! Canonical recording schedules, so that equal schedules written differently compare equal.
//!
//! A schedule is a set of weekly minute intervals: entry order, day order,
//! `"0:00"` vs `"00:00"` and adjacent or overlapping spans do not matter.

use std::collections::BTreeMap;

use crate::desired::clock::{format_hhmm, parse_hhmm};
use crate::desired::model::{Day, ScheduleEntry};

/// Per day, sorted and merged `[from, to)` minute intervals.
pub type Canonical = BTreeMap<Day, Vec<(u16, u16)>>;

/// The canonical form of a schedule; unparsable times (already reported by validation) are skipped.
pub fn canonical(entries: &[ScheduleEntry]) -> Canonical {
    let mut days: Canonical = BTreeMap::new();
    for e in entries {
        let (Some(f), Some(t)) = (parse_hhmm(&e.from, false), parse_hhmm(&e.to, true)) else {
            continue;
        };
        if t <= f {
            continue;
        }
        for d in &e.days {
            days.entry(*d).or_default().push((f, t));
        }
    }
    for spans in days.values_mut() {
        spans.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(spans.len());
        for &(f, t) in spans.iter() {
            match merged.last_mut() {
                Some(last) if f <= last.1 => last.1 = last.1.max(t),
                _ => merged.push((f, t)),
            }
        }
        *spans = merged;
    }
    days.retain(|_, s| !s.is_empty());
    days
}

/// A canonical schedule written back as entries: days sharing the same spans are grouped.
pub fn entries(c: &Canonical) -> Vec<ScheduleEntry> {
    let mut by_spans: BTreeMap<&Vec<(u16, u16)>, Vec<Day>> = BTreeMap::new();
    for (day, spans) in c {
        by_spans.entry(spans).or_default().push(*day);
    }
    let mut out: Vec<ScheduleEntry> = by_spans
        .into_iter()
        .flat_map(|(spans, days)| {
            spans.iter().map(move |(f, t)| ScheduleEntry {
                days: days.clone(),
                from: format_hhmm(*f),
                to: format_hhmm(*t),
            })
        })
        .collect();
    out.sort_by(|a, b| (a.days.first(), &a.from).cmp(&(b.days.first(), &b.from)));
    out
}

/// One line per entry, for field diffs: `mon,tue 00:00-07:00`.
pub fn lines(c: &Canonical) -> Vec<String> {
    entries(c)
        .iter()
        .map(|e| {
            let days: Vec<&str> = e.days.iter().map(|d| d.as_str()).collect();
            format!("{} {}-{}", days.join(","), e.from, e.to)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(days: &[Day], from: &str, to: &str) -> ScheduleEntry {
        ScheduleEntry {
            days: days.to_vec(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn equal_schedules_written_differently_are_equal() {
        let a = vec![
            e(&[Day::Mon, Day::Tue], "00:00", "12:00"),
            e(&[Day::Mon, Day::Tue], "12:00", "24:00"),
        ];
        let b = vec![e(&[Day::Tue, Day::Mon], "0:00", "24:00")];
        let c = vec![
            e(&[Day::Tue], "06:00", "24:00"),
            e(&[Day::Mon], "0:00", "24:00"),
            e(&[Day::Tue], "0:00", "07:00"),
        ];
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(canonical(&b), canonical(&c));
        assert_ne!(
            canonical(&b),
            canonical(&[e(&[Day::Mon], "00:00", "24:00")])
        );
    }

    #[test]
    fn entries_round_trip_and_group_days() {
        let a = vec![
            e(&[Day::Sat, Day::Sun], "00:00", "24:00"),
            e(&[Day::Mon, Day::Fri], "20:00", "24:00"),
            e(&[Day::Fri, Day::Mon], "0:00", "7:00"),
        ];
        let c = canonical(&a);
        assert_eq!(canonical(&entries(&c)), c);
        assert_eq!(
            lines(&c),
            [
                "mon,fri 00:00-07:00",
                "mon,fri 20:00-24:00",
                "sat,sun 00:00-24:00"
            ]
        );
    }
}
