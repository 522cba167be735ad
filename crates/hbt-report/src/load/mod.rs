//! Reading results folders: `results/EXPERIMENT/RUN/{config.toml, metrics.json,
//! per_query.parquet, train_log.csv, dev_log.csv}`. Nothing here loads a model.

mod config;
mod logs;
mod metrics;
mod per_query;

use std::path::{Path, PathBuf};

pub use config::RunConfig;
pub use logs::{read_dev_log, read_train_log, DevPoint, TrainStep};
pub use metrics::{
    BitextTask, CrossSetting, LanguageShare, Measures, Metrics, ModelKind, MultiSetting,
    PerLanguage, QaTask, RankDistance, RankDistanceSummary, RetrievalTask, TaskMetrics,
    METRICS_SCHEMA_VERSION,
};
pub use per_query::{read_per_query, QueryKey, QueryRow};

use crate::error::{ReportError, Result};

/// File names inside a run folder.
pub mod files {
    /// Resolved settings of the run.
    pub const CONFIG: &str = "config.toml";
    /// Aggregate metrics.
    pub const METRICS: &str = "metrics.json";
    /// Per-query measures.
    pub const PER_QUERY: &str = "per_query.parquet";
    /// One row per optimizer step.
    pub const TRAIN_LOG: &str = "train_log.csv";
    /// One row per checkpoint.
    pub const DEV_LOG: &str = "dev_log.csv";
}

/// One run folder: its metrics and settings. Per-query rows and logs are read on demand.
#[derive(Debug, Clone)]
pub struct Run {
    /// Folder name (`main`, `strategy-hybrid`, `bm25`, ...).
    pub name: String,
    /// The run folder.
    pub dir: PathBuf,
    /// `metrics.json`.
    pub metrics: Metrics,
    /// `config.toml`; always present for trained runs, optional for reference runs.
    pub config: Option<RunConfig>,
}

impl Run {
    /// Which model the run evaluated.
    pub fn model(&self) -> ModelKind {
        self.metrics.model
    }

    /// The batch strategy (`[train] strategy`); `None` for reference runs.
    pub fn strategy(&self) -> Option<&str> {
        if self.model().is_reference() {
            return None;
        }
        self.config.as_ref()?.strategy.as_deref()
    }

    /// `[train] alpha`, only meaningful for `hybrid`.
    pub fn alpha(&self) -> Option<f64> {
        if self.strategy() != Some("hybrid") {
            return None;
        }
        self.config.as_ref()?.alpha
    }

    /// The run's seed (top-level `seed` of `config.toml`).
    pub fn seed(&self) -> Option<u64> {
        self.config.as_ref()?.seed
    }

    /// Path of a file inside the run folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Reads `per_query.parquet`; a missing file is an error naming it.
    pub fn per_query(&self) -> Result<Vec<QueryRow>> {
        read_per_query(&self.file(files::PER_QUERY))
    }

    /// Reads `per_query.parquet` when the run has one.
    pub fn per_query_if_present(&self) -> Result<Option<Vec<QueryRow>>> {
        optional(read_per_query(&self.file(files::PER_QUERY)))
    }

    /// Reads `train_log.csv` when the run has one (reference runs do not).
    pub fn train_log(&self) -> Result<Option<Vec<TrainStep>>> {
        optional(read_train_log(&self.file(files::TRAIN_LOG)))
    }

    /// Reads `dev_log.csv` when the run has one.
    pub fn dev_log(&self) -> Result<Option<Vec<DevPoint>>> {
        optional(read_dev_log(&self.file(files::DEV_LOG)))
    }

    /// A short name for figures: the seed when known, else the folder name.
    pub fn short_name(&self) -> String {
        match self.seed() {
            Some(seed) if !self.model().is_reference() => format!("{} (seed {seed})", self.name),
            _ => self.name.clone(),
        }
    }
}

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
    let metrics = Metrics::read(&dir.join(files::METRICS))?;
    let config_path = dir.join(files::CONFIG);
    let config = match RunConfig::read(&config_path) {
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
        if !path.join(files::METRICS).is_file() {
            notes.push(format!("skipped `{name}`: no {}", files::METRICS));
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
    pub fn task_languages(&self, task: &str) -> (Vec<String>, Vec<String>) {
        let mut langs: Vec<String> = Vec::new();
        let mut zero_trained: Vec<String> = Vec::new();
        let mut zero_all: Vec<String> = Vec::new();
        for run in &self.runs {
            let Some(t) = run.metrics.qa_task(task) else {
                continue;
            };
            for l in &t.languages {
                if !langs.contains(l) {
                    langs.push(l.clone());
                }
            }
            for l in &t.zero_shot_languages {
                if !zero_all.contains(l) {
                    zero_all.push(l.clone());
                }
                if !run.model().is_reference() && !zero_trained.contains(l) {
                    zero_trained.push(l.clone());
                }
            }
        }
        let any_trained = self.runs.iter().any(|r| !r.model().is_reference());
        let zero = if any_trained { zero_trained } else { zero_all };
        let zero = langs.iter().filter(|l| zero.contains(l)).cloned().collect();
        (langs, zero)
    }
}
