//! `vmsops validate`: check the desired state and show every problem at once.
//!
//! Reads the repository only: it never connects to a VMS, never reads the
//! state directory and never writes a file.

use clap::ValueEnum;
use schemars::JsonSchema;
use serde::Serialize;
use vmsops::desired::{self, render, validate::validate, DesiredRepo, Diagnostic, Tree};
use vmsops::exit::Exit;

use super::{output, CmdResult, RepoArgs};

/// Arguments of `vmsops validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    repo: RepoArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Output formats of `validate`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// Diagnostics with the offending lines.
    Text,
    /// One JSON document.
    Json,
}

/// One site in the report: its size and its problems.
#[derive(Serialize, JsonSchema)]
struct SiteSummary {
    /// The site.
    site: String,
    /// Its folder in the repository.
    dir: String,
    /// Cameras declared.
    cameras: usize,
    /// Files read.
    files: usize,
    /// Errors in its files.
    errors: usize,
    /// Warnings in its files.
    warnings: usize,
}

/// The JSON report; `format_version` changes when a field changes meaning.
#[derive(Serialize, JsonSchema)]
pub struct Report<'a> {
    /// Always 1.
    format_version: u32,
    /// The commit read (null for the work tree).
    commit: Option<String>,
    /// No errors (warnings allowed).
    valid: bool,
    /// Errors, all sites.
    errors: usize,
    /// Warnings, all sites.
    warnings: usize,
    /// Each site.
    sites: Vec<SiteSummary>,
    /// Every problem, with its file, line and column.
    diagnostics: &'a [Diagnostic],
}

/// Validates and prints the result.
pub fn run(args: Args) -> CmdResult {
    let tree = Tree::open(&args.repo.repo, &args.repo.rev)?;
    let repo = desired::load(&tree, &args.repo.rev, args.repo.site.as_deref())?;
    let diags = sorted_diagnostics(&repo, super::today()?);
    let sites = site_summaries(&repo, &diags);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let out = match args.format {
        Format::Json => {
            let report = Report {
                format_version: 1,
                commit: repo.commit.clone(),
                valid: errors == 0,
                errors,
                warnings,
                sites,
                diagnostics: &diags,
            };
            serde_json::to_string_pretty(&report)? + "\n"
        }
        Format::Text => text_report(&repo, &diags, &sites, errors),
    };
    output::print(&out)?;
    Ok(if errors > 0 {
        Exit::Error
    } else {
        Exit::Success
    })
}

/// What loading found plus what validation finds, in file order so that a
/// file's problems read top to bottom.
fn sorted_diagnostics(repo: &DesiredRepo, today: jiff::civil::Date) -> Vec<Diagnostic> {
    let mut diags = repo.diagnostics.clone();
    diags.extend(validate(repo, today));
    diags.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code))
    });
    diags
}

/// One summary per site, counting the diagnostics of its site file and its camera files.
fn site_summaries(repo: &DesiredRepo, diags: &[Diagnostic]) -> Vec<SiteSummary> {
    let count = |file_in_site: &dyn Fn(&str) -> bool, sev: desired::Severity| {
        diags
            .iter()
            .filter(|d| d.severity == sev && d.file.as_deref().is_some_and(file_in_site))
            .count()
    };
    repo.sites
        .iter()
        .map(|s| {
            let in_site = |f: &str| f == s.file || s.camera_files.iter().any(|c| c == f);
            SiteSummary {
                site: s.name().to_string(),
                dir: if s.dir.is_empty() {
                    ".".into()
                } else {
                    s.dir.clone()
                },
                cameras: s.cameras.len(),
                files: s.camera_files.len(),
                errors: count(&in_site, desired::Severity::Error),
                warnings: count(&in_site, desired::Severity::Warning),
            }
        })
        .collect()
}

/// The text output: each diagnostic with its lines, one line per site, then the verdict.
fn text_report(
    repo: &DesiredRepo,
    diags: &[Diagnostic],
    sites: &[SiteSummary],
    errors: usize,
) -> String {
    let color = super::color_enabled(&std::io::stdout());
    let sources = repo.sources();
    let mut out = String::new();
    for d in diags {
        out.push_str(&render::render(d, &sources, color));
        out.push('\n');
    }
    let at = match &repo.commit {
        Some(c) => format!("commit {}", vmsops::model::short_id(c)),
        None => "work tree".to_string(),
    };
    for s in sites {
        out.push_str(&format!(
            "{}: {} {} in {} {}, {} {}, {} {}\n",
            s.site,
            s.cameras,
            plural(s.cameras, "camera"),
            s.files,
            plural(s.files, "file"),
            s.errors,
            plural(s.errors, "error"),
            s.warnings,
            plural(s.warnings, "warning")
        ));
    }
    if errors == 0 {
        out.push_str(&format!(
            "valid: {} {} at {at}\n",
            sites.len(),
            plural(sites.len(), "site")
        ));
    } else {
        out.push_str(&format!(
            "invalid: {errors} {} at {at}\n",
            plural(errors, "error")
        ));
    }
    out
}

/// `word`, with an `s` unless there is exactly one.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}
