//! The `hbt` command line: argument parsing, progress display and output formatting over the
//! library crates. Each command turns its arguments into a library call (`hbt_pipeline`,
//! `hbt_report`, `hbt_bench`, `hbt_data`) and prints the result; no pipeline logic lives here.

pub mod cli;
mod commands;
mod progress;

use anyhow::Result;
use hbt_pipeline::experiment::Stages;
use hbt_pipeline::Locations;

use cli::{Cli, Command};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let flags = cli.locations;
    let locations = Locations::resolve(flags.data_dir, flags.results_dir, flags.offline)?;
    match cli.command {
        Command::Experiment(args) => commands::experiment::run(&args, &locations, Stages::All),
        Command::Train(args) => commands::experiment::run(&args, &locations, Stages::Train),
        Command::Eval(args) => commands::eval::run(&args, &locations),
        Command::Encode(args) => commands::encode::run(&args, &locations),
        Command::Model(command) => commands::model::run(command, &locations),
        Command::Report(args) => commands::report::run(&args, &locations),
        Command::Compare(args) => commands::report::compare(&args, &locations),
        Command::Data(command) => commands::data::run(command, &locations),
        Command::Bench(command) => commands::bench::run(command, &locations),
    }
}
