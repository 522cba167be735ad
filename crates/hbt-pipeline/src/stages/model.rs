//! The encoder of a run: built from scratch to fit the run's tokenizer, or imported from a
//! Hugging Face folder.

use std::path::Path;

use anyhow::{bail, Context, Result};
use burn::tensor::backend::Backend;
use hbt_data::tokenize::TextTokenizer;
use hbt_model::{load_hf_dir, Encoder, EncoderConfig};
use hbt_schema::{ExperimentConfig, ModelFamily};

/// The from-scratch encoder configuration of a run (sizes from `[model]`, vocabulary and
/// positions from the tokenizer).
pub fn scratch_config(config: &ExperimentConfig, tokenizer: &TextTokenizer) -> EncoderConfig {
    let m = &config.model;
    let family = m.family;
    // XLM-R's positions start after the pad id, so the table needs pad + 1 extra rows.
    let offset = if family == ModelFamily::XlmRoberta {
        tokenizer.pad_id() as usize + 1
    } else {
        0
    };
    let mut encoder = EncoderConfig::new(
        family,
        tokenizer.vocab_size(),
        m.hidden_size,
        m.layers,
        m.heads,
        m.intermediate_size,
        tokenizer.max_len() + offset,
    );
    encoder.pad_token_id = tokenizer.pad_id();
    encoder.hidden_dropout_prob = m.dropout;
    encoder.attention_probs_dropout_prob = m.dropout;
    encoder.pooling = m.pooling;
    encoder.normalize = m.normalize;
    encoder
}

/// The run's starting encoder: imported from `[model] pretrained`, or initialised from the seed.
pub fn initial_encoder<B: Backend>(
    config: &ExperimentConfig,
    tokenizer: &TextTokenizer,
    device: &B::Device,
) -> Result<Encoder<B>> {
    let m = &config.model;
    if !m.pretrained.is_empty() {
        let encoder = load_hf_dir(Path::new(&m.pretrained), m.pooling, m.normalize, device)
            .context("key `model.pretrained`")?;
        if encoder.config().vocab_size < tokenizer.vocab_size() {
            bail!(
                "key `model.pretrained`: the checkpoint's vocabulary ({}) is smaller than the tokenizer's ({}); set `tokenizer.pretrained` to its tokenizer.json",
                encoder.config().vocab_size,
                tokenizer.vocab_size()
            );
        }
        return Ok(encoder);
    }
    Ok(Encoder::init(
        &scratch_config(config, tokenizer),
        config.seed,
        device,
    )?)
}
