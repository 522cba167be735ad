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

/// `err` and its causes as one line, `outer: cause: ...`, leaving out a cause whose text the
/// line already holds (errors such as `PATH: {source}` state their source themselves).
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string().replace('\n', " ");
        if line.contains(text.trim()) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("results/x.png: {source}")]
    struct States {
        source: std::io::Error,
    }

    #[test]
    fn a_cause_already_stated_is_not_repeated_and_others_are_kept() {
        let full = std::io::Error::from_raw_os_error(28);
        let err = anyhow::Error::new(States { source: full }).context("report of `tiny`");
        assert_eq!(
            error_line(&err),
            "report of `tiny`: results/x.png: No space left on device (os error 28)"
        );
        let err = anyhow::anyhow!("cannot read\nconfig.json").context("model `m`");
        assert_eq!(error_line(&err), "model `m`: cannot read config.json");
    }
}
