//! multilingual-e5-small from its 4-bit `E5S1` file through hbt's own loader, tokenizer and
//! encoder reproduces `reference_embeddings.json` (an independent NumPy forward pass of the
//! same dequantized weights): identical token ids, every embedding component within 1e-4.
//! Reads `../shared/models/multilingual-e5-small-q4/` (or `HBT_MODEL_DIR`); skipped when
//! absent, failing under `CI=true`.

use hbt_data::tokenize::TextTokenizer;
use hbt_model::backend::FlexBackend as B;
use hbt_model::{encode, load_q4, PoolingMode};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    lang: String,
    prefix: String,
    text: String,
    token_ids: Vec<u32>,
    embedding: Vec<f32>,
}

#[test]
fn e5_small_q4_matches_the_reference_embeddings() {
    let Some(dir) = hbt_testkit::real_model_dir() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("reference_embeddings.json")).unwrap();
    let reference: Reference = serde_json::from_str(&text).unwrap();
    assert_eq!(reference.cases.len(), 24);

    let tokenizer = TextTokenizer::load(&dir.join("tokenizer.json"), 512).unwrap();
    let ids: Vec<Vec<u32>> = reference
        .cases
        .iter()
        .map(|c| {
            tokenizer
                .encode(&format!("{}{}", c.prefix, c.text))
                .unwrap()
        })
        .collect();
    for (case, ids) in reference.cases.iter().zip(&ids) {
        assert_eq!(
            ids, &case.token_ids,
            "token ids of {} {:?}",
            case.lang, case.text
        );
    }

    let device = Default::default();
    let model = load_q4::<B>(
        &dir.join("e5-small-q4.bin"),
        PoolingMode::Mean,
        true,
        &device,
    )
    .unwrap();
    assert_eq!(model.config().vocab_size, 250_037);
    assert_eq!(model.config().pad_token_id, tokenizer.pad_id());
    // Batches of 8 sentences of different lengths: padding must not change an embedding.
    let embeddings = encode(&model, &ids, 8, &device).unwrap();
    let mut worst = 0f32;
    for (case, got) in reference.cases.iter().zip(&embeddings) {
        assert_eq!(got.len(), 384);
        for (a, b) in got.iter().zip(&case.embedding) {
            worst = worst.max((a - b).abs());
        }
    }
    eprintln!("max abs difference over 24 x 384 components: {worst:.2e}");
    assert!(worst <= 1e-4, "max abs difference {worst}");
}

#[test]
fn corrupt_and_truncated_files_are_one_line_errors() {
    let Some(dir) = hbt_testkit::real_model_dir() else {
        return;
    };
    let bytes = std::fs::read(dir.join("e5-small-q4.bin")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let device = Default::default();
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "truncated.bin",
            bytes[..bytes.len() / 2].to_vec(),
            "truncated?",
        ),
        ("header.bin", bytes[..40].to_vec(), "truncated"),
        (
            "other.bin",
            b"PK\x03\x04 not a model".to_vec(),
            "not an E5S1 file",
        ),
    ];
    for (name, content, expected) in cases {
        let path = tmp.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = load_q4::<B>(&path, PoolingMode::Mean, true, &device)
            .expect_err("a bad file must fail")
            .to_string();
        assert!(err.contains(expected) && err.contains(name), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
    let err = load_q4::<B>(
        &dir.join("e5-small-q4.bin"),
        PoolingMode::Pooler,
        true,
        &device,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("no pooler"), "{err}");
}
