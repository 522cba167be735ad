//! Export parity: seeded from-scratch encoders are exported as Hugging Face folders; the
//! committed expected embeddings were computed by `transformers` from those folders
//! (scripts/fixtures/make_hf_fixtures.py --check-export), so hbt's embeddings of the same
//! seeded models must match them, and the folders must load back into hbt unchanged.

use std::path::PathBuf;

use burn::tensor::backend::Backend;
use hbt_model::backend::{FlexBackend, NdArrayBackend};
use hbt_model::weights::param_specs;
use hbt_model::{
    encode, load_hf_dir, save_hf_dir, Encoder, EncoderConfig, ModelFamily, PoolingMode,
};
use serde_json::Value;

#[path = "common/export_case.rs"]
mod export_case;

const TOLERANCE: f32 = 1e-4;

#[path = "common/compare.rs"]
mod compare;
use compare::{flat, max_diff};

fn check_export<B: Backend>(family: ModelFamily, backend: &str) {
    let (name, config, seed, ids) = export_case::case(family);
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.json"));
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(expected["input_ids"], serde_json::to_value(&ids).unwrap());
    let device = B::Device::default();
    let tmp = tempfile::tempdir().unwrap();
    let tokenizer = tmp.path().join("my-tokenizer.json");
    std::fs::write(&tokenizer, "{}").unwrap();
    let dir = tmp.path().join("export");

    let model = Encoder::<B>::init(&config, seed, &device).unwrap();
    save_hf_dir(&model, &dir, Some(&tokenizer)).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("tokenizer.json")).unwrap(),
        "{}"
    );

    // The file holds exactly the encoder's tensors, under Hugging Face names.
    let bytes = std::fs::read(dir.join("model.safetensors")).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<String> = file.names().into_iter().map(String::from).collect();
    names.sort();
    let mut expected_names: Vec<String> =
        param_specs(&config).into_iter().map(|s| s.name).collect();
    expected_names.sort();
    assert_eq!(names, expected_names);

    for (mode, key) in [
        (PoolingMode::Cls, "cls"),
        (PoolingMode::Mean, "mean"),
        (PoolingMode::Pooler, "pooler"),
    ] {
        let config = EncoderConfig {
            pooling: mode,
            ..config.clone()
        };
        let fresh = Encoder::<B>::init(&config, seed, &device).unwrap();
        let got = encode(&fresh, &ids, 2, &device).unwrap().concat();
        let d = max_diff(&got, &flat(&expected[key]));
        println!("{name} {backend} {key}: hbt vs transformers on the exported folder {d:.2e}");
        assert!(d <= TOLERANCE, "{name} {backend} {key}: {d}");

        let reloaded = load_hf_dir::<B>(&dir, mode, false, &device).unwrap();
        assert_eq!(reloaded.to_weights().unwrap(), fresh.to_weights().unwrap());
        let again = encode(&reloaded, &ids, 2, &device).unwrap().concat();
        assert_eq!(
            again, got,
            "{name} {backend} {key}: reload changed the embeddings"
        );
    }
}

#[test]
fn bert_export_matches_transformers_on_flex() {
    check_export::<FlexBackend>(ModelFamily::Bert, "flex");
}

#[test]
fn bert_export_matches_transformers_on_ndarray() {
    check_export::<NdArrayBackend>(ModelFamily::Bert, "ndarray");
}

#[test]
fn xlmr_export_matches_transformers_on_flex() {
    check_export::<FlexBackend>(ModelFamily::XlmRoberta, "flex");
}

#[test]
fn xlmr_export_matches_transformers_on_ndarray() {
    check_export::<NdArrayBackend>(ModelFamily::XlmRoberta, "ndarray");
}
