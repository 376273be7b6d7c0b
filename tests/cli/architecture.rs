//! The layering that ARCHITECTURE.md promises, checked on the sources.
//!
//! model imports nothing; plan and gate are pure (no driver, git, ops);
//! drivers are leaves; the sim knows nothing of the reconciler; the command
//! layer and watch reach the state, snapshots, drivers and git only through
//! ops; no async function does file, git or database I/O itself.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules that the files under `src/MODULE` name through `crate::`.
fn imports_of(module: &str) -> BTreeSet<String> {
    imports_through(module, "crate::")
}

/// The top-level modules that the files under `src/MODULE` name through `prefix`
/// (`crate::` inside the library, `vmsops::` in the binary's command layer).
fn imports_through(module: &str, prefix: &str) -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let dir = root.join(module);
    if dir.is_dir() {
        rust_files(&dir, &mut files);
    } else {
        files.push(root.join(format!("{module}.rs")));
    }
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, _) in line.match_indices(prefix) {
                let rest = &line[i + prefix.len()..];
                if let Some(group) = rest.strip_prefix('{') {
                    // `crate::{a::x, b}`: every path of the group.
                    let group = group.split('}').next().unwrap_or_default();
                    out.extend(group.split(',').map(|p| head(p.trim())));
                } else {
                    out.insert(head(rest));
                }
            }
        }
    }
    out.remove(module);
    out.remove("");
    out
}

fn head(path: &str) -> String {
    path.chars()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
        .collect()
}

fn assert_none_of(module: &str, forbidden: &[&str]) {
    let imports = imports_of(module);
    let found: Vec<&str> = forbidden
        .iter()
        .copied()
        .filter(|f| imports.contains(*f))
        .collect();
    assert!(
        found.is_empty(),
        "src/{module} imports {found:?}; see ARCHITECTURE.md (it imports {imports:?})"
    );
}

fn model_imports_nothing_from_the_crate() {
    assert_eq!(imports_of("model"), BTreeSet::new());
}

fn plan_and_gate_are_pure() {
    for m in ["plan", "gate", "model"] {
        assert_none_of(m, &["driver", "git", "ops", "state", "audit", "watch"]);
    }
}

fn drivers_are_leaves() {
    assert_none_of(
        "driver",
        &["plan", "desired", "ops", "gate", "git", "state", "audit"],
    );
}

fn the_sim_knows_nothing_of_the_reconciler() {
    assert_none_of(
        "sim",
        &[
            "desired", "driver", "ops", "plan", "gate", "git", "audit", "watch",
        ],
    );
}

fn the_state_store_talks_to_no_vms_and_reads_no_git() {
    assert_none_of("state", &["driver", "git", "ops", "plan", "gate"]);
}

fn the_checker_sees_grouped_imports() {
    // Guard the guard: a grouped import must be seen, or the rules above prove nothing.
    assert!(imports_of("ops").contains("driver"));
    assert!(imports_of("ops").contains("state"));
}

fn the_command_layer_and_watch_reach_the_leaves_only_through_ops() {
    for (module, prefix) in [
        ("cli", "vmsops::"),
        ("watch", "crate::"),
        ("main", "vmsops::"),
    ] {
        let imports = imports_through(module, prefix);
        let found: Vec<&str> = ["state", "snapshot", "driver", "git"]
            .into_iter()
            .filter(|f| imports.contains(*f))
            .collect();
        assert!(
            found.is_empty(),
            "src/{module} names {found:?} directly; go through ops (ARCHITECTURE.md)"
        );
    }
    // Guard the guard: the command layer is seen naming ops.
    assert!(imports_through("cli", "vmsops::").contains("ops"));
}

fn the_journal_and_snapshots_know_no_vms_and_no_yaml() {
    assert_none_of("audit", &["driver", "desired", "ops", "watch"]);
    assert_none_of("snapshot", &["desired", "driver", "ops", "watch"]);
}

/// Each `async fn` of `text` (outside its `#[cfg(test)]` module): its first line and its body.
fn async_fn_bodies(text: &str) -> Vec<(usize, Vec<&str>)> {
    let lines: Vec<&str> = text
        .split("#[cfg(test)]")
        .next()
        .unwrap_or_default()
        .lines()
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if !l.contains("async fn ") || l.trim_start().starts_with("//") {
            i += 1;
            continue;
        }
        let (mut depth, mut opened, mut j) = (0i32, false, i);
        while j < lines.len() {
            for c in lines[j].chars() {
                match c {
                    '{' => (depth, opened) = (depth + 1, true),
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if (opened && depth <= 0) || (!opened && lines[j].trim_end().ends_with(';')) {
                break;
            }
            j += 1;
        }
        out.push((i + 1, lines[i..=j.min(lines.len() - 1)].to_vec()));
        i = j + 1;
    }
    out
}

fn no_async_function_does_file_git_or_database_io_itself() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut found = Vec::new();
    let mut seen = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        for (line, body) in async_fn_bodies(&text) {
            seen += 1;
            for l in body.iter().filter(|l| !l.trim_start().starts_with("//")) {
                if ["std::fs::", "git2::", "postgres::"]
                    .iter()
                    .any(|t| l.contains(t))
                {
                    found.push(format!("{}:{line}: {}", f.display(), l.trim()));
                }
            }
        }
    }
    assert!(seen > 50, "the scanner found only {seen} async functions");
    assert!(
        found.is_empty(),
        "blocking I/O inside async functions (hop through ops::blocking): {found:#?}"
    );
}

fn the_async_scanner_sees_a_blocking_call() {
    let text = "async fn f() {\n    let x = std::fs::read(p);\n}\nfn g() {}\n";
    let bodies = async_fn_bodies(text);
    assert_eq!(bodies.len(), 1);
    assert!(bodies[0].1.iter().any(|l| l.contains("std::fs::")));
}

/// The lines of code (comments left out) of the files under `src/PATH`, a folder or a file.
fn code_lines(path: &str) -> Vec<(PathBuf, String)> {
    let at = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(path);
    let mut files = Vec::new();
    if at.is_dir() {
        rust_files(&at, &mut files);
    } else {
        files.push(at);
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        out.extend(
            text.lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(|l| (f.clone(), l.to_string())),
        );
    }
    out
}

fn the_execution_engine_depends_on_none_of_its_callers() {
    // Apply, rollback and restore all go through ops::execute; were it to call back
    // into one of them, they could no longer share it without a cycle.
    for (path, forbidden) in [
        (
            "ops/execute",
            &["ops::apply", "ops::restore", "super::super"][..],
        ),
        ("ops/restore.rs", &["ops::apply", "super::apply"][..]),
    ] {
        let found: Vec<String> = code_lines(path)
            .into_iter()
            .filter(|(_, l)| forbidden.iter().any(|f| l.contains(f)))
            .map(|(f, l)| format!("{}: {}", f.display(), l.trim()))
            .collect();
        assert!(found.is_empty(), "see ARCHITECTURE.md: {found:#?}");
    }
}

crate::trials! {
    fn model_imports_nothing_from_the_crate,
    fn plan_and_gate_are_pure,
    fn drivers_are_leaves,
    fn the_sim_knows_nothing_of_the_reconciler,
    fn the_state_store_talks_to_no_vms_and_reads_no_git,
    fn the_checker_sees_grouped_imports,
    fn the_command_layer_and_watch_reach_the_leaves_only_through_ops,
    fn the_journal_and_snapshots_know_no_vms_and_no_yaml,
    fn no_async_function_does_file_git_or_database_io_itself,
    fn the_async_scanner_sees_a_blocking_call,
    fn the_execution_engine_depends_on_none_of_its_callers,
}
