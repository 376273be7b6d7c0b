//! Weekly schedules: days, `HH:MM` times, schedule entries and their canonical form.
//!
//! A schedule is a set of weekly minute intervals: entry order, day order,
//! `"0:00"` vs `"00:00"` and adjacent or overlapping spans do not matter, so
//! equal schedules written differently compare equal once canonical.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A day of the week.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Day {
    /// All days, Monday first.
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    /// The lowercase three-letter name used in the files.
    pub fn as_str(self) -> &'static str {
        match self {
            Day::Mon => "mon",
            Day::Tue => "tue",
            Day::Wed => "wed",
            Day::Thu => "thu",
            Day::Fri => "fri",
            Day::Sat => "sat",
            Day::Sun => "sun",
        }
    }
}

/// One span of a recording schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ScheduleEntry {
    /// Days on which this span records.
    pub days: Vec<Day>,
    /// Start, `HH:MM`.
    #[schemars(pattern(r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"))]
    pub from: String,
    /// End, `HH:MM` (`24:00` ends the day).
    #[schemars(pattern(r"^(([01]?[0-9]|2[0-3]):[0-5][0-9]|24:00)$"))]
    pub to: String,
}

/// Minutes since midnight of `HH:MM` (hours may have one digit); `24:00` only if `allow_end_of_day`.
pub fn parse_hhmm(s: &str, allow_end_of_day: bool) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    if !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if allow_end_of_day => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// The canonical `HH:MM` form of a number of minutes since midnight.
pub fn format_hhmm(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

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

    #[test]
    fn parses_and_refuses() {
        assert_eq!(parse_hhmm("00:00", false), Some(0));
        assert_eq!(parse_hhmm("0:00", false), Some(0));
        assert_eq!(parse_hhmm("23:59", false), Some(1439));
        assert_eq!(parse_hhmm("24:00", true), Some(1440));
        for bad in [
            "24:00", "24:01", "12:60", "7", "07:5", "aa:bb", "", "-1:00", "123:00", "12:00:00",
        ] {
            assert_eq!(parse_hhmm(bad, false), None, "{bad}");
        }
        assert_eq!(parse_hhmm("24:30", true), None);
        assert_eq!(format_hhmm(1440), "24:00");
        assert_eq!(format_hhmm(65), "01:05");
    }
}
