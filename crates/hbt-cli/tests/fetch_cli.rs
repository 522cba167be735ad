//! `hbt data fetch` and the experiment runner's automatic download, against a local HTTP
//! server on 127.0.0.1 that serves the real datasets.

mod common;

use hbt_testkit::LocalServer;

use std::path::{Path, PathBuf};

use common::{assert_one_line_error, tiny_experiment, Scratch};

fn real_data() -> Option<PathBuf> {
    hbt_testkit::real_data_dir()
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    std::fs::read(a).unwrap() == std::fs::read(b).unwrap()
}

#[test]
fn fetch_into_an_empty_folder_from_a_local_server() {
    let Some(data) = real_data() else { return };
    let server = LocalServer::serve(data.clone());
    let scratch = Scratch::with_tiny_data();
    let target = scratch.path("downloaded");
    let out = scratch.hbt_env(
        &[
            "data",
            "fetch",
            "xquad-r",
            "--data-dir",
            target.to_str().unwrap(),
        ],
        &[("HBT_DATA_URL", &server.url), ("HBT_OFFLINE", "0")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for lang in [
        "ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh",
    ] {
        let name = format!("xquad-r/{lang}.json");
        assert!(same_bytes(&target.join(&name), &data.join(&name)), "{name}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(target.join("xquad-r"))
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().ends_with(".json"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("11 downloaded"), "{stdout}");
}

#[test]
fn a_corrupt_download_is_rejected_and_not_left_behind() {
    let Some(data) = real_data() else { return };
    // A mirror whose de.json differs from the published file.
    let mirror = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(mirror.path().join("mlqa-r")).unwrap();
    for lang in ["ar", "de", "en", "es", "hi", "vi", "zh"] {
        let name = format!("mlqa-r/{lang}.json");
        std::fs::copy(data.join(&name), mirror.path().join(&name)).unwrap();
    }
    std::fs::write(mirror.path().join("mlqa-r/de.json"), b"{\"data\": []}").unwrap();
    let server = LocalServer::serve(mirror.path().to_path_buf());
    let scratch = Scratch::with_tiny_data();
    let target = scratch.path("downloaded");
    let out = scratch.hbt_env(
        &[
            "data",
            "fetch",
            "mlqa-r",
            "--data-dir",
            target.to_str().unwrap(),
        ],
        &[("HBT_DATA_URL", &server.url), ("HBT_OFFLINE", "0")],
    );
    assert_one_line_error(&out, "de.json");
    assert!(
        !target.join("mlqa-r/de.json").exists(),
        "corrupt file must not be kept"
    );
    let names: Vec<String> = std::fs::read_dir(target.join("mlqa-r"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        names.iter().all(|n| n.ends_with(".json") && n != "de.json"),
        "{names:?}"
    );
}

#[test]
fn an_experiment_downloads_missing_data_before_running() {
    let Some(data) = real_data() else { return };
    let server = LocalServer::serve(data);
    let scratch = Scratch::with_tiny_data();
    scratch.experiment(
        "auto",
        &tiny_experiment("").replace("[\"tiny-eval\"]", "[\"xquad-r\"]"),
    );
    let data_dir = scratch.path("data");
    let out = scratch.hbt_env(
        &[
            "experiment",
            "auto",
            "--data-dir",
            data_dir.to_str().unwrap(),
        ],
        &[("HBT_DATA_URL", &server.url), ("HBT_OFFLINE", "0")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data_dir.join("xquad-r/th.json").is_file());
    let stats = std::fs::read_to_string(scratch.path("results/auto/main/data_stats.json")).unwrap();
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["eval"][0]["languages"]["th"]["candidates"], 852);
}

#[test]
fn data_fetch_refuses_to_download_when_offline() {
    let scratch = Scratch::with_tiny_data();
    let target = scratch.path("downloaded");
    // The scratch environment sets HBT_OFFLINE=1; --offline alone does the same.
    for env in [&[][..], &[("HBT_OFFLINE", "0")][..]] {
        let out = scratch.hbt_env(
            &[
                "data",
                "fetch",
                "xquad-r",
                "--offline",
                "--data-dir",
                target.to_str().unwrap(),
            ],
            env,
        );
        assert_one_line_error(&out, "data fetch xquad-r: downloads are off");
        assert!(!target.exists(), "nothing created");
    }
}

#[test]
fn bad_download_limits_are_named() {
    let scratch = Scratch::with_tiny_data();
    for (variable, value) in [
        ("HBT_DOWNLOAD_MIN_RATE", "fast"),
        ("HBT_DOWNLOAD_DEADLINE", "0"),
    ] {
        let out = scratch.hbt_env(
            &["data", "fetch", "xquad-r"],
            &[(variable, value), ("HBT_OFFLINE", "0")],
        );
        assert_one_line_error(
            &out,
            &format!("{variable}=`{value}`: expected a positive whole number"),
        );
    }
}
