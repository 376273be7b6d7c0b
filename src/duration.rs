//! Durations as written on the command line: `30s`, `15m`, `6h`, `200d`, `1h30m`.
//!
//! Parsed by jiff's "friendly" span format; a day is 24 hours here (these are
//! timeouts and ages, not calendar arithmetic), and months or years are refused
//! because their length depends on a date.

use std::time::Duration;

use jiff::fmt::friendly::SpanParser;
use jiff::SpanRelativeTo;

/// Parses a duration such as `30s`, `15m`, `6h`, `200d`, `1h30m` or `250ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    static PARSER: SpanParser = SpanParser::new();
    let s = s.trim();
    let span = PARSER.parse_span(s).map_err(|e| {
        format!("`{s}` is not a duration: write a number and a unit, e.g. 30s, 15m, 6h, 200d or 1h30m ({e})")
    })?;
    if span.is_negative() {
        return Err(format!("`{s}` is negative: a duration is zero or more"));
    }
    let exact = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|_| {
            format!("`{s}`: months and years have no fixed length; write days instead, e.g. 200d")
        })?;
    Duration::try_from(exact).map_err(|e| format!("`{s}` is out of range: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("6h"), Ok(Duration::from_secs(21_600)));
        assert_eq!(parse_duration("200d"), Ok(Duration::from_secs(17_280_000)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(1_209_600)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        for bad in [
            "",
            "s",
            "10",
            "-1m",
            "10y",
            "3mo",
            "99999999999999999999d",
            "soon",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_say_what_to_write() {
        let e = parse_duration("10y").expect_err("years");
        assert!(e.contains("write days instead"), "{e}");
        let e = parse_duration("soon").expect_err("a word");
        assert!(e.contains("e.g. 30s, 15m, 6h, 200d"), "{e}");
        let e = parse_duration("-1m").expect_err("negative");
        assert!(e.contains("negative"), "{e}");
    }
}
