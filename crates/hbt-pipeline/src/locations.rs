//! Where data, results and experiment files live: flag > environment variable > default.

use std::path::PathBuf;

use hbt_data::fetch::DownloadLimits;
use hbt_hub::HubSettings;

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
    /// Deadline and minimum rate of dataset downloads (`HBT_DOWNLOAD_DEADLINE`,
    /// `HBT_DOWNLOAD_MIN_RATE`).
    pub download_limits: DownloadLimits,
    /// Where pretrained models are downloaded from and cached (`HF_ENDPOINT`, `HF_HUB_CACHE`,
    /// `HF_HOME`, `HF_TOKEN`); offline with `HF_HUB_OFFLINE=1` or when hbt is offline.
    pub hub: HubSettings,
}

impl Locations {
    /// Applies the precedence rules to the flags given (None: not given) and the environment;
    /// fails when no Hugging Face cache folder can be found (no home folder and no
    /// `HF_HUB_CACHE` / `HF_HOME`) or a download limit variable is not a positive number.
    pub fn resolve(
        data_dir: Option<PathBuf>,
        results_dir: Option<PathBuf>,
        offline: bool,
    ) -> anyhow::Result<Self> {
        let env_path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let offline =
            offline || std::env::var("HBT_OFFLINE").is_ok_and(|v| v == "1" || v == "true");
        let mut hub = HubSettings::from_env()?;
        hub.offline |= offline;
        Ok(Locations {
            data_dir: data_dir
                .or_else(|| env_path("HBT_DATA_DIR"))
                .unwrap_or_else(|| "datasets".into()),
            results_dir: results_dir
                .or_else(|| env_path("HBT_RESULTS_DIR"))
                .unwrap_or_else(|| "results".into()),
            experiments_dir: "experiments".into(),
            offline,
            base_url: std::env::var("HBT_DATA_URL").ok().filter(|v| !v.is_empty()),
            download_limits: hub.limits,
            hub,
        })
    }
}
