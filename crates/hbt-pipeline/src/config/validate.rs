//! Range and consistency checks of a resolved configuration. Each error names the key.
//! Names (strategy, pooling, backend, languages...) are already checked by serde while the
//! file is read: the types of [`hbt_schema`] accept nothing else.

use anyhow::{bail, Result};
use hbt_schema::{BackendKind, ExperimentConfig, Precision, Reference};

/// Checks every setting of a resolved run; the error names the key and the value at fault.
pub fn validate(config: &ExperimentConfig) -> Result<()> {
    let data = &config.data;
    if data.train.is_empty() {
        bail!("key `data.train`: list at least one training source");
    }
    if let Some(both) = data.train.iter().find(|t| data.eval.contains(t)) {
        bail!("keys `data.train` and `data.eval` both name `{both}`: evaluation must be zero-shot");
    }
    in_range("data.dev_fraction", data.dev_fraction, 0.0, 0.5)?;
    let tok = &config.tokenizer;
    in_range(
        "tokenizer.vocab_size",
        tok.vocab_size as f64,
        261.0,
        1_000_000.0,
    )?;
    in_range("tokenizer.max_len", tok.max_len as f64, 8.0, 8192.0)?;
    let train = &config.train;
    in_range("train.alpha", train.alpha, 0.0, 1.0)?;
    if train.batch_size < 2 {
        bail!(
            "key `train.batch_size`: must be at least 2 (in-batch negatives), got {}",
            train.batch_size
        );
    }
    if train.steps == 0 {
        bail!("key `train.steps`: must be at least 1, got 0");
    }
    if !(train.learning_rate > 0.0 && train.learning_rate <= 1.0) {
        bail!(
            "key `train.learning_rate`: must be in (0, 1], got {}",
            train.learning_rate
        );
    }
    if !(train.temperature > 0.0 && train.temperature <= 10.0) {
        bail!(
            "key `train.temperature`: must be in (0, 10], got {}",
            train.temperature
        );
    }
    in_range("train.warmup_fraction", train.warmup_fraction, 0.0, 1.0)?;
    if !(0.0..1.0).contains(&train.weight_decay) {
        bail!(
            "key `train.weight_decay`: must be in [0, 1), got {}",
            train.weight_decay
        );
    }
    in_range("train.max_grad_norm", train.max_grad_norm, 0.0, 1e6)?;
    in_range("train.accumulation", train.accumulation as f64, 1.0, 1024.0)?;
    in_range(
        "train.length_buckets",
        train.length_buckets as f64,
        1.0,
        64.0,
    )?;
    in_range("train.mini_batch", train.mini_batch as f64, 0.0, 1e6)?;
    if let Some(device) = train.devices.iter().find(|d| !d.fits(config.backend)) {
        bail!(
            "key `train.devices`: `{device}` is not a device of the {} backend",
            config.backend
        );
    }
    if train.precision != Precision::F32 && config.backend == BackendKind::NdArray {
        bail!(
            "key `train.precision`: `{}` needs the flex or cuda backend (burn-ndarray computes in f32 and f64 only)",
            train.precision
        );
    }
    if train.devices.len() > train.batch_size {
        bail!(
            "key `train.devices`: {} devices need a batch of at least {}, got `train.batch_size` {}",
            train.devices.len(),
            train.devices.len(),
            train.batch_size
        );
    }
    in_range(
        "train.checkpoint_every",
        train.checkpoint_every as f64,
        1.0,
        1e12,
    )?;
    let model = &config.model;
    if model.pretrained.is_empty() {
        in_range("model.layers", model.layers as f64, 1.0, 48.0)?;
        in_range("model.heads", model.heads as f64, 1.0, 128.0)?;
        in_range("model.hidden_size", model.hidden_size as f64, 1.0, 16384.0)?;
        in_range(
            "model.intermediate_size",
            model.intermediate_size as f64,
            1.0,
            65536.0,
        )?;
        if !model.hidden_size.is_multiple_of(model.heads) {
            bail!(
                "key `model.hidden_size`: {} is not a multiple of `model.heads` ({})",
                model.hidden_size,
                model.heads
            );
        }
        in_range("model.dropout", model.dropout, 0.0, 0.9)?;
    }
    let pretrained = !model.pretrained.is_empty();
    for reference in &config.eval.references {
        match reference {
            Reference::Untrained if pretrained => bail!(
                "key `eval.references`: `untrained` is the from-scratch initialisation; a pretrained model's zero-shot row is `pretrained`"
            ),
            Reference::Pretrained if !pretrained => bail!(
                "key `eval.references`: `pretrained` needs `model.pretrained` (a from-scratch model's row is `untrained`)"
            ),
            _ => {}
        }
    }
    in_range("eval.batch_size", config.eval.batch_size as f64, 1.0, 1e6)?;
    in_range(
        "eval.search_block",
        config.eval.search_block as f64,
        1.0,
        1e7,
    )?;
    Ok(())
}

fn in_range(key: &str, value: f64, low: f64, high: f64) -> Result<()> {
    if !(low..=high).contains(&value) {
        bail!("key `{key}`: must be in [{low}, {high}], got {value}");
    }
    Ok(())
}
