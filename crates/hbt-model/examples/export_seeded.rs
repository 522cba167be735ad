//! Writes the seeded from-scratch encoders used by the export parity test
//! (tests/hf_export.rs) as Hugging Face folders, with their inputs and hbt's own outputs, for
//! `scripts/fixtures/make_hf_fixtures.py --check-export DIR`.
//!
//! Usage: `cargo run --release -p hbt-model --example export_seeded -- OUT_DIR`
//! (writes OUT_DIR/bert and OUT_DIR/xlmr).

use std::path::PathBuf;

use hbt_model::backend::FlexBackend;
use hbt_model::{encode, save_hf_dir, Encoder, EncoderConfig, ModelFamily, PoolingMode};

#[path = "../tests/common/export_case.rs"]
mod export_case;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: export_seeded OUT_DIR")?,
    );
    let device = Default::default();
    for family in [ModelFamily::Bert, ModelFamily::XlmRoberta] {
        let (name, config, seed, ids) = export_case::case(family);
        let dir = out.join(name);
        let model = Encoder::<FlexBackend>::init(&config, seed, &device)?;
        save_hf_dir(&model, &dir, None)?;
        let mut outputs = serde_json::Map::new();
        outputs.insert("input_ids".into(), serde_json::to_value(&ids)?);
        std::fs::write(dir.join("inputs.json"), serde_json::to_string(&outputs)?)?;
        for (mode, key) in [
            (PoolingMode::Cls, "cls"),
            (PoolingMode::Mean, "mean"),
            (PoolingMode::Pooler, "pooler"),
        ] {
            let config = EncoderConfig {
                pooling: mode,
                ..config.clone()
            };
            let model = Encoder::<FlexBackend>::init(&config, seed, &device)?;
            outputs.insert(
                key.into(),
                serde_json::to_value(encode(&model, &ids, 8, &device)?)?,
            );
        }
        std::fs::write(
            dir.join("hbt_outputs.json"),
            serde_json::to_string(&outputs)?,
        )?;
        println!("wrote {}", dir.display());
    }
    Ok(())
}
