//! `hbt report EXPERIMENT...` and `hbt compare A B`: tables, figures and significance tests
//! from results folders alone (no model is loaded).

use std::time::Instant;

use anyhow::Result;
use hbt_pipeline::results::{experiment_dir, run_dir, write_report};
use hbt_pipeline::Locations;
use hbt_report::{
    compare_groups, compare_runs, load_experiment, load_run, CompareOptions, ReportSummary,
};
use hbt_schema::file::write_atomic;

use crate::cli::{CompareArgs, ReportArgs};

/// Prints what a report wrote (notes and counts on stderr, the report's path on stdout) and
/// how long `timed` took since `started`.
pub fn print_summary(summary: &ReportSummary, timed: &str, started: Instant) {
    for note in &summary.notes {
        eprintln!("[report] note: {note}");
    }
    eprintln!(
        "[report] {} runs, {} tables, {} figures; {timed} took {:.1}s",
        summary.runs.len(),
        summary.tables.len(),
        summary.figures.len(),
        started.elapsed().as_secs_f64()
    );
    println!("{}", summary.report.display());
}

/// Runs `hbt report`.
pub fn run(args: &ReportArgs, locations: &Locations) -> Result<()> {
    for name in &args.experiments {
        let started = Instant::now();
        let summary = write_report(name, locations, !args.no_figures)?;
        print_summary(&summary, "the report", started);
    }
    Ok(())
}

/// Runs `hbt compare`.
pub fn compare(args: &CompareArgs, locations: &Locations) -> Result<()> {
    let options = CompareOptions {
        resamples: args.resamples,
        permutations: args.resamples,
        seed: args.seed,
        settings: args.settings.clone(),
        ..CompareOptions::default()
    };
    let comparison = match &args.experiment {
        Some(experiment) => {
            let exp = load_experiment(&experiment_dir(experiment, locations)?)?;
            let a = exp.find_group(&args.a)?;
            let b = exp.find_group(&args.b)?;
            compare_groups(&a, &b, &options)?
        }
        None => {
            let a = load_run(&run_dir(&args.a, locations))?;
            let b = load_run(&run_dir(&args.b, locations))?;
            compare_runs(&a, &b, &options)?
        }
    };
    println!("{}", comparison.to_markdown());
    if let Some(path) = &args.json {
        write_atomic(path, comparison.to_json().as_bytes())?;
    }
    Ok(())
}
