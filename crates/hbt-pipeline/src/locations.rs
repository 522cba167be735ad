//! Where data, results and experiment files live: flag > environment variable > default.

use std::path::PathBuf;

/// Resolved folders and download settings.
#[derive(Debug, Clone)]
pub struct Locations {
    /// Data folder (`--data-dir` > `HBT_DATA_DIR` > `./datasets`).
    pub data_dir: PathBuf,
    /// Results folder (`--results-dir` > `HBT_RESULTS_DIR` > `./results`).
    pub results_dir: PathBuf,
    /// Folder searched for `NAME.toml` experiment files (`./experiments`).
    pub experiments_dir: PathBuf,
    /// Never download (`--offline` or `HBT_OFFLINE=1`).
    pub offline: bool,
    /// Base URL replacing the manifests' URLs (`HBT_DATA_URL`), e.g. a local mirror.
    pub base_url: Option<String>,
}

impl Locations {
    /// Applies the precedence rules to the flags given (None: not given) and the environment.
    pub fn resolve(data_dir: Option<PathBuf>, results_dir: Option<PathBuf>, offline: bool) -> Self {
        let env_path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Locations {
            data_dir: data_dir
                .or_else(|| env_path("HBT_DATA_DIR"))
                .unwrap_or_else(|| "datasets".into()),
            results_dir: results_dir
                .or_else(|| env_path("HBT_RESULTS_DIR"))
                .unwrap_or_else(|| "results".into()),
            experiments_dir: "experiments".into(),
            offline: offline || std::env::var("HBT_OFFLINE").is_ok_and(|v| v == "1" || v == "true"),
            base_url: std::env::var("HBT_DATA_URL").ok().filter(|v| !v.is_empty()),
        }
    }
}
