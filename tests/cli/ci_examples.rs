//! The CI, systemd and Kubernetes recipes in `examples/ci/` are valid YAML/INI and use real flags.

use serde::Deserialize;

use crate::fixture::{project_root, run};

fn files() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![project_root().join("examples/ci")];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every `vmsops SUBCOMMAND --flag` used in a recipe.
fn invocations(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("vmsops ") {
        let rest = &text[i + "vmsops ".len()..];
        let line: String = rest
            .chars()
            .take_while(|c| *c != '\n' && *c != '>' && *c != '|' && *c != ';')
            .collect();
        let words: Vec<&str> = line
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\'' || c == ',' || c == ']'))
            .collect();
        let Some(cmd) = words.first() else { continue };
        if ![
            "validate", "plan", "drift", "watch", "apply", "import", "audit", "snapshot",
        ]
        .contains(cmd)
        {
            continue;
        }
        let flags = words
            .iter()
            .filter(|w| w.starts_with("--"))
            .map(|w| w.split('=').next().unwrap_or(w).to_string())
            .collect();
        out.push((cmd.to_string(), flags));
    }
    out
}

#[test]
fn recipes_parse_and_use_existing_flags() {
    let files = files();
    assert!(files.len() >= 6, "{files:?}");
    let mut checked = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let name = f.display().to_string();
        if name.ends_with(".yml") || name.ends_with(".yaml") {
            for doc in serde_norway::Deserializer::from_str(&text) {
                serde_norway::Value::deserialize(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        for (cmd, flags) in invocations(&text) {
            let (code, help, err) = run(&[&cmd, "--help"]);
            assert_eq!(code, 0, "{err}");
            for flag in flags {
                assert!(
                    help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                    "{name}: `vmsops {cmd}` has no flag {flag}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 10, "only {checked} flags checked");
}
