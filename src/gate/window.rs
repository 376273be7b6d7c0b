//! `maintenance-window` (PROC-VMS-001 §02): recording changes only inside a trusted window.
//!
//! A window opens on each of its days at `start` in its own time zone and
//! closes at `end`; an end that is not after the start is on the next day (the
//! window belongs to its start day), and `24:00` is the next midnight. Local
//! times become instants with jiff's "compatible" rule, so DST changes are
//! handled as the module doc of [`crate::gate`] says. An emergency lets a
//! change outside every window through, as a warning.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

use super::{bypassable, check, verdict, GateInput};
use crate::desired::model::{Day, MaintenanceWindow};
use crate::model::schedule::parse_hhmm;
use crate::plan::{Class, Verdict, VerdictStatus};

/// True if operations of `class` must run inside a window.
pub(super) fn applies(class: Class) -> bool {
    class.needs_window()
}

/// One opening of a window.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Opening {
    /// When it opens.
    pub start: Zoned,
    /// When it closes.
    pub end: Zoned,
}

fn weekday(day: Day) -> Weekday {
    match day {
        Day::Mon => Weekday::Monday,
        Day::Tue => Weekday::Tuesday,
        Day::Wed => Weekday::Wednesday,
        Day::Thu => Weekday::Thursday,
        Day::Fri => Weekday::Friday,
        Day::Sat => Weekday::Saturday,
        Day::Sun => Weekday::Sunday,
    }
}

/// The opening of `w` that starts on the local date `date`, if `date` is one of its days.
/// `None` too for a window that cannot be read (validation reports it).
pub(super) fn opening_on(w: &MaintenanceWindow, tz: &TimeZone, date: Date) -> Option<Opening> {
    if !w.days.iter().any(|d| weekday(*d) == date.weekday()) {
        return None;
    }
    let start = parse_hhmm(&w.start, false)?;
    let end = parse_hhmm(&w.end, true)?;
    let at = |d: Date, minutes: u16| -> Option<Zoned> {
        let (d, minutes) = if minutes == 24 * 60 {
            (d.tomorrow().ok()?, 0)
        } else {
            (d, minutes)
        };
        let h = i8::try_from(minutes / 60).ok()?;
        let m = i8::try_from(minutes % 60).ok()?;
        // "compatible": a skipped local time is the first instant after the
        // gap, a repeated one its first occurrence.
        d.at(h, m, 0, 0).to_zoned(tz.clone()).ok()
    };
    let end_day = if end > start {
        date
    } else {
        date.tomorrow().ok()?
    };
    Some(Opening {
        start: at(date, start)?,
        end: at(end_day, end)?,
    })
}

/// The window opening that contains `now`, if any.
pub(super) fn containing(
    windows: &[MaintenanceWindow],
    now: Timestamp,
) -> Option<(&MaintenanceWindow, Opening)> {
    windows.iter().find_map(|w| {
        let tz = TimeZone::get(&w.timezone).ok()?;
        let today = now.to_zoned(tz.clone()).date();
        // An opening that contains now started today or, crossing midnight, yesterday.
        [today.yesterday().ok(), Some(today)]
            .into_iter()
            .flatten()
            .filter_map(|d| opening_on(w, &tz, d))
            .find(|o| o.start.timestamp() <= now && now < o.end.timestamp())
            .map(|o| (w, o))
    })
}

/// The next window opening after `now`, within eight days.
pub(super) fn next_opening(
    windows: &[MaintenanceWindow],
    now: Timestamp,
) -> Option<(&MaintenanceWindow, Opening)> {
    windows
        .iter()
        .filter_map(|w| {
            let tz = TimeZone::get(&w.timezone).ok()?;
            let mut day = now.to_zoned(tz.clone()).date();
            for _ in 0..8 {
                if let Some(o) = opening_on(w, &tz, day) {
                    if o.start.timestamp() > now {
                        return Some((w, o));
                    }
                }
                day = day.tomorrow().ok()?;
            }
            None
        })
        .min_by_key(|(_, o)| o.start.timestamp())
}

fn local(z: &Zoned) -> String {
    z.strftime("%a %Y-%m-%d %H:%M %Z").to_string()
}

/// The verdict for recording operations, and whether the emergency let the change through.
pub(super) fn check(input: &GateInput<'_>, emergency: Option<&str>) -> (Verdict, bool) {
    let windows = input.maintenance_windows;
    if let Some((w, o)) = containing(windows, input.now) {
        let v = verdict(
            check::MAINTENANCE_WINDOW,
            VerdictStatus::Allowed,
            format!(
                "inside maintenance window {} until {} ({})",
                w.name,
                local(&o.end),
                w.timezone
            ),
        );
        return (v, false);
    }
    let message = match next_opening(windows, input.now) {
        Some((w, o)) => format!(
            "outside every maintenance window: recording changes must wait for the next one, {}, which opens {} ({}) — or use --emergency --reason",
            w.name,
            local(&o.start),
            w.timezone
        ),
        None => "the trusted policy has no maintenance window, so recording changes can never be applied: add one to `maintenance_windows` in a reviewed change first, or use --emergency --reason".to_string(),
    };
    bypassable(check::MAINTENANCE_WINDOW, message, emergency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::tests::fixture;
    use crate::gate::Mode;

    fn window(days: &[Day], start: &str, end: &str, tz: &str) -> MaintenanceWindow {
        MaintenanceWindow {
            name: "w".into(),
            days: days.to_vec(),
            start: start.into(),
            end: end.into(),
            timezone: tz.into(),
        }
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn windows_in_their_time_zone() {
        use Day::*;
        let paris_tue = window(&[Tue], "02:00", "05:00", "Europe/Paris");
        let paris_sun = window(&[Sun], "02:00", "05:00", "Europe/Paris");
        let night = window(&[Fri], "22:00", "02:00", "Europe/Paris");
        let to_midnight = window(&[Mon], "20:00", "24:00", "UTC");
        let whole_day = window(&[Wed], "00:00", "00:00", "America/New_York");
        // (window, now, inside?, why)
        #[rustfmt::skip]
        let cases = [
            // 2025-04-08 is a Tuesday; Paris is UTC+2 in April.
            (&paris_tue, "2025-04-08T00:00:00Z", true, "02:00 Paris"),
            (&paris_tue, "2025-04-07T23:59:59Z", false, "01:59 Paris"),
            (&paris_tue, "2025-04-08T02:59:59Z", true, "04:59 Paris"),
            (&paris_tue, "2025-04-08T03:00:00Z", false, "05:00 Paris: end excluded"),
            (&paris_tue, "2025-04-09T01:00:00Z", false, "Wednesday"),
            // Spring forward, Sunday 2025-03-30: 02:00 CET becomes 03:00 CEST.
            (&paris_sun, "2025-03-30T00:30:00Z", false, "01:30 CET, before the gap"),
            (&paris_sun, "2025-03-30T01:00:00Z", true, "03:00 CEST, the gap's end opens it"),
            (&paris_sun, "2025-03-30T02:59:00Z", true, "04:59 CEST"),
            (&paris_sun, "2025-03-30T03:30:00Z", false, "05:30 CEST (04:30 if read as CET)"),
            // Fall back, Sunday 2025-10-26: 03:00 CEST becomes 02:00 CET.
            (&paris_sun, "2025-10-25T23:59:00Z", false, "01:59 CEST"),
            (&paris_sun, "2025-10-26T00:00:00Z", true, "02:00 CEST, first occurrence"),
            (&paris_sun, "2025-10-26T03:30:00Z", true, "04:30 CET (05:30 if read as CEST)"),
            (&paris_sun, "2025-10-26T04:00:00Z", false, "05:00 CET"),
            // Crossing midnight belongs to the start day (Friday).
            (&night, "2025-04-11T20:30:00Z", true, "Fri 22:30 Paris"),
            (&night, "2025-04-11T23:30:00Z", true, "Sat 01:30 Paris"),
            (&night, "2025-04-12T00:00:00Z", false, "Sat 02:00 Paris"),
            (&night, "2025-04-12T20:30:00Z", false, "Sat 22:30 Paris"),
            (&night, "2025-04-10T23:30:00Z", false, "Fri 01:30 belongs to Thursday"),
            (&to_midnight, "2025-04-07T23:59:59Z", true, "Mon 23:59:59"),
            (&to_midnight, "2025-04-08T00:00:00Z", false, "Tue 00:00"),
            (&whole_day, "2025-04-09T04:00:00Z", true, "Wed 00:00 New York"),
            (&whole_day, "2025-04-10T03:59:00Z", true, "Wed 23:59 New York"),
            (&whole_day, "2025-04-10T04:00:00Z", false, "Thu 00:00 New York"),
        ];
        for (w, now, inside, why) in cases {
            let found = containing(std::slice::from_ref(w), at(now)).is_some();
            assert_eq!(found, inside, "{now} ({why})");
        }
    }

    #[test]
    fn unreadable_windows_never_open() {
        for w in [
            window(&[Day::Tue], "02:00", "05:00", "Mars/Olympus"),
            window(&[Day::Tue], "2am", "05:00", "UTC"),
            window(&[], "00:00", "24:00", "UTC"),
        ] {
            let now = at("2025-04-08T03:00:00Z");
            assert!(containing(std::slice::from_ref(&w), now).is_none(), "{w:?}");
        }
    }

    #[test]
    fn verdicts_say_until_when_or_when_next() {
        let mut f = fixture();
        f.windows = vec![window(&[Day::Tue], "02:00", "05:00", "Europe/Paris")];
        use VerdictStatus::*;
        #[rustfmt::skip]
        let cases = [
            ("2025-04-08T01:00:00Z", None, Allowed, "until Tue 2025-04-08 05:00 CEST"),
            ("2025-04-09T12:00:00Z", None, Refused, "opens Tue 2025-04-15 02:00 CEST"),
            ("2025-04-09T12:00:00Z", Some("storm damage"), Warning, "emergency: storm damage — outside"),
            ("2025-04-09T12:00:00Z", Some(""), Refused, "outside every"),
        ];
        for (now, emergency, want, fragment) in cases {
            let mut input = f.input(Mode::Apply);
            input.now = at(now);
            input.emergency = emergency;
            let (v, used) = check(&input, input.emergency_reason());
            assert_eq!(v.status, want, "{now}: {}", v.message);
            assert!(v.message.contains(fragment), "{}", v.message);
            assert_eq!(used, want == Warning);
        }
        f.windows.clear();
        let mut input = f.input(Mode::Apply);
        input.now = at("2025-04-08T01:00:00Z");
        let (v, _) = check(&input, None);
        assert_eq!(v.status, Refused);
        assert!(v.message.contains("no maintenance window"), "{}", v.message);
    }
}
