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

/// Reports a command-line parsing error: help and version requests print as clap renders
/// them; a real error becomes one `error:` line (clap's message with its details, without the
/// usage block) and exit status 2, as clap's own.
pub fn usage_error(err: clap::Error) -> std::process::ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return if err.use_stderr() {
            std::process::ExitCode::from(2)
        } else {
            std::process::ExitCode::SUCCESS
        };
    }
    eprintln!("error: {}", usage_line(&err.render().to_string()));
    std::process::ExitCode::from(2)
}

/// clap's rendered error as one line: the text before its `Usage:` block, whitespace folded,
/// the leading `error: ` dropped, and a pointer to `--help`.
fn usage_line(rendered: &str) -> String {
    let message = rendered.split("\nUsage:").next().unwrap_or(rendered);
    let message = message.replace("For more information, try '--help'.", "");
    let message = message.trim().trim_start_matches("error:").trim();
    let message = message.trim_end_matches(';');
    let folded = message.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{folded} (see --help)")
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
    fn a_usage_error_is_one_line_naming_what_is_missing() {
        use clap::Parser;
        let err = cli::Cli::try_parse_from(["hbt", "eval", "--checkpoint", "bm25"]).unwrap_err();
        let line = usage_line(&err.render().to_string());
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.starts_with("the following required arguments were not provided: --task <NAME>"),
            "{line}"
        );
        assert!(!line.contains("Usage"), "{line}");
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
