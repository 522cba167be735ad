//! The files hbt writes into a results folder, as serde types shared by every writer and every
//! reader, and the named choices of its settings.
//!
//! | file | type | written by | read by |
//! |---|---|---|---|
//! | `config.toml` | [`ExperimentConfig`] | `hbt_pipeline` | `hbt_pipeline` (experiment files), `hbt_report` |
//! | `manifest.json` | [`RunManifest`] | `hbt_pipeline` | — (provenance for people) |
//! | `metrics.json` | [`MetricsFile`] | `hbt_eval` | `hbt_report` |
//! | `train_log.csv`, `dev_log.csv` | [`TrainLogRow`], [`DevRow`] | `hbt_train` rows, `hbt_pipeline` | `hbt_report` |
//! | `data_stats.json` | [`DataStats`] | `hbt_pipeline` | — |
//! | `batch_composition.json` | [`BatchCompositionFile`] | `hbt_pipeline` | — |
//!
//! `per_query.parquet` and the TREC files are defined by `hbt_eval::output` (they need polars).
//! Every file is written with [`file::write_atomic`]. This crate has no heavy dependencies.

pub mod composition;
pub mod config;
pub mod data_stats;
pub mod device;
pub mod file;
pub mod lang;
pub mod logs;
pub mod manifest;
pub mod metrics;
pub mod names;

pub use composition::{BatchComposition, BatchCompositionFile, BATCH_COMPOSITION_FILE};
pub use config::{
    DataConfig, EvalConfig, ExperimentConfig, ModelConfig, TokenizerConfig, TrainConfig,
};
pub use data_stats::{
    DataStats, EvalTaskStats, GroupSummary, QaLanguageStats, TokenStats, TokenizerStats,
    TrainSourceStats, DATA_STATS_FILE,
};
pub use device::{DeviceName, UnknownDevice};
pub use file::SchemaError;
pub use lang::{Lang, UnknownLanguage};
pub use logs::{DevRow, TrainLogRow, DEV_LOG_FILE, TRAIN_LOG_FILE};
pub use manifest::{DataFile, RunManifest, StageTime, MANIFEST_FILE, MANIFEST_SCHEMA_VERSION};
pub use metrics::{Measures, MetricsFile, METRICS_FILE, METRICS_SCHEMA_VERSION};
pub use names::{
    BackendKind, BatchKind, LanguageWeighting, ModelFamily, ModelKind, PoolingMode, Precision,
    Reference, SentenceSource, Strategy, TextPrefixes, TextRole, UnknownName,
};

/// The file name of a run's resolved settings.
pub const CONFIG_FILE: &str = "config.toml";
