//! [`HubSettings`]: where the hub and the cache are, read from the environment.

use std::fmt;
use std::path::PathBuf;

use hbt_download::DownloadLimits;

use crate::HubError;

/// The hub asked when `HF_ENDPOINT` is not set.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Where the hub and the local cache are, whether the network may be used, and the token.
#[derive(Clone, PartialEq, Eq)]
pub struct HubSettings {
    /// The hub's base URL, without a trailing `/` (files are at
    /// `{endpoint}/{ORG}/{NAME}/resolve/{REVISION}/{FILE}`).
    pub endpoint: String,
    /// The hub cache folder, holding `models--ORG--NAME/{blobs,snapshots,refs}`.
    pub cache_dir: PathBuf,
    /// Cache only: never ask the network.
    pub offline: bool,
    /// The access token sent as `Authorization: Bearer` (private and gated repos).
    pub token: Option<String>,
    /// Deadline and minimum rate of each file's download (hf-hub's client has no timeouts of
    /// its own; the download is watched and abandoned when it breaks them).
    pub limits: DownloadLimits,
}

impl HubSettings {
    /// Settings from the process environment; see [`HubSettings::from_vars`].
    pub fn from_env() -> Result<HubSettings, HubError> {
        HubSettings::from_vars(|name| {
            let value = std::env::var(name).ok();
            if name == "HOME" && value.is_none() {
                return std::env::home_dir().map(|home| home.to_string_lossy().into_owned());
            }
            value
        })
    }

    /// Settings from the variables `get` gives, following Python `huggingface_hub`'s rules
    /// (an empty variable counts as unset; a leading `~` in a path is the home directory):
    /// * endpoint: `HF_ENDPOINT`, else [`DEFAULT_ENDPOINT`]; trailing `/` trimmed;
    /// * cache: `HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE` (its old name), else
    ///   `$HF_HOME/hub`, where `HF_HOME` defaults to `$XDG_CACHE_HOME/huggingface`, else
    ///   `~/.cache/huggingface` (hf-hub itself reads only `HF_HOME`);
    /// * offline: `HF_HUB_OFFLINE` (else `TRANSFORMERS_OFFLINE`) is `1`, `true`, `yes` or `on`,
    ///   in any case;
    /// * token: `HF_TOKEN`, else the token file (`HF_TOKEN_PATH`, else `$HF_HOME/token`, the
    ///   file `huggingface-cli login` writes and hf-hub reads), trimmed; empty means none;
    /// * limits: `HBT_DOWNLOAD_DEADLINE` and `HBT_DOWNLOAD_MIN_RATE`, as for datasets.
    ///
    /// The home directory is `HOME` (else `USERPROFILE`). Reads the token file when there is
    /// one; touches nothing else, so tests can pass their own variables.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<HubSettings, HubError> {
        let var = |name: &str| get(name).filter(|value| !value.is_empty());
        let home = var("HOME")
            .or_else(|| var("USERPROFILE"))
            .map(PathBuf::from);
        let path = |value: String| expand_home(value, home.as_ref());

        let hf_home = var("HF_HOME").map(path).or_else(|| {
            let cache = var("XDG_CACHE_HOME")
                .map(path)
                .or_else(|| home.as_ref().map(|home| home.join(".cache")))?;
            Some(cache.join("huggingface"))
        });
        let cache_dir = var("HF_HUB_CACHE")
            .or_else(|| var("HUGGINGFACE_HUB_CACHE"))
            .map(path)
            .or_else(|| hf_home.as_ref().map(|hf_home| hf_home.join("hub")))
            .ok_or(HubError::NoCacheDir)?;

        let endpoint = var("HF_ENDPOINT")
            .map(|endpoint| endpoint.trim().trim_end_matches('/').to_string())
            .filter(|endpoint| !endpoint.is_empty())
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());

        let offline = var("HF_HUB_OFFLINE")
            .or_else(|| var("TRANSFORMERS_OFFLINE"))
            .is_some_and(|value| is_true(&value));

        let token = var("HF_TOKEN").and_then(clean_token).or_else(|| {
            let file = var("HF_TOKEN_PATH")
                .map(path)
                .or_else(|| hf_home.as_ref().map(|hf_home| hf_home.join("token")))?;
            std::fs::read_to_string(file).ok().and_then(clean_token)
        });

        let limits = DownloadLimits::from_vars(&get)?;

        Ok(HubSettings {
            endpoint,
            cache_dir,
            offline,
            token,
            limits,
        })
    }
}

impl fmt::Debug for HubSettings {
    /// Like a derived `Debug`, the token shown only as present or not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubSettings")
            .field("endpoint", &self.endpoint)
            .field("cache_dir", &self.cache_dir)
            .field("offline", &self.offline)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("limits", &self.limits)
            .finish()
    }
}

/// `huggingface_hub`'s truthy values.
fn is_true(value: &str) -> bool {
    ["1", "true", "yes", "on"]
        .iter()
        .any(|truthy| value.trim().eq_ignore_ascii_case(truthy))
}

fn clean_token(token: String) -> Option<String> {
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// `~` and `~/...` (or `~\...`) under the home directory, when it is known.
fn expand_home(value: String, home: Option<&PathBuf>) -> PathBuf {
    if let Some(home) = home {
        if value == "~" {
            return home.clone();
        }
        if let Some(rest) = value
            .strip_prefix("~/")
            .or_else(|| value.strip_prefix("~\\"))
        {
            return home.join(rest);
        }
    }
    PathBuf::from(value)
}
