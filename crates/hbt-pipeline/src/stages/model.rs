//! The encoder of a run: built from scratch to fit the run's tokenizer, or the pretrained
//! model of `model.pretrained` (a Hugging Face folder, a hub id or a 4-bit file).

use anyhow::{bail, Context, Result};
use burn::tensor::backend::Backend;
use hbt_data::tokenize::TextTokenizer;
use hbt_hub::ResolvedModel;
use hbt_model::{Encoder, EncoderConfig};
use hbt_schema::{ExperimentConfig, ModelFamily};

use crate::pretrained::{load_encoder, EmbeddingSettings};

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
    encoder.prefixes = m.prefixes();
    encoder
}

/// The run's starting encoder: the pretrained model (resolved by the data stage) with
/// `[model]`'s pooling, normalisation and prefixes, or initialised from the seed.
pub fn initial_encoder<B: Backend>(
    config: &ExperimentConfig,
    tokenizer: &TextTokenizer,
    pretrained: Option<&ResolvedModel>,
    device: &B::Device,
) -> Result<Encoder<B>> {
    let m = &config.model;
    if let Some(model) = pretrained {
        let settings = EmbeddingSettings {
            pooling: m.pooling,
            normalize: m.normalize,
            prefixes: m.prefixes(),
        };
        let encoder = load_encoder(model, &settings, device).context("key `model.pretrained`")?;
        if encoder.config().vocab_size < tokenizer.vocab_size() {
            bail!(
                "key `model.pretrained`: the checkpoint's vocabulary ({}) is smaller than the tokenizer's ({}); set `tokenizer.pretrained` to its tokenizer.json",
                encoder.config().vocab_size,
                tokenizer.vocab_size()
            );
        }
        let positions = encoder.config().max_sequence_length();
        if tokenizer.max_len() > positions {
            bail!(
                "key `tokenizer.max_len`: {} exceeds the {positions} positions of the pretrained model",
                tokenizer.max_len()
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
