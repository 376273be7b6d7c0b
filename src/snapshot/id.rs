//! Snapshot ids: `YYYYMMDDTHHMMSSZ-OPERATOR-XXXX`, the stem of the snapshot's file name.
//!
//! An id read from a user becomes part of a path, so it is checked against
//! this exact shape before any file is touched: `../x` and friends never
//! reach the filesystem.

use jiff::Timestamp;

/// Longest operator part kept in an id.
const MAX_OPERATOR_CHARS: usize = 64;

/// Length of the unique suffix, in hex digits.
pub const SUFFIX_LEN: usize = 4;

/// The operator as it may appear in a file name: letters, digits, `.`, `_`, `@`
/// and `-` kept, anything else replaced by `_`.
pub fn operator_part(operator: &str) -> String {
    let s: String = operator
        .trim()
        .chars()
        .take(MAX_OPERATOR_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() {
        "unknown".into()
    } else {
        s
    }
}

/// The id of a snapshot taken at `at` by `operator`, with the given suffix.
pub fn make(at: Timestamp, operator: &str, suffix: u16) -> String {
    format!(
        "{}-{}-{suffix:0width$x}",
        at.strftime("%Y%m%dT%H%M%SZ"),
        operator_part(operator),
        width = SUFFIX_LEN
    )
}

/// True if and only if `id` has the shape [`make`] gives.
pub fn is_valid(id: &str) -> bool {
    let b = id.as_bytes();
    // 16 (time) + 1 + at least 1 (operator) + 1 + 4 (suffix)
    if !id.is_ascii() || b.len() < 23 || b.len() > 22 + MAX_OPERATOR_CHARS {
        return false;
    }
    let time_ok = b[..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'T'
        && b[9..15].iter().all(u8::is_ascii_digit)
        && b[15] == b'Z'
        && b[16] == b'-';
    let (rest, suffix) = b[17..].split_at(b.len() - 17 - SUFFIX_LEN);
    let suffix_ok = suffix
        .iter()
        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c));
    let Some((b'-', operator)) = rest.split_last() else {
        return false;
    };
    time_ok
        && suffix_ok
        && !operator.is_empty()
        && operator
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'@' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        let at: Timestamp = "2026-11-27T21:30:12Z".parse().expect("ts");
        let id = make(at, "claire.martin", 0x7f3a);
        assert_eq!(id, "20261127T213012Z-claire.martin-7f3a");
        assert!(is_valid(&id));
        assert_eq!(make(at, "", 1), "20261127T213012Z-unknown-0001");
        assert_eq!(
            make(at, "Jean Pierre/../x", 2),
            "20261127T213012Z-Jean_Pierre_.._x-0002"
        );
        // The time is UTC whatever the offset it was written with.
        let paris: Timestamp = "2026-11-27T22:30:12+01:00".parse().expect("ts");
        assert!(make(paris, "a", 3).starts_with("20261127T213012Z-"));
    }

    #[test]
    fn what_users_may_not_pass() {
        for bad in [
            "",
            "../x",
            "../../etc/passwd",
            "20261127T213012Z-claire/../x-7f3a",
            "20261127T213012Z--7f3a",
            "20261127T213012Z-claire-7F3A",
            "20261127T213012Z-claire-7f3",
            "20261127T213012-claire-7f3a",
            "x0261127T213012Z-claire-7f3a",
            "20261127T213012Z-clairé-7f3a",
            "20261127T213012Z-claire-7f3a.json",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
        assert!(is_valid("20261127T213012Z-jean-pierre-0000"));
    }
}
