//! `HubSettings::from_vars`: huggingface_hub's environment rules, without touching the
//! process environment.

use std::collections::HashMap;
use std::path::PathBuf;

use hbt_hub::{HubError, HubSettings, DEFAULT_ENDPOINT};

fn settings(vars: &[(&str, &str)]) -> Result<HubSettings, HubError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    HubSettings::from_vars(|name| vars.get(name).cloned())
}

#[test]
fn default_cache_is_under_home() {
    let settings = settings(&[("HOME", "/home/ana")]).unwrap();
    assert_eq!(
        settings.cache_dir,
        PathBuf::from("/home/ana/.cache/huggingface/hub")
    );
    assert_eq!(settings.endpoint, DEFAULT_ENDPOINT);
    assert!(!settings.offline);
}

#[test]
fn hf_hub_cache_beats_hf_home() {
    let both = settings(&[
        ("HOME", "/home/ana"),
        ("HF_HOME", "/data/hf"),
        ("HF_HUB_CACHE", "/fast/hub-cache"),
    ])
    .unwrap();
    assert_eq!(both.cache_dir, PathBuf::from("/fast/hub-cache"));

    let home_only = settings(&[("HOME", "/home/ana"), ("HF_HOME", "/data/hf")]).unwrap();
    assert_eq!(home_only.cache_dir, PathBuf::from("/data/hf/hub"));

    let xdg = settings(&[("HOME", "/home/ana"), ("XDG_CACHE_HOME", "/xdg")]).unwrap();
    assert_eq!(xdg.cache_dir, PathBuf::from("/xdg/huggingface/hub"));

    let tilde = settings(&[("HOME", "/home/ana"), ("HF_HUB_CACHE", "~/hub")]).unwrap();
    assert_eq!(tilde.cache_dir, PathBuf::from("/home/ana/hub"));

    // An empty variable counts as unset.
    let empty = settings(&[("HOME", "/home/ana"), ("HF_HUB_CACHE", "")]).unwrap();
    assert_eq!(
        empty.cache_dir,
        PathBuf::from("/home/ana/.cache/huggingface/hub")
    );
}

#[test]
fn no_home_and_no_cache_variable_is_an_error() {
    let err = settings(&[]).unwrap_err();
    assert!(matches!(err, HubError::NoCacheDir), "{err:?}");
    assert!(err.to_string().contains("HF_HUB_CACHE"));
    let cache = settings(&[("HF_HUB_CACHE", "/c")]).unwrap();
    assert_eq!(cache.cache_dir, PathBuf::from("/c"));
}

#[test]
fn offline_truthy_values() {
    for value in ["1", "true", "TRUE", "yes", "Yes", "on", "ON"] {
        let s = settings(&[("HOME", "/h"), ("HF_HUB_OFFLINE", value)]).unwrap();
        assert!(s.offline, "{value}");
    }
    for value in ["0", "false", "no", "off", "", "2"] {
        let s = settings(&[("HOME", "/h"), ("HF_HUB_OFFLINE", value)]).unwrap();
        assert!(!s.offline, "{value}");
    }
}

#[test]
fn endpoint_trailing_slash_is_trimmed() {
    let s = settings(&[("HOME", "/h"), ("HF_ENDPOINT", "https://hf-mirror.com/")]).unwrap();
    assert_eq!(s.endpoint, "https://hf-mirror.com");
    let s = settings(&[("HOME", "/h"), ("HF_ENDPOINT", "http://127.0.0.1:8080//")]).unwrap();
    assert_eq!(s.endpoint, "http://127.0.0.1:8080");
    let s = settings(&[("HOME", "/h"), ("HF_ENDPOINT", "")]).unwrap();
    assert_eq!(s.endpoint, DEFAULT_ENDPOINT);
}

#[test]
fn token_from_hf_token_else_the_token_file() {
    let hf_home = tempfile::tempdir().unwrap();
    std::fs::write(hf_home.path().join("token"), "hf_fromfile\n").unwrap();
    let home = hf_home.path().to_str().unwrap();

    let file = settings(&[("HF_HOME", home)]).unwrap();
    assert_eq!(file.token.as_deref(), Some("hf_fromfile"));
    // Debug does not show it.
    assert!(!format!("{file:?}").contains("hf_fromfile"));

    let env = settings(&[("HF_HOME", home), ("HF_TOKEN", " hf_fromenv ")]).unwrap();
    assert_eq!(env.token.as_deref(), Some("hf_fromenv"));

    let none = settings(&[("HOME", "/nonexistent-home")]).unwrap();
    assert_eq!(none.token, None);
}
