//! Text from a VMS, a repository or a journal made safe for a terminal and for markdown.
//!
//! Control characters (C0, DEL, C1: ESC, BEL, CR, newlines inside a value…) are shown
//! escaped (`\x1b`, `\n`, `\u{9b}`), so no value can move the cursor, retitle the
//! terminal or forge an output line; ordinary Unicode is kept as it is.

use std::borrow::Cow;

/// `s` with every control character escaped; borrowed when there is none.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`terminal`], and every string inside a JSON value too (for field values in diffs).
pub fn json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(terminal(s).into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(json).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (terminal(k).into_owned(), json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// [`terminal`] for markdown: also keeps text from opening HTML, breaking a table,
/// mentioning someone (`@name`) or making a link.
pub fn markdown(s: &str) -> String {
    let s = terminal(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('[', "\\[")
        .replace(']', "\\]");
    // `@name` at the start of a word notifies someone; an email address does not.
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    for c in s.chars() {
        out.push(c);
        if c == '@' && prev.is_none_or(|p| !p.is_alphanumeric()) {
            out.push('\u{200b}');
        }
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_unicode_kept() {
        assert_eq!(terminal("Hall d'entrée — portes"), "Hall d'entrée — portes");
        assert_eq!(
            terminal("x\u{1b}]0;pwned\u{7}\nPlan: 0 to add\r\u{9b}2J\u{7f}"),
            "x\\x1b]0;pwned\\x07\\nPlan: 0 to add\\r\\x9b2J\\x7f"
        );
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_neutralises_mentions_links_and_html() {
        let m = markdown("@oncall [click](http://x) <b>|\u{1b}");
        assert!(!m.contains("@o") && !m.contains("[click]") && !m.contains("<b>"));
        assert!(m.contains("\\x1b"));
        assert_eq!(
            markdown("rs@client.example"),
            "rs@client.example",
            "emails stay"
        );
    }
}
