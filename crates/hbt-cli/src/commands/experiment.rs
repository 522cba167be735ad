//! `hbt experiment NAME` and `hbt train NAME` (with `--check`: validate and list the runs).

use anyhow::{Context, Result};
use hbt_pipeline::experiment::{self, Stages};
use hbt_pipeline::Locations;

use crate::cli::ExperimentArgs;
use crate::progress::Terminal;

/// Runs (or with `--check`, validates) an experiment.
pub fn run(args: &ExperimentArgs, locations: &Locations, stages: Stages) -> Result<()> {
    let experiment = experiment::load(&args.name, locations)?;
    if args.check {
        println!(
            "{}: ok, {} run(s)",
            experiment.path.display(),
            experiment.runs.len()
        );
        for spec in &experiment.runs {
            match experiment::check_backend(spec.config.backend)
                .with_context(|| format!("run {}: key `backend`", spec.name))
            {
                Ok(()) => println!("  {}", spec.name),
                // Valid, but this build cannot run it: say so without failing the check.
                Err(e) => println!("  {} (note: {e:#})", spec.name),
            }
        }
        return Ok(());
    }
    let terminal = Terminal::new();
    let started = std::time::Instant::now();
    let options = experiment::RunOptions {
        resume: args.resume,
        only: args.runs.clone(),
        skip_memory_check: args.skip_memory_check,
    };
    let outcome = experiment::run(&experiment, locations, &options, stages, &terminal)?;
    for dir in &outcome.runs {
        println!("{}", dir.display());
    }
    if let Some(summary) = &outcome.report {
        super::report::print_summary(summary, "the whole experiment", started);
    }
    Ok(())
}
