//! Every JSON output checked against its committed schema (`schemas/KIND.schema.json`),
//! so that a schema that no longer describes the output fails the test that reads it.

use serde_json::Value;

/// Parses `text` as JSON and checks it against `schemas/{kind}.schema.json`.
pub fn parse_valid(kind: &str, text: &str) -> Value {
    let doc: Value = serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{kind}: the output is not JSON ({e}):\n{text}"));
    assert_valid(kind, &doc);
    doc
}

/// Checks `doc` against `schemas/{kind}.schema.json`, failing with every violation.
pub fn assert_valid(kind: &str, doc: &Value) {
    let path = crate::fixture::project_root().join(format!("schemas/{kind}.schema.json"));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{} is not a valid schema: {e}", path.display()));
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the {kind} output does not match schemas/{kind}.schema.json:\n{}\n{doc:#}",
        errors.join("\n")
    );
}
