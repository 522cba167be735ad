//! The `hbt` binary: parses arguments, runs one command, prints any error as one line and
//! exits non-zero.

use std::process::ExitCode;

use clap::Parser;

use hbt_cli::cli::Cli;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return hbt_cli::usage_error(err),
    };
    match hbt_cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", hbt_cli::error_line(&err));
            ExitCode::FAILURE
        }
    }
}
