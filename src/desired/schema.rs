//! JSON Schemas of the two file kinds, generated from the Rust types.
//!
//! Besides `vmsops schema` and the committed `schemas/*.json`, the loader asks
//! the schema which keys a mapping accepts, to suggest a fix for an unknown key.

use std::sync::OnceLock;

use serde_json::Value;

use super::model::{CamerasFile, Site};
use super::yaml::{Seg, YamlPath};

/// The two kinds of desired-state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `site.yaml`.
    Site,
    /// `cameras/**/*.yaml`.
    Cameras,
}

impl FileKind {
    /// The name used by `vmsops schema --kind` and in `schemas/`.
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Site => "site",
            FileKind::Cameras => "cameras",
        }
    }
}

/// The JSON Schema of a file kind.
pub fn schema(kind: FileKind) -> &'static Value {
    static SITE: OnceLock<Value> = OnceLock::new();
    static CAMERAS: OnceLock<Value> = OnceLock::new();
    match kind {
        FileKind::Site => SITE.get_or_init(|| schemars::schema_for!(Site).to_value()),
        FileKind::Cameras => CAMERAS.get_or_init(|| schemars::schema_for!(CamerasFile).to_value()),
    }
}

/// The schema as pretty JSON with a final newline, as committed in `schemas/`.
pub fn schema_text(kind: FileKind) -> String {
    let mut s = serde_json::to_string_pretty(schema(kind)).unwrap_or_default();
    s.push('\n');
    s
}

/// Follows `$ref` and `Option`'s `anyOf [T, null]` to the schema that describes values.
fn resolve<'a>(root: &'a Value, mut s: &'a Value) -> &'a Value {
    for _ in 0..16 {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or_default();
            match root.get("$defs").and_then(|d| d.get(name)) {
                Some(next) => s = next,
                None => return s,
            }
        } else if let Some(alts) = s
            .get("anyOf")
            .or_else(|| s.get("oneOf"))
            .and_then(Value::as_array)
        {
            match alts
                .iter()
                .find(|a| a.get("type") != Some(&Value::from("null")))
            {
                Some(next) => s = next,
                None => return s,
            }
        } else {
            return s;
        }
    }
    s
}

/// The keys the mapping at `path` accepts, sorted; empty when unknown.
pub fn expected_keys(kind: FileKind, path: &YamlPath) -> Vec<String> {
    let root = schema(kind);
    let mut s = resolve(root, root);
    for seg in &path.0 {
        let next = match seg {
            Seg::Key(k) => s
                .get("properties")
                .and_then(|p| p.get(k))
                .or_else(|| s.get("additionalProperties").filter(|a| a.is_object())),
            Seg::Index(_) => s.get("items"),
        };
        match next {
            Some(n) => s = resolve(root, n),
            None => return Vec::new(),
        }
    }
    let mut keys: Vec<String> = s
        .get("properties")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
///
/// Damerau-Levenshtein (a swap of two letters is one edit: `fsp` → `fps`); at most
/// two edits, or a third of the candidate's length for long words.
pub fn did_you_mean<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_keys_follow_refs_and_options() {
        let p = YamlPath::root().key("cameras").index(0).key("recording");
        let keys = expected_keys(FileKind::Cameras, &p);
        assert_eq!(keys, ["fps", "resolution", "retention_days", "schedule"]);
        let p = YamlPath::root()
            .key("recording_profiles")
            .key("any-name")
            .key("schedule")
            .index(0);
        assert_eq!(expected_keys(FileKind::Site, &p), ["days", "from", "to"]);
        assert!(expected_keys(FileKind::Site, &YamlPath::root()).contains(&"policy".to_string()));
    }

    #[test]
    fn suggestions_are_close_words_only() {
        let c: Vec<String> = ["fps", "resolution", "retention_days"]
            .map(String::from)
            .into();
        assert_eq!(did_you_mean("fsp", &c), Some("fps"));
        assert_eq!(did_you_mean("retention", &c), None);
        assert_eq!(did_you_mean("retention_day", &c), Some("retention_days"));
        assert_eq!(did_you_mean("zzzzzz", &c), None);
    }
}
