//! Canonical JSON: one byte sequence per JSON value, so that a hash of it means the value.
//!
//! The audit journal's hash chain and the snapshots' sha256 are computed over
//! this form. It is compact JSON (no whitespace) with the keys of every object
//! sorted by their UTF-8 bytes, strings escaped as `serde_json` escapes them
//! (only `"`, `\` and control characters; other characters as UTF-8), and
//! numbers as `serde_json` prints them. Changing any of this breaks the
//! verification of every journal and snapshot already written: never do it.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Appends the canonical form of `value` to `out`.
pub fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(v, out);
            }
            out.push(']');
        }
        Value::String(s) => write_str(s, out),
        // Null, booleans and numbers have one compact form already.
        other => out.push_str(&other.to_string()),
    }
}

/// The canonical form of `value`.
pub fn to_string(value: &Value) -> String {
    let mut s = String::new();
    write(value, &mut s);
    s
}

/// A JSON string literal, escaped as `serde_json` escapes it.
pub fn write_str(s: &str, out: &mut String) {
    out.push_str(&Value::String(s.to_string()).to_string());
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `digest` in lowercase hexadecimal.
pub fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut hex = String::with_capacity(digest.len() * 2);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_sorted_at_every_level_and_no_whitespace() {
        let v = json!({"b": 1, "a": {"z": [true, null, {"y": 1.5, "x": "é\n\""}], "c": -3}});
        assert_eq!(
            to_string(&v),
            r#"{"a":{"c":-3,"z":[true,null,{"x":"é\n\"","y":1.5}]},"b":1}"#
        );
    }

    #[test]
    fn insertion_order_does_not_matter() {
        let a: Value = serde_json::from_str(r#"{"x":1,"y":{"q":2,"p":3}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{ "y": {"p": 3, "q": 2}, "x": 1 }"#).expect("json");
        assert_eq!(to_string(&a), to_string(&b));
    }

    #[test]
    fn sha256_of_the_empty_string() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
