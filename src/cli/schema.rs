//! `vmsops schema`: the JSON Schema of a file kind or of a command's JSON output,
//! generated from the Rust types; `--out DIR` writes them all (that is how
//! `schemas/` is regenerated: `cargo run -- schema --out schemas`).

use std::path::PathBuf;

use clap::ValueEnum;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};
use vmsops::desired::schema::{schema_text, FileKind};
use vmsops::exit::Exit;

use super::{output, CmdResult};

/// Arguments of `vmsops schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which file kind or JSON output.
    #[arg(long, value_enum, default_value_t = Kind::Site, conflicts_with = "out")]
    kind: Kind,
    /// Write every schema into this folder as KIND.schema.json (and list them) instead of printing one.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// Everything `vmsops schema` describes: the desired-state files and every JSON output.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    /// site.yaml
    Site,
    /// cameras/**/*.yaml
    Cameras,
    /// `plan --format json`, and the plan `plan --out` saves
    Plan,
    /// `drift --format json` (a plan document with each site's status and drift)
    Drift,
    /// `validate --format json`
    Validate,
    /// `apply --format json`
    Apply,
    /// `restore --format json`
    Restore,
    /// `import --format json`
    Import,
    /// `snapshot create|show --format json`
    Snapshot,
    /// `snapshot list --format json` (an array of records)
    SnapshotList,
    /// `snapshot prune --format json`
    SnapshotPrune,
    /// One line of the audit journal
    JournalEntry,
    /// `audit log --format json` (an array of journal entries)
    AuditLog,
    /// `audit verify --format json`
    AuditVerify,
    /// `audit review --format json`
    Review,
    /// The body `watch --webhook` posts
    Webhook,
    /// `status --format json`
    Status,
    /// `state status --format json`
    StateStatus,
    /// `state init --format json`
    StateInit,
    /// `state migrate --format json`
    StateMigrate,
    /// `drift ack --format json`
    DriftAck,
}

impl Kind {
    /// The schema as committed in `schemas/`: pretty JSON with a final newline.
    fn text(self) -> String {
        let schema: Schema = match self {
            Kind::Site => return schema_text(FileKind::Site),
            Kind::Cameras => return schema_text(FileKind::Cameras),
            Kind::Plan | Kind::Drift => output_schema::<vmsops::plan::document::PlanDocument>(),
            Kind::Validate => output_schema::<super::validate::Report<'static>>(),
            Kind::Apply => output_schema::<super::apply_json::ApplyDocument>(),
            Kind::Restore => output_schema::<super::restore::RestoreDocument>(),
            Kind::Import => output_schema::<super::import::ImportDocument>(),
            Kind::Snapshot => output_schema::<super::snapshot_json::SnapshotDocument>(),
            Kind::SnapshotList => output_schema::<Vec<vmsops::ops::SnapshotInfo>>(),
            Kind::SnapshotPrune => output_schema::<super::snapshot_json::PruneDocument>(),
            Kind::JournalEntry => output_schema::<vmsops::audit::Entry>(),
            Kind::AuditLog => output_schema::<Vec<vmsops::audit::Entry>>(),
            Kind::AuditVerify => output_schema::<super::audit::VerifyDocument>(),
            Kind::Review => output_schema::<vmsops::audit::review::Review>(),
            Kind::Webhook => output_schema::<vmsops::watch::webhook::Payload<'static>>(),
            Kind::Status => output_schema::<super::status::StatusDocument<'static>>(),
            Kind::StateStatus => output_schema::<super::state::Status>(),
            Kind::StateInit => output_schema::<super::state::InitDocument>(),
            Kind::StateMigrate => output_schema::<super::state::MigrateDocument>(),
            Kind::DriftAck => output_schema::<super::drift::AckDocument>(),
        };
        let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The file name in `schemas/`, e.g. `journal-entry.schema.json`.
    fn file_name(self) -> String {
        let name = self
            .to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        format!("{name}.schema.json")
    }
}

/// The schema of what a command writes: serde's serializing side (a field it skips
/// when empty is not required), unlike the desired-state files, which are read.
fn output_schema<T: ?Sized + JsonSchema>() -> Schema {
    SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>()
}

/// Prints one schema, or writes them all.
pub fn run(args: Args) -> CmdResult {
    let Some(dir) = args.out else {
        output::print(&args.kind.text())?;
        return Ok(Exit::Success);
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut written = String::new();
    for kind in Kind::value_variants() {
        let path = dir.join(kind.file_name());
        vmsops::ops::write_atomic(&path, kind.text().as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push_str(&format!("{}\n", path.display()));
    }
    output::print(&written)?;
    Ok(Exit::Success)
}
