//! Where an experiment's results are, for the commands that read them (`hbt report`,
//! `hbt compare`), and the report of an experiment.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hbt_report::{write_report as write_report_files, ReportOptions, ReportSummary};
use hbt_schema::METRICS_FILE;

use crate::locations::Locations;
use crate::lock::ExperimentLock;
use crate::names::check_name;

/// `results/NAME` (`NAME` checked to be one safe folder name), or `NAME` itself when it is a
/// folder path.
pub fn experiment_dir(name: &str, locations: &Locations) -> Result<PathBuf> {
    let path = Path::new(name);
    if path.is_dir() && (path.is_absolute() || name.contains('/')) {
        return Ok(path.to_path_buf());
    }
    check_name("experiment", name)?;
    Ok(locations.results_dir.join(name))
}

/// A run folder given as a path or as `EXPERIMENT/RUN` under the results folder.
pub fn run_dir(name: &str, locations: &Locations) -> PathBuf {
    let path = Path::new(name);
    if path.join(METRICS_FILE).is_file() {
        path.to_path_buf()
    } else {
        locations.results_dir.join(name)
    }
}

/// Writes the report (tables, figures, report.md) of the experiment `name`, holding the
/// experiment's lock.
pub fn write_report(name: &str, locations: &Locations, figures: bool) -> Result<ReportSummary> {
    let dir = experiment_dir(name, locations)?;
    let _lock = ExperimentLock::acquire_folder(&dir)?;
    write_report_in(&dir, name, figures)
}

/// Writes the report of the experiment folder `dir` (its lock already held by the caller).
pub(crate) fn write_report_in(dir: &Path, name: &str, figures: bool) -> Result<ReportSummary> {
    write_report_files(dir, &ReportOptions { figures })
        .with_context(|| format!("report of `{name}`"))
}
