//! The repository documents itself: links in the documentation resolve, and
//! nothing refers to a document that is not in the repository.

use std::path::{Path, PathBuf};

use crate::fixture::project_root;

/// Every file under `dir` (recursively), skipping build output.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The relative link targets of a markdown text: `](target)` without `#anchor`.
fn relative_links(md: &str) -> Vec<String> {
    md.split("](")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|t| !t.starts_with("http") && !t.starts_with('#') && !t.starts_with("mailto:"))
        .map(|t| t.split('#').next().unwrap_or(t).to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn links_in_the_readme_architecture_and_docs_resolve() {
    let root = project_root();
    let mut pages = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    let mut docs = Vec::new();
    files_under(&root.join("docs"), &mut docs);
    assert!(docs.len() >= 8, "{docs:?}");
    pages.extend(
        docs.into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    );
    let mut checked = 0;
    for page in pages {
        let text = std::fs::read_to_string(&page).expect("read");
        let dir = page.parent().expect("folder");
        for link in relative_links(&text) {
            assert!(
                dir.join(&link).exists(),
                "{}: link to `{link}`, which does not exist",
                page.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} links");
}

fn nothing_refers_to_a_document_outside_the_repository() {
    let root = project_root();
    // Spelled in pieces so that this file does not match itself.
    let outside = [
        concat!("SPEC", ".md"),
        concat!("PROC-VMS-001", ".md"),
        concat!("SPEC ", "section"),
    ];
    let mut files = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for dir in [
        "src", "tests", "examples", "benches", "scripts", "docs", "schemas", ".ci", "fuzz",
    ] {
        files_under(&root.join(dir), &mut files);
    }
    let mut offenders = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue; // binary
        };
        for (i, line) in text.lines().enumerate() {
            if outside.iter().any(|o| line.contains(o)) {
                offenders.push(format!("{}:{}: {line}", f.display(), i + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "point these at docs/ or state the rule:\n{}",
        offenders.join("\n")
    );
}

fn relative_links_are_read_without_anchors_or_urls() {
    let md = "[a](docs/x.md#y) [b](https://e.example) [c](#here) [d](examples/ci)";
    assert_eq!(relative_links(md), ["docs/x.md", "examples/ci"]);
}

crate::trials! {
    fn links_in_the_readme_architecture_and_docs_resolve,
    fn nothing_refers_to_a_document_outside_the_repository,
    fn relative_links_are_read_without_anchors_or_urls,
}
