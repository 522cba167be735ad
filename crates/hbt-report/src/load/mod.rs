//! Reading results folders: `results/EXPERIMENT/RUN/{config.toml, metrics.json,
//! per_query.parquet, train_log.csv, dev_log.csv}`. Every file but `per_query.parquet` is read
//! through its one definition in `hbt_schema`. Nothing here loads a model.

mod per_query;

use std::path::{Path, PathBuf};

use hbt_schema::file::read_text;
use hbt_schema::logs::read_csv;
use hbt_schema::{
    DevRow, ExperimentConfig, Lang, MetricsFile, ModelKind, Strategy, TrainLogRow, CONFIG_FILE,
    DEV_LOG_FILE, METRICS_FILE, TRAIN_LOG_FILE,
};
pub use per_query::{read_per_query, QueryKey, QueryRow};

use crate::error::{ReportError, Result};

/// Per-query measures of a run (defined by `hbt_eval`, not by `hbt_schema`: it needs polars).
const PER_QUERY_FILE: &str = "per_query.parquet";

/// One run folder: its metrics and settings. Per-query rows and logs are read on demand.
#[derive(Debug, Clone)]
pub struct Run {
    /// Folder name (`main`, `strategy-hybrid`, `bm25`, ...).
    pub name: String,
    /// The run folder.
    pub dir: PathBuf,
    /// `metrics.json`.
    pub metrics: MetricsFile,
    /// The run's resolved `config.toml`; always present for trained runs, optional for
    /// reference runs.
    pub config: Option<ExperimentConfig>,
}

impl Run {
    /// Which model the run evaluated.
    pub fn model(&self) -> ModelKind {
        self.metrics.model
    }

    /// The batch strategy (`[train] strategy`); `None` for reference runs.
    pub fn strategy(&self) -> Option<Strategy> {
        if self.model().is_reference() {
            return None;
        }
        Some(self.config.as_ref()?.train.strategy)
    }

    /// `[train] alpha`, only meaningful for `hybrid`.
    pub fn alpha(&self) -> Option<f64> {
        if self.strategy() != Some(Strategy::Hybrid) {
            return None;
        }
        Some(self.config.as_ref()?.train.alpha)
    }

    /// The run's seed (top-level `seed` of `config.toml`).
    pub fn seed(&self) -> Option<u64> {
        Some(self.config.as_ref()?.seed)
    }

    /// Path of a file inside the run folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Reads `per_query.parquet`; a missing file is an error naming it.
    pub fn per_query(&self) -> Result<Vec<QueryRow>> {
        read_per_query(&self.file(PER_QUERY_FILE))
    }

    /// Reads `per_query.parquet` when the run has one.
    pub fn per_query_if_present(&self) -> Result<Option<Vec<QueryRow>>> {
        optional(read_per_query(&self.file(PER_QUERY_FILE)))
    }

    /// Reads `train_log.csv` when the run has one (reference runs do not).
    pub fn train_log(&self) -> Result<Option<Vec<TrainLogRow>>> {
        optional(read_csv(&self.file(TRAIN_LOG_FILE)).map_err(ReportError::from))
    }

    /// Reads `dev_log.csv` when the run has one.
    pub fn dev_log(&self) -> Result<Option<Vec<DevRow>>> {
        optional(read_csv(&self.file(DEV_LOG_FILE)).map_err(ReportError::from))
    }

    /// A short name for figures: the seed when known, else the folder name.
    pub fn short_name(&self) -> String {
        match self.seed() {
            Some(seed) if !self.model().is_reference() => format!("{} (seed {seed})", self.name),
            _ => self.name.clone(),
        }
    }
}

/// Reads a run's resolved `config.toml`; errors name the file.
fn read_config(path: &Path) -> Result<ExperimentConfig> {
    let text = read_text(path)?;
    ExperimentConfig::from_toml(&text).map_err(|e| ReportError::format(path, e.to_string()))
}

/// `Ok(None)` for a missing file.
fn optional<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ReportError::Missing { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads one run folder. `metrics.json` is required; `config.toml` is required for trained
/// runs and read when present for reference runs.
pub fn load_run(dir: &Path) -> Result<Run> {
    if !dir.is_dir() {
        return Err(ReportError::Missing {
            path: dir.to_path_buf(),
        });
    }
    let metrics = MetricsFile::read(&dir.join(METRICS_FILE))?;
    let config = match read_config(&dir.join(CONFIG_FILE)) {
        Ok(c) => Some(c),
        Err(ReportError::Missing { .. }) if metrics.model.is_reference() => None,
        Err(e) => return Err(e),
    };
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    Ok(Run {
        name,
        dir: dir.to_path_buf(),
        metrics,
        config,
    })
}

/// All runs of one experiment folder.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Experiment name (the folder name).
    pub name: String,
    /// The experiment folder (`results/EXPERIMENT`).
    pub dir: PathBuf,
    /// Runs with a `metrics.json`, sorted by folder name.
    pub runs: Vec<Run>,
    /// Folders that were skipped, and why (for the caller to show).
    pub notes: Vec<String>,
}

/// Folders of an experiment that are not runs: the report's own output and the checkpoints.
const OUTPUT_DIRS: [&str; 3] = ["tables", "figures", "checkpoints"];

/// Reads every run folder of `dir` (`results/EXPERIMENT`). Folders without `metrics.json`
/// (runs still in progress, failed runs) are skipped with a note; hidden folders
/// (`.RUN.partial`) and the report's own `tables/` and `figures/` are ignored. A run whose
/// files are present but unreadable is an error naming the file.
pub fn load_experiment(dir: &Path) -> Result<Experiment> {
    let entries = std::fs::read_dir(dir).map_err(|e| ReportError::open(dir, e))?;
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| ReportError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || OUTPUT_DIRS.contains(&name.as_str()) {
            continue;
        }
        if entry.path().is_dir() {
            dirs.push((name, entry.path()));
        }
    }
    dirs.sort();
    let mut runs = Vec::new();
    let mut notes = Vec::new();
    for (name, path) in dirs {
        if !path.join(METRICS_FILE).is_file() {
            notes.push(format!("skipped `{name}`: no {METRICS_FILE}"));
            continue;
        }
        runs.push(load_run(&path)?);
    }
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| dir.display().to_string());
    Ok(Experiment {
        name,
        dir: dir.to_path_buf(),
        runs,
        notes,
    })
}

impl Experiment {
    /// The run folder named `name`.
    pub fn run(&self, name: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.name == name)
    }

    /// QA task names in order of first appearance over the runs.
    pub fn qa_tasks(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for run in &self.runs {
            for t in run.metrics.qa_tasks() {
                if !out.contains(&t.task) {
                    out.push(t.task.clone());
                }
            }
        }
        out
    }

    /// Languages of a QA task (union over runs, in order of first appearance) and the
    /// zero-shot ones (union over trained runs; over all runs when none is trained).
    pub fn task_languages(&self, task: &str) -> (Vec<Lang>, Vec<Lang>) {
        let mut langs: Vec<Lang> = Vec::new();
        let mut zero_trained: Vec<Lang> = Vec::new();
        let mut zero_all: Vec<Lang> = Vec::new();
        for run in &self.runs {
            let Some(t) = run.metrics.qa_task(task) else {
                continue;
            };
            for &l in &t.languages {
                if !langs.contains(&l) {
                    langs.push(l);
                }
            }
            for &l in &t.zero_shot_languages {
                if !zero_all.contains(&l) {
                    zero_all.push(l);
                }
                if !run.model().is_reference() && !zero_trained.contains(&l) {
                    zero_trained.push(l);
                }
            }
        }
        let any_trained = self.runs.iter().any(|r| !r.model().is_reference());
        let zero = if any_trained { zero_trained } else { zero_all };
        let zero = langs.iter().filter(|l| zero.contains(l)).copied().collect();
        (langs, zero)
    }
}
