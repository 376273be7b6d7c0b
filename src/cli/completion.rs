//! `vmsops completion SHELL`: a completion script generated from the clap definition.

use clap::CommandFactory;
use clap_complete::Shell;
use vmsops::exit::Exit;

use super::{output, Cli, CmdResult};

/// Arguments of `vmsops completion`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell, e.g. `vmsops completion bash > /etc/bash_completion.d/vmsops`.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the script to stdout.
pub fn run(args: Args) -> CmdResult {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "vmsops", &mut script);
    output::print(&String::from_utf8_lossy(&script))?;
    Ok(Exit::Success)
}
