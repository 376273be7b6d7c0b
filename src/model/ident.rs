//! Identifiers of sites and cameras: the one rule that keeps them safe in paths, URLs and messages.

/// `[a-z0-9-]{1,63}`.
pub fn is_ident(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}
