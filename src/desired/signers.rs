//! The ssh-keygen "ALLOWED SIGNERS" file: which keys may sign for which emails.
//!
//! Reads the lines (principals, options, key) and answers which keys may sign
//! for an email in a namespace at a moment. It never verifies a signature
//! itself: that is left to a maintained SSHSIG implementation (`ssh-key`),
//! which the gate calls with the keys chosen here.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// One line of an allowed signers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerLine {
    /// 1-based line number.
    pub line: usize,
    /// Principal patterns (emails, possibly with `*` / `?` wildcards or `!` negations).
    pub principals: Vec<String>,
    /// The `namespaces="..."` option, when present.
    pub namespaces: Option<String>,
    /// The `cert-authority` option: the key signs certificates, not messages.
    pub cert_authority: bool,
    /// The `valid-after="..."` option, as written.
    pub valid_after: Option<String>,
    /// The `valid-before="..."` option, as written.
    pub valid_before: Option<String>,
    /// Key type, e.g. `ssh-ed25519`.
    pub key_type: String,
    /// Base64 public key.
    pub key: String,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerLineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses an allowed signers file; comments and blank lines are skipped.
pub fn parse(text: &str) -> (Vec<SignerLine>, Vec<SignerLineError>) {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let fields = split_fields(l);
        let mut it = fields.into_iter();
        let Some(principals) = it.next() else {
            continue;
        };
        let mut namespaces = None;
        let mut cert_authority = false;
        let mut valid_after = None;
        let mut valid_before = None;
        let mut rest: Vec<String> = Vec::new();
        for f in it {
            if rest.is_empty() && is_option(&f) {
                for opt in split_options(&f) {
                    let (name, value) = match opt.split_once('=') {
                        Some((n, v)) => (n.to_ascii_lowercase(), Some(v.trim_matches('"'))),
                        None => (opt.to_ascii_lowercase(), None),
                    };
                    match (name.as_str(), value) {
                        ("namespaces", Some(v)) => namespaces = Some(v.to_string()),
                        ("valid-after", Some(v)) => valid_after = Some(v.to_string()),
                        ("valid-before", Some(v)) => valid_before = Some(v.to_string()),
                        ("cert-authority", None) => cert_authority = true,
                        _ => {}
                    }
                }
            } else {
                rest.push(f);
            }
        }
        match (rest.first(), rest.get(1)) {
            (Some(t), Some(k))
                if t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-") =>
            {
                lines.push(SignerLine {
                    line: i + 1,
                    principals: principals
                        .split(',')
                        .map(|p| p.trim_matches('"').to_string())
                        .collect(),
                    namespaces,
                    cert_authority,
                    valid_after,
                    valid_before,
                    key_type: t.clone(),
                    key: k.clone(),
                })
            }
            _ => errors.push(SignerLineError {
                line: i + 1,
                message: "expected `EMAIL [namespaces=\"git\"] KEYTYPE BASE64KEY`".to_string(),
            }),
        }
    }
    (lines, errors)
}

fn is_option(f: &str) -> bool {
    let name = f
        .split(['=', ','])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    matches!(
        name.as_str(),
        "namespaces" | "cert-authority" | "valid-after" | "valid-before"
    )
}

/// Splits an options field on commas outside double quotes
/// (`namespaces="git,file"` is one option).
fn split_options(field: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in field.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&field[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&field[start..]);
    out.retain(|o| !o.is_empty());
    out
}

/// Splits on whitespace, keeping double-quoted runs together.
fn split_fields(l: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in l.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// True if `principal` matches the pattern list of one line (ssh's `match_pattern_list`).
pub fn principals_match(patterns: &[String], principal: &str) -> bool {
    let mut matched = false;
    for p in patterns {
        if let Some(neg) = p.strip_prefix('!') {
            if glob(neg, principal) {
                return false;
            }
        } else if glob(p, principal) {
            matched = true;
        }
    }
    matched
}

fn glob(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi].eq_ignore_ascii_case(&s[si])) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// True if some line lets `email` sign in the `git` namespace.
pub fn lists(lines: &[SignerLine], email: &str) -> bool {
    lines
        .iter()
        .any(|l| principals_match(&l.principals, email) && l.allows_namespace("git"))
}

/// Why a line's key may not sign at a given moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validity {
    /// The key may sign.
    Valid,
    /// Before `valid-after`.
    NotYet(String),
    /// After `valid-before`.
    Expired(String),
    /// A date that cannot be read; the line is not trusted.
    Unreadable(String),
}

impl SignerLine {
    /// True if the line's `namespaces=` option (when present) includes `namespace`.
    pub fn allows_namespace(&self, namespace: &str) -> bool {
        self.namespaces
            .as_deref()
            .is_none_or(|ns| ns.split(',').any(|n| n.trim() == namespace))
    }

    /// Whether `valid-after` / `valid-before` let the key sign at `at`.
    pub fn validity_at(&self, at: Timestamp) -> Validity {
        if let Some(after) = &self.valid_after {
            match parse_validity_time(after) {
                None => return Validity::Unreadable(after.clone()),
                Some(t) if at < t => return Validity::NotYet(after.clone()),
                Some(_) => {}
            }
        }
        if let Some(before) = &self.valid_before {
            match parse_validity_time(before) {
                None => return Validity::Unreadable(before.clone()),
                Some(t) if at >= t => return Validity::Expired(before.clone()),
                Some(_) => {}
            }
        }
        Validity::Valid
    }

    /// The line's public key, for the SSHSIG implementation.
    pub fn public_key(&self) -> Result<ssh_key::PublicKey, ssh_key::Error> {
        ssh_key::PublicKey::from_openssh(&format!("{} {}", self.key_type, self.key))
    }
}

/// Reads ssh-keygen's `YYYYMMDD[HHMM[SS]][Z]` validity dates.
///
/// ssh-keygen reads a date without `Z` in the verifying machine's time zone;
/// vmsops reads it as UTC so that the gate gives the same answer on every
/// machine (the difference is at most a day's worth of hours).
pub fn parse_validity_time(s: &str) -> Option<Timestamp> {
    let digits = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|d| d.parse::<i16>().ok());
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, sec) = match digits.len() {
        8 => (0, 0, 0),
        12 => (num(8..10)?, num(10..12)?, 0),
        _ => (num(8..10)?, num(10..12)?, num(12..14)?),
    };
    let dt = DateTime::new(
        y,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(sec).ok()?,
        0,
    )
    .ok()?;
    dt.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_with_and_without_options() {
        let text = "# approvers\nrs@client.example namespaces=\"git\" ssh-ed25519 AAAAC3Nza rs\n\
                    a@x.example,b@x.example ssh-ed25519 AAAAB\nbroken line\n";
        let (lines, errors) = parse(text);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].namespaces.as_deref(), Some("git"));
        assert_eq!(lines[1].principals, ["a@x.example", "b@x.example"]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 4);
        assert!(lists(&lines, "b@x.example"));
        assert!(!lists(&lines, "c@x.example"));
    }

    #[test]
    fn options_with_quoted_commas_and_validity() {
        let (lines, errors) = parse(
            "rs@x.example cert-authority,namespaces=\"file,git\",valid-after=\"20250101\",valid-before=\"202506301200Z\" ssh-ed25519 AAAA\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let l = &lines[0];
        assert!(l.cert_authority);
        assert!(l.allows_namespace("git") && l.allows_namespace("file"));
        assert!(!l.allows_namespace("gi"));
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(
            l.validity_at(at("2024-12-31T23:59:59Z")),
            Validity::NotYet("20250101".into())
        );
        assert_eq!(l.validity_at(at("2025-06-30T11:59:59Z")), Validity::Valid);
        assert_eq!(
            l.validity_at(at("2025-06-30T12:00:00Z")),
            Validity::Expired("202506301200Z".into())
        );
        for bad in [
            "2025",
            "20251301",
            "2025010112",
            "yesterday",
            "20250101120000ZZ",
        ] {
            assert_eq!(parse_validity_time(bad), None, "{bad}");
        }
        assert_eq!(
            parse_validity_time("20250101123045"),
            Some(at("2025-01-01T12:30:45Z"))
        );
    }

    #[test]
    fn namespaces_restrict_and_patterns_match() {
        let (lines, _) =
            parse("*@corp.example,!evil@corp.example namespaces=\"file\" ssh-ed25519 AAAA\n");
        assert!(!lists(&lines, "rs@corp.example"), "namespace file only");
        assert!(principals_match(&lines[0].principals, "rs@corp.example"));
        assert!(!principals_match(&lines[0].principals, "evil@corp.example"));
        assert!(glob("r?@*.example", "rs@corp.example"));
        assert!(!glob("rs@corp.example", "rs@corp.example.evil"));
    }
}
