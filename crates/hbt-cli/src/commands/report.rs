//! `hbt report EXPERIMENT...` and `hbt compare A B`: tables, figures and significance tests
//! from results folders alone (no model is loaded).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use hbt_report::{
    compare_groups, compare_runs, load_experiment, load_run, write_report, CompareOptions,
    ReportOptions,
};

use crate::cli::{CompareArgs, ReportArgs};
use crate::locations::Locations;

/// `results/NAME`, or `NAME` itself when it is a folder path.
fn experiment_dir(name: &str, locations: &Locations) -> PathBuf {
    let path = Path::new(name);
    if path.is_dir() && (path.is_absolute() || name.contains('/')) {
        path.to_path_buf()
    } else {
        locations.results_dir.join(name)
    }
}

/// Writes the report of one experiment and prints where it is.
pub fn report_experiment(name: &str, locations: &Locations, figures: bool) -> Result<()> {
    let started = Instant::now();
    let dir = experiment_dir(name, locations);
    let summary = write_report(&dir, &ReportOptions { figures })
        .with_context(|| format!("report of `{name}`"))?;
    for note in &summary.notes {
        eprintln!("[report] note: {note}");
    }
    eprintln!(
        "[report] {} runs, {} tables, {} figures in {:.1}s",
        summary.runs.len(),
        summary.tables.len(),
        summary.figures.len(),
        started.elapsed().as_secs_f64()
    );
    println!("{}", summary.report.display());
    Ok(())
}

/// Runs `hbt report`.
pub fn run(args: &ReportArgs, locations: &Locations) -> Result<()> {
    for name in &args.experiments {
        report_experiment(name, locations, !args.no_figures)?;
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
            let exp = load_experiment(&experiment_dir(experiment, locations))?;
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
        crate::run_dir::write_atomic(path, comparison.to_json().as_bytes())?;
    }
    Ok(())
}

/// A run folder given as a path or as `EXPERIMENT/RUN` under the results folder.
fn run_dir(name: &str, locations: &Locations) -> PathBuf {
    let path = Path::new(name);
    if path.join("metrics.json").is_file() {
        path.to_path_buf()
    } else {
        locations.results_dir.join(name)
    }
}
