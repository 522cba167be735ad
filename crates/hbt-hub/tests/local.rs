//! Folder and q4 sources: checked on disk, no network, no events.

use std::fs;
use std::path::PathBuf;

use hbt_hub::{resolve, DownloadLimits, HubError, HubSettings, ModelSource, ModelWeights};

fn offline_settings() -> HubSettings {
    HubSettings {
        endpoint: "http://127.0.0.1:9".into(),
        cache_dir: PathBuf::from("/nonexistent-cache"),
        offline: true,
        token: None,
        limits: DownloadLimits::default(),
    }
}

fn resolve_quietly(source: &ModelSource) -> Result<hbt_hub::ResolvedModel, HubError> {
    let mut events = Vec::new();
    let result = resolve(source, &offline_settings(), &mut |event| events.push(event));
    assert!(events.is_empty(), "{events:?}");
    result
}

#[test]
fn complete_folder_resolves_to_itself() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        fs::write(dir.path().join(file), b"{}").unwrap();
    }
    let model = resolve_quietly(&ModelSource::Folder(dir.path().into())).unwrap();
    assert_eq!(model.folder, dir.path());
    assert_eq!(model.weights, ModelWeights::HfFolder(dir.path().into()));
    assert_eq!(model.tokenizer, dir.path().join("tokenizer.json"));
}

#[test]
fn folder_error_lists_every_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("tokenizer.json"), b"{}").unwrap();
    let err = resolve_quietly(&ModelSource::Folder(dir.path().into())).unwrap_err();
    let message = err.to_string();
    assert!(!message.contains('\n'));
    assert!(
        message.contains(&dir.path().display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("config.json, model.safetensors"),
        "{message}"
    );
    assert!(!message.contains("tokenizer.json"), "{message}");
}

#[test]
fn file_given_as_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e5.q4");
    fs::write(&file, b"q4").unwrap();
    let err = resolve_quietly(&ModelSource::Folder(file.clone())).unwrap_err();
    assert!(matches!(err, HubError::NotAFolder { .. }), "{err:?}");
    assert!(err.to_string().contains("q4:"), "{err}");
}

#[test]
fn q4_file_with_its_tokenizer() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("e5.q4");
    fs::write(&file, b"E5S1").unwrap();
    let missing = resolve_quietly(&ModelSource::Q4(file.clone())).unwrap_err();
    let message = missing.to_string();
    assert_eq!(
        message,
        format!(
            "q4:{}: no tokenizer.json beside it in {}",
            file.display(),
            dir.path().display()
        )
    );

    fs::write(dir.path().join("tokenizer.json"), b"{}").unwrap();
    let model = resolve_quietly(&ModelSource::Q4(file.clone())).unwrap();
    assert_eq!(model.weights, ModelWeights::Q4(file.clone()));
    assert_eq!(model.tokenizer, dir.path().join("tokenizer.json"));
    assert_eq!(model.folder, dir.path());

    let absent = dir.path().join("absent.q4");
    let message = resolve_quietly(&ModelSource::Q4(absent))
        .unwrap_err()
        .to_string();
    assert!(message.contains("absent.q4"), "{message}");
}

#[test]
fn q4_file_without_a_folder_is_in_the_current_folder() {
    // Tests run in the crate's folder: Cargo.toml is there, a tokenizer.json is not.
    let err = resolve_quietly(&ModelSource::Q4("Cargo.toml".into())).unwrap_err();
    match &err {
        HubError::Q4WithoutTokenizer { folder, .. } => assert_eq!(folder, &PathBuf::from(".")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "q4:Cargo.toml: no tokenizer.json beside it in ."
    );
    let err = resolve_quietly(&ModelSource::Q4("no-such-file.q4".into())).unwrap_err();
    assert_eq!(err.to_string(), "q4:no-such-file.q4: no such file");
}
