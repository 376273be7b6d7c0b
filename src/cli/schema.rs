//! `vmsops schema`: print the JSON Schema of a file kind.

use clap::ValueEnum;
use vmsops::desired::schema::{schema_text, FileKind};
use vmsops::exit::Exit;

use super::{output, CmdResult};

/// Arguments of `vmsops schema`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which file kind.
    #[arg(long, value_enum, default_value_t = Kind::Site)]
    kind: Kind,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    /// site.yaml
    Site,
    /// cameras/**/*.yaml
    Cameras,
}

/// Prints the schema.
pub fn run(args: Args) -> CmdResult {
    let kind = match args.kind {
        Kind::Site => FileKind::Site,
        Kind::Cameras => FileKind::Cameras,
    };
    output::print(&schema_text(kind))?;
    Ok(Exit::Success)
}
