//! Bad input gives one-line errors naming the file or key at fault, never a panic.

use std::path::{Path, PathBuf};

use hbt_model::backend::FlexBackend as B;
use hbt_model::hf_export::write_safetensors;
use hbt_model::hf_import::read_hf_weights;
use hbt_model::weights::HostTensor;
use hbt_model::{
    encode, load_hf_dir, Encoder, EncoderConfig, ModelError, ModelFamily, PoolingMode,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(dir: &Path, pooling: PoolingMode) -> Result<Encoder<B>, ModelError> {
    load_hf_dir::<B>(dir, pooling, false, &Default::default())
}

fn one_line(e: &ModelError) -> String {
    let text = e.to_string();
    assert!(!text.contains('\n'), "multi-line error: {text}");
    text
}

/// A copy of the BERT fixture whose weights are changed by `edit`.
fn edited_bert(edit: impl FnOnce(&mut hbt_model::weights::WeightMap)) -> tempfile::TempDir {
    let source = fixture("bert");
    let config =
        EncoderConfig::from_hf_config_file(&source.join("config.json"), PoolingMode::Cls, false)
            .unwrap();
    let mut weights = read_hf_weights(&config, &source.join("model.safetensors")).unwrap();
    edit(&mut weights);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(source.join("config.json"), tmp.path().join("config.json")).unwrap();
    write_safetensors(&weights, &tmp.path().join("model.safetensors")).unwrap();
    tmp
}

#[test]
fn one_error_lists_missing_unexpected_and_misshaped_tensors() {
    let tmp = edited_bert(|w| {
        w.remove("encoder.layer.1.intermediate.dense.bias");
        w.insert(
            "encoder.layer.0.attention.self.rotary.weight".into(),
            HostTensor::filled(&[2], 0.0),
        );
        w.insert(
            "encoder.layer.0.output.dense.weight".into(),
            HostTensor::filled(&[64, 32], 0.0),
        );
        w.insert(
            "cls.predictions.decoder.weight".into(),
            HostTensor::filled(&[3], 0.0),
        );
    });
    let err = load(tmp.path(), PoolingMode::Cls).unwrap_err();
    let text = one_line(&err);
    println!("{text}");
    assert!(matches!(err, ModelError::CheckpointMismatch { .. }));
    assert!(text.contains("model.safetensors"), "{text}");
    assert!(
        text.contains("missing 1 [encoder.layer.1.intermediate.dense.bias]"),
        "{text}"
    );
    assert!(
        text.contains("unexpected 1 [encoder.layer.0.attention.self.rotary.weight]"),
        "{text}"
    );
    assert!(
        text.contains(
            "mis-shaped 1 [encoder.layer.0.output.dense.weight: expected [32, 64], found [64, 32]]"
        ),
        "{text}"
    );
    assert!(
        !text.contains("cls.predictions"),
        "task heads are ignored: {text}"
    );
}

#[test]
fn a_checkpoint_for_other_sizes_gives_one_line() {
    let tmp = edited_bert(|_| {});
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("config.json")).unwrap())
            .unwrap();
    config["hidden_size"] = 64.into();
    config["num_hidden_layers"] = 3.into();
    std::fs::write(tmp.path().join("config.json"), config.to_string()).unwrap();
    let text = one_line(&load(tmp.path(), PoolingMode::Cls).unwrap_err());
    assert!(text.contains("missing 16 [encoder.layer.2."), "{text}");
    assert!(text.contains("more]"), "{text}");
}

#[test]
fn a_missing_pooler_is_fresh_unless_pooling_needs_it() {
    let tmp = edited_bert(|w| {
        w.remove("pooler.dense.weight");
        w.remove("pooler.dense.bias");
    });
    assert!(load(tmp.path(), PoolingMode::Mean).is_ok());
    let text = one_line(&load(tmp.path(), PoolingMode::Pooler).unwrap_err());
    assert!(
        text.contains("missing 2 [pooler.dense.weight, pooler.dense.bias]"),
        "{text}"
    );
}

#[test]
fn missing_and_corrupt_files_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let text = one_line(&load(tmp.path(), PoolingMode::Cls).unwrap_err());
    assert!(text.contains("config.json"), "{text}");

    std::fs::write(tmp.path().join("config.json"), "{not json").unwrap();
    let text = one_line(&load(tmp.path(), PoolingMode::Cls).unwrap_err());
    assert!(
        text.contains("config.json") && text.contains("invalid JSON"),
        "{text}"
    );

    std::fs::write(tmp.path().join("config.json"), r#"{"model_type": "gpt2"}"#).unwrap();
    let text = one_line(&load(tmp.path(), PoolingMode::Cls).unwrap_err());
    assert!(text.contains("gpt2"), "{text}");

    std::fs::copy(fixture("xlmr/config.json"), tmp.path().join("config.json")).unwrap();
    let text = one_line(&load(tmp.path(), PoolingMode::Cls).unwrap_err());
    assert!(text.contains("model.safetensors"), "{text}");

    std::fs::write(tmp.path().join("model.safetensors"), b"garbage bytes").unwrap();
    let text = one_line(&load(tmp.path(), PoolingMode::Cls).unwrap_err());
    assert!(
        text.contains("model.safetensors") && text.contains("invalid safetensors"),
        "{text}"
    );
}

#[test]
fn bad_sequences_are_reported_by_input_position() {
    let device = Default::default();
    let config = EncoderConfig::new(ModelFamily::XlmRoberta, 100, 8, 1, 2, 16, 10);
    let model = Encoder::<B>::init(&config, 1, &device).unwrap();
    assert!(encode(&model, &Vec::<Vec<u32>>::new(), 4, &device)
        .unwrap()
        .is_empty());
    let cases: [(Vec<Vec<u32>>, &str); 3] = [
        (vec![vec![0, 5, 2], vec![0, 150, 2]], "token id 150"),
        (vec![vec![0, 2], vec![]], "empty"),
        (
            vec![vec![0, 2], vec![0; 9]],
            "9 tokens exceed the maximum of 8",
        ),
    ];
    for (seqs, needle) in cases {
        let text = one_line(&encode(&model, &seqs, 1, &device).unwrap_err());
        assert!(
            text.starts_with("input sequence 1:") && text.contains(needle),
            "{text}"
        );
    }
    let bad = EncoderConfig {
        num_attention_heads: 3,
        ..config
    };
    assert!(Encoder::<B>::init(&bad, 1, &device).is_err());
}

#[test]
fn a_bad_weight_map_is_an_error() {
    let config = EncoderConfig::new(ModelFamily::Bert, 50, 8, 1, 2, 16, 10);
    let mut weights = hbt_model::weights::init_weights(&config, 5);
    weights.remove("embeddings.LayerNorm.bias");
    weights.insert("pooler.dense.weight".into(), HostTensor::filled(&[8], 0.0));
    let text =
        one_line(&Encoder::<B>::from_weights(&config, weights, &Default::default()).unwrap_err());
    assert!(text.contains("missing embeddings.LayerNorm.bias"), "{text}");
    assert!(
        text.contains("pooler.dense.weight: expected shape [8, 8], found [8]"),
        "{text}"
    );
}
