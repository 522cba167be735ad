//! Parity with Hugging Face `transformers`: tiny random `BertModel` / `XLMRobertaModel`
//! checkpoints and their reference outputs (made by scripts/fixtures/make_hf_fixtures.py)
//! are loaded into hbt and compared on burn-flex and burn-ndarray.

use std::path::PathBuf;

use burn::tensor::backend::Backend;
use hbt_model::backend::{FlexBackend, NdArrayBackend};
use hbt_model::{encode, load_hf_dir, EncoderBatch, PoolingMode};
use serde_json::Value;

const TOLERANCE: f32 = 1e-4;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[path = "common/compare.rs"]
mod compare;
use compare::{flat, max_diff};

fn check_family<B: Backend>(family: &str, backend: &str) {
    let dir = fixture(family);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let ids: Vec<Vec<u32>> = serde_json::from_value(expected["input_ids"].clone()).unwrap();
    let device = B::Device::default();
    let model = load_hf_dir::<B>(&dir, PoolingMode::Cls, false, &device).unwrap();
    let batch = EncoderBatch::<B>::from_sequences(&ids, model.config(), &device).unwrap();
    let hidden = model.forward(&batch);
    let got = hidden.clone().into_data().to_vec::<f32>().unwrap();
    let d = max_diff(&got, &flat(&expected["last_hidden_state"]));
    println!("{family} {backend} last_hidden_state (all positions): {d:.2e}");
    assert!(d <= TOLERANCE, "{family} {backend} hidden: {d}");
    for (mode, key) in [
        (PoolingMode::Cls, "cls"),
        (PoolingMode::Mean, "mean"),
        (PoolingMode::Pooler, "pooler"),
    ] {
        let pooled = model
            .pool(hidden.clone(), &batch, mode)
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        let d = max_diff(&pooled, &flat(&expected[key]));
        println!("{family} {backend} {key}: {d:.2e}");
        assert!(d <= TOLERANCE, "{family} {backend} {key}: {d}");

        // The encoding API: normalised, batches of 2 sorted by length, input order kept.
        let model = load_hf_dir::<B>(&dir, mode, true, &device).unwrap();
        let embedded: Vec<f32> = encode(&model, &ids, 2, &device).unwrap().concat();
        let d = max_diff(&embedded, &flat(&expected[format!("{key}_normalized")]));
        println!("{family} {backend} {key} normalised via encode(): {d:.2e}");
        assert!(d <= TOLERANCE, "{family} {backend} {key} normalised: {d}");
    }
}

#[test]
fn bert_matches_transformers_on_flex() {
    check_family::<FlexBackend>("bert", "flex");
}

#[test]
fn bert_matches_transformers_on_ndarray() {
    check_family::<NdArrayBackend>("bert", "ndarray");
}

#[test]
fn xlmr_matches_transformers_on_flex() {
    check_family::<FlexBackend>("xlmr", "flex");
}

#[test]
fn xlmr_matches_transformers_on_ndarray() {
    check_family::<NdArrayBackend>("xlmr", "ndarray");
}
