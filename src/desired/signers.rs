//! The ssh-keygen "ALLOWED SIGNERS" file: which keys may sign for which emails.
//!
//! Only what validation needs is read here (principals per line); verifying a
//! signature is left to a maintained SSHSIG implementation.

/// One line of an allowed signers file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerLine {
    /// 1-based line number.
    pub line: usize,
    /// Principal patterns (emails, possibly with `*` / `?` wildcards or `!` negations).
    pub principals: Vec<String>,
    /// The `namespaces="..."` option, when present.
    pub namespaces: Option<String>,
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
        let mut rest: Vec<String> = Vec::new();
        for f in it {
            if rest.is_empty() && is_option(&f) {
                for opt in f.split(',') {
                    if let Some(v) = opt.strip_prefix("namespaces=") {
                        namespaces = Some(v.trim_matches('"').to_string());
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
    lines.iter().any(|l| {
        principals_match(&l.principals, email)
            && l.namespaces
                .as_deref()
                .is_none_or(|ns| ns.split(',').any(|n| n == "git"))
    })
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
