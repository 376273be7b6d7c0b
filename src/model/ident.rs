//! Identifiers of sites and cameras: the one rule that keeps them safe in paths, URLs and messages.

/// `[a-z0-9-]{1,63}`.
pub fn is_ident(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// True if `s` can be one segment of a request path as it is: not empty, not `.` or
/// `..` (which a URL resolves away), no `/`, `\\`, `%` or control character. A live id
/// that is not cannot be addressed safely: it is reported, never requested.
pub fn is_path_safe(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && !s
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | '%'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_safety() {
        for ok in ["hall-01", "Cam 1", "caméra", "a.b"] {
            assert!(is_path_safe(ok), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a\\b", "a\nb", "a%2e", "x\u{1b}[2J"] {
            assert!(!is_path_safe(bad), "{bad:?}");
        }
    }
}
