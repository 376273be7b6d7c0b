//! What text from a VMS or from the transport a driver may put in an error:
//! server messages shortened, transport failures reduced to their innermost
//! cause. Shared by every driver; knows no product and sends nothing.
//!
//! Must never return a URL, a header or a query string: callers rely on it to
//! keep credentials out of errors, and add their own redaction where their
//! product echoes secrets in plain text.

/// Longest server message kept in an error.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// `s`, cut to [`MAX_MESSAGE_CHARS`] characters with `…` when longer.
pub fn shorten(s: &str) -> String {
    if s.chars().count() > MAX_MESSAGE_CHARS {
        let mut t: String = s.chars().take(MAX_MESSAGE_CHARS).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

/// `s` with every credential of `secrets` replaced by `[redacted]`: a VMS may echo what
/// it was sent (an `Authorization` header, a password) in an error body.
pub fn redact(s: &str, secrets: &[&str]) -> String {
    let mut out = s.to_string();
    for secret in secrets.iter().filter(|x| !x.is_empty()) {
        out = out.replace(secret, "[redacted]");
    }
    out
}

/// Why an answer that declares `declared` bytes is refused before it is read, if it is:
/// reading it would cost the memory and time the limit exists to save, and retrying it more.
pub fn too_large(declared: Option<u64>, limit: usize) -> Option<String> {
    declared.filter(|&n| n > limit as u64).map(|n| {
        format!("the answer declares {n} bytes, more than the {limit} this driver reads; not read")
    })
}

/// The text of the innermost cause of `e` (e.g. "Connection refused (os error
/// 111)"), or None when `e` has no cause: only the outer layers of a transport
/// error carry the URL and headers, the innermost one never does.
pub fn innermost_cause(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut innermost = None;
    let mut cur = e;
    while let Some(next) = cur.source() {
        innermost = Some(next);
        cur = next;
    }
    innermost.map(ToString::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted_before_anything_is_cut() {
        let echoed = "unauthorized: Authorization: Bearer tok-7c1d5e0b9a2f4e68 refused";
        let r = redact(echoed, &["tok-7c1d5e0b9a2f4e68", ""]);
        assert_eq!(r, "unauthorized: Authorization: Bearer [redacted] refused");
        assert_eq!(
            redact("a b c", &[""]),
            "a b c",
            "an empty credential redacts nothing"
        );
    }

    #[test]
    fn long_messages_are_cut_short() {
        assert_eq!(shorten("short"), "short");
        let long = "x".repeat(MAX_MESSAGE_CHARS + 5);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn only_the_innermost_cause_is_kept() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("GET http://host/?token=s3cret")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(std::io::Error::other("connection refused"));
        assert_eq!(innermost_cause(&e).as_deref(), Some("connection refused"));
        assert_eq!(innermost_cause(&std::io::Error::other("alone")), None);
    }
}
