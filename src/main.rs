//! The `vmsops` binary: parse arguments, run the command, map the result to an exit code.

// A function over 80 lines (clippy.toml) is split into named steps; `-D warnings` makes it an error.
#![warn(clippy::too_many_lines)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
