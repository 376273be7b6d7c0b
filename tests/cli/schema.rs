//! The committed JSON Schemas match the Rust types.

use crate::fixture::{project_root, run};

fn committed_schemas_are_current() {
    let fresh = tempfile::tempdir().expect("tmp");
    let (code, _, err) = run(&["schema", "--out", fresh.path().to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    let names = |dir: &std::path::Path| -> Vec<String> {
        let mut n: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".schema.json"))
            .collect();
        n.sort();
        n
    };
    let committed_dir = project_root().join("schemas");
    let regenerate = "run `cargo run -- schema --out schemas` and commit schemas/";
    assert_eq!(names(fresh.path()), names(&committed_dir), "{regenerate}");
    for name in names(fresh.path()) {
        let generated = std::fs::read_to_string(fresh.path().join(&name)).expect("generated");
        let committed = std::fs::read_to_string(committed_dir.join(&name)).expect("committed");
        assert!(
            committed == generated,
            "schemas/{name} is stale: {regenerate}"
        );
    }
    // One kind printed alone is the same text.
    let (code, out, err) = run(&["schema", "--kind", "journal-entry"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        std::fs::read_to_string(committed_dir.join("journal-entry.schema.json")).expect("read")
    );
}

fn schema_rejects_unknown_keys_for_editors() {
    let (_, out, _) = run(&["schema", "--kind", "cameras"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["additionalProperties"], false);
    assert_eq!(v["$defs"]["Camera"]["additionalProperties"], false);
    assert_eq!(
        v["$defs"]["Camera"]["properties"]["id"]["pattern"],
        "^[a-z0-9-]{1,63}$"
    );
}

fn example_files_carry_the_schema_modeline() {
    let mut files = Vec::new();
    collect_yaml(&project_root().join("examples"), &mut files);
    assert!(files.len() > 20);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let kind = if f.ends_with("site.yaml") {
            "site"
        } else {
            "cameras"
        };
        let first = text.lines().next().unwrap_or_default();
        let target = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{} lacks the modeline", f.display()));
        assert!(
            target.ends_with(&format!("schemas/{kind}.schema.json")),
            "{}",
            f.display()
        );
        let resolved = f.parent().expect("parent").join(target);
        assert!(
            resolved.exists(),
            "{}: {} does not exist",
            f.display(),
            resolved.display()
        );
    }
}

fn collect_yaml(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "ci") {
                continue;
            }
            collect_yaml(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

crate::trials! {
    fn committed_schemas_are_current,
    fn schema_rejects_unknown_keys_for_editors,
    fn example_files_carry_the_schema_modeline,
}
