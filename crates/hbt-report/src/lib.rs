//! hbt-report: tables, figures and significance tests from hbt results folders.
//!
//! The report reads only results files (`results/EXPERIMENT/RUN/{config.toml, metrics.json,
//! per_query.parquet, train_log.csv, dev_log.csv}`, see `results/README.md`), each through its
//! one definition in `hbt_schema` (all but `per_query.parquet`), and never loads a model, so
//! everything can be regenerated without retraining. Like every hbt library crate it
//! never prints: skipped runs and figures come back as notes for the caller to show.
//!
//! Entry points:
//! - [`write_report`]: `results/EXPERIMENT/report.md` plus `tables/*.{md,csv,tex}` and
//!   `figures/*.{png,svg}` (what `hbt report EXPERIMENT` runs);
//! - [`compare_runs`] / [`compare_groups`]: metric deltas and paired significance tests between
//!   two runs or two strategies over seeds (what `hbt compare RUN_A RUN_B` runs), rendered with
//!   [`Comparison::to_markdown`] and [`Comparison::to_json`];
//! - [`load_experiment`], [`load_run`], [`group_runs`], [`tables::build_tables`] and
//!   [`figures::write_figures`] for finer control.
//!
//! ```no_run
//! use std::path::Path;
//! use hbt_report::{compare_runs, load_run, write_report, CompareOptions, ReportOptions};
//!
//! let summary = write_report(Path::new("results/smoke"), &ReportOptions::default())?;
//! println!("wrote {}", summary.report.display());
//!
//! let a = load_run(Path::new("results/smoke/strategy-mono"))?;
//! let b = load_run(Path::new("results/smoke/strategy-hybrid"))?;
//! let cmp = compare_runs(&a, &b, &CompareOptions::default())?;
//! println!("{}", cmp.to_markdown());
//! # Ok::<(), hbt_report::ReportError>(())
//! ```

#![warn(missing_docs)]

pub mod compare;
mod error;
pub mod figures;
mod groups;
pub mod load;
mod report;
pub mod stats;
pub mod tables;

pub use compare::{
    compare_groups, compare_run_sets, compare_runs, CompareOptions, Comparison, MetricDelta,
    PairedTest, Side,
};
pub use error::{ReportError, Result};
pub use groups::{format_alpha, group_runs, slugify, RunGroup};
pub use load::{load_experiment, load_run, Experiment, Run};
pub use report::{write_report, write_report_for, ReportOptions, ReportSummary};
