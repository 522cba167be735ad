//! The `hbt` command line as a library: argument types, experiment files, and the drivers
//! that run each command over the library crates. Only this crate prints.

pub mod cli;
pub mod commands;
pub mod config;
pub mod datasets;
pub mod locations;
pub mod manifest;
pub mod progress;
pub mod run_dir;
pub mod stages;

use anyhow::Result;

use cli::{Cli, Command};
use commands::experiment::Stages;
use locations::Locations;

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let locations = Locations::resolve(&cli.locations);
    match cli.command {
        Command::Experiment(args) => commands::experiment::run(&args, &locations, Stages::All),
        Command::Train(args) => commands::experiment::run(&args, &locations, Stages::Train),
        Command::Eval(args) => commands::eval::run(&args, &locations),
        Command::Report(args) => commands::report::run(&args, &locations),
        Command::Compare(args) => commands::report::compare(&args, &locations),
        Command::Data(command) => commands::data::run(command, &locations),
        Command::Bench(command) => commands::bench::run(command, &locations),
    }
}
