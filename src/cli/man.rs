//! `vmsops man --out DIR`: roff man pages generated from the clap definition.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use vmsops::exit::Exit;

use super::{output, Cli, CmdResult};

/// Arguments of `vmsops man`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to write `vmsops.1` and `vmsops-COMMAND.1` into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Writes one page for vmsops and one per subcommand (nested ones too), and lists them.
pub fn run(args: Args) -> CmdResult {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let mut written = Vec::new();
    let mut cli = Cli::command();
    // Built, so that subcommands carry the version and the generated `help` exists (skipped below).
    cli.build();
    write_pages(&cli, "vmsops", &args.out, &mut written)?;
    output::print(
        &written
            .iter()
            .map(|p| format!("{}\n", p.display()))
            .collect::<String>(),
    )?;
    Ok(Exit::Success)
}

/// The page of `cmd` under `name` (e.g. `vmsops-snapshot-list`), then those of its subcommands.
fn write_pages(
    cmd: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), String> {
    // A page's title and SYNOPSIS read the command's own name: give it the full one.
    let cmd = cmd.clone().name(name.to_string());
    let path = dir.join(format!("{name}.1"));
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .and_then(|()| std::fs::write(&path, page))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}
