//! `write_report`: tables and figures of an experiment stitched into `report.md`.

use std::path::{Path, PathBuf};

use hbt_schema::file::write_atomic;
use serde::Serialize;

use crate::error::{ReportError, Result};
use crate::figures::{write_figures, FigureFile};
use crate::groups::group_runs;
use crate::load::{load_experiment, Experiment};
use crate::tables::{build_tables, Table};

/// What to produce.
#[derive(Debug, Clone, Serialize)]
pub struct ReportOptions {
    /// Draw figures (PNG + SVG); tables only when false.
    pub figures: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { figures: true }
    }
}

/// What [`write_report`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ReportSummary {
    /// `EXPERIMENT/report.md`.
    pub report: PathBuf,
    /// Every table file (`tables/*.md`, `*.csv`, `*.tex`).
    pub tables: Vec<PathBuf>,
    /// Every figure (PNG and SVG paths, caption).
    pub figures: Vec<FigureFile>,
    /// Runs used.
    pub runs: Vec<String>,
    /// Skipped runs and figures, and why (for the CLI to show).
    pub notes: Vec<String>,
}

/// Reads `experiment_dir` (`results/EXPERIMENT`) and writes `report.md`, `tables/` and
/// `figures/` into it. Every file is written atomically (temporary file + rename).
pub fn write_report(experiment_dir: &Path, options: &ReportOptions) -> Result<ReportSummary> {
    let experiment = load_experiment(experiment_dir)?;
    write_report_for(&experiment, options)
}

/// Like [`write_report`], for an experiment already loaded.
///
/// Everything is drawn and written into `EXPERIMENT/.report.partial/` first (a stale one, left
/// by a killed report, is removed) and moved into place file by file only when the whole
/// report succeeded, so a failing report leaves the previous one as it was.
pub fn write_report_for(experiment: &Experiment, options: &ReportOptions) -> Result<ReportSummary> {
    if experiment.runs.is_empty() {
        return Err(ReportError::NoRuns {
            path: experiment.dir.clone(),
        });
    }
    let staging = experiment.dir.join(".report.partial");
    remove_dir_if_present(&staging)?;
    std::fs::create_dir_all(&staging).map_err(|e| ReportError::io(&staging, e))?;
    let staged = write_report_into(experiment, options, &staging);
    let summary = match staged {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let placed = |path: &Path| {
        experiment
            .dir
            .join(path.strip_prefix(&staging).unwrap_or(path))
    };
    let moved = summary
        .tables
        .iter()
        .chain(summary.figures.iter().flat_map(|f| [&f.png, &f.svg]))
        .chain([&summary.report])
        .try_for_each(|path| {
            let target = placed(path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| ReportError::io(parent, e))?;
            }
            std::fs::rename(path, &target).map_err(|e| ReportError::io(&target, e))
        });
    let cleaned = remove_dir_if_present(&staging);
    moved?;
    cleaned?;
    Ok(ReportSummary {
        report: placed(&summary.report),
        tables: summary.tables.iter().map(|p| placed(p)).collect(),
        figures: summary
            .figures
            .into_iter()
            .map(|f| FigureFile {
                png: placed(&f.png),
                svg: placed(&f.svg),
                ..f
            })
            .collect(),
        ..summary
    })
}

fn remove_dir_if_present(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ReportError::io(dir, e)),
        _ => Ok(()),
    }
}

/// Writes the tables, figures and `report.md` of `experiment` under `out`.
fn write_report_into(
    experiment: &Experiment,
    options: &ReportOptions,
    out: &Path,
) -> Result<ReportSummary> {
    let groups = group_runs(experiment);
    let tables = build_tables(experiment, &groups);
    let table_dir = out.join("tables");
    std::fs::create_dir_all(&table_dir).map_err(|e| ReportError::io(&table_dir, e))?;
    let mut table_files = Vec::new();
    for t in &tables {
        for (ext, text) in [
            ("md", t.to_markdown()),
            ("csv", t.to_csv()),
            ("tex", t.to_latex()),
        ] {
            let path = table_dir.join(format!("{}.{ext}", t.id));
            write_atomic(&path, text.as_bytes())?;
            table_files.push(path);
        }
    }
    let mut notes = experiment.notes.clone();
    let figures = if options.figures {
        let drawn = write_figures(experiment, &groups, &out.join("figures"))?;
        notes.extend(drawn.notes);
        drawn.files
    } else {
        Vec::new()
    };
    let report = out.join("report.md");
    let text = markdown(experiment, &tables, &figures, &notes);
    write_atomic(&report, text.as_bytes())?;
    Ok(ReportSummary {
        report,
        tables: table_files,
        figures,
        runs: experiment.runs.iter().map(|r| r.name.clone()).collect(),
        notes,
    })
}

/// The text of `report.md`.
fn markdown(
    experiment: &Experiment,
    tables: &[Table],
    figures: &[FigureFile],
    notes: &[String],
) -> String {
    let mut s = format!("# Report: {}\n\n", experiment.name);
    s.push_str(&format!(
        "Generated by `hbt report` from {} run folder(s) under `{}`: {}. Tables are also in \
         `tables/` (Markdown, CSV, LaTeX/booktabs), figures in `figures/` (PNG at 300 dpi, SVG).\n\n",
        experiment.runs.len(),
        experiment.name,
        experiment
            .runs
            .iter()
            .map(|r| format!("`{}`", r.name))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for note in notes {
        s.push_str(&format!("> Note: {note}\n"));
    }
    if !notes.is_empty() {
        s.push('\n');
    }
    let table = |id: &str| tables.iter().find(|t| t.id == id);
    let figure = |f: &FigureFile| {
        let name = f
            .png
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!(
            "![{}](figures/{name})\n\n*{}* ([SVG](figures/{}))\n\n",
            f.id,
            f.caption,
            name.replace(".png", ".svg")
        )
    };

    s.push_str("## Main comparison\n\n");
    if let Some(t) = table("main") {
        s.push_str(&t.to_markdown());
        s.push('\n');
    }
    for f in figures.iter().filter(|f| f.id.starts_with("alpha_sweep_")) {
        s.push_str(&figure(f));
    }

    for task in experiment.qa_tasks() {
        s.push_str(&format!("## {task}: per language\n\n"));
        for id in ["mono", "multi", "rank_distance"] {
            if let Some(t) = table(&format!("per_language_{task}_{id}")) {
                s.push_str(&t.to_markdown());
                s.push('\n');
            }
        }
        for f in figures
            .iter()
            .filter(|f| f.id == format!("rank_distance_{task}"))
        {
            s.push_str(&figure(f));
        }
        s.push_str(&format!("## {task}: cross-lingual pairs (X→Y)\n\n"));
        let prefix = format!("cross_{task}_");
        for t in tables.iter().filter(|t| t.id.starts_with(&prefix)) {
            s.push_str(&t.to_markdown());
            s.push('\n');
        }
        let prefix = format!("heatmap_{task}_");
        for f in figures.iter().filter(|f| f.id.starts_with(&prefix)) {
            s.push_str(&figure(f));
        }
    }

    if let Some(t) = table("other_tasks") {
        s.push_str("## Other tasks\n\n");
        s.push_str(&t.to_markdown());
        s.push('\n');
    }
    if let Some(f) = figures.iter().find(|f| f.id == "training_curves") {
        s.push_str("## Training\n\n");
        s.push_str(&figure(f));
    }
    if let Some(t) = table("runs") {
        s.push_str("## Every run\n\n");
        s.push_str(&t.to_markdown());
        s.push('\n');
    }
    s
}
