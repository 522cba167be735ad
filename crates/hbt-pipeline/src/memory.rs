//! A memory estimate of a training run, checked against the memory the machine has free
//! before anything is allocated, so that an impossible model is refused with figures instead
//! of aborting on allocation half-way.

use anyhow::{bail, Result};
use hbt_schema::{BackendKind, ExperimentConfig};

/// Bytes of one `f32`.
const F32: f64 = 4.0;
/// Position embeddings of a from-scratch encoder (XLM-R's 514 rounded up, as hbt builds it).
const POSITIONS: f64 = 514.0;

/// Estimated peak memory of training a from-scratch encoder, in bytes, and its parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainingMemory {
    /// Parameters of the encoder.
    pub parameters: f64,
    /// Weights, gradients and AdamW's two moments (16 bytes per parameter).
    pub state_bytes: f64,
    /// Activations kept for the backward pass of one batch (questions and answers).
    pub activation_bytes: f64,
}

impl TrainingMemory {
    /// The estimate for `config`'s from-scratch encoder on a CPU backend; `None` for a
    /// pretrained one (its size is known only from its files) and on cuda (the GPU's memory,
    /// not this machine's, holds it).
    pub fn of(config: &ExperimentConfig) -> Option<TrainingMemory> {
        if !config.model.pretrained.is_empty() || config.backend == BackendKind::Cuda {
            return None;
        }
        let m = &config.model;
        let (h, i, layers) = (
            m.hidden_size as f64,
            m.intermediate_size as f64,
            m.layers as f64,
        );
        let vocab = config.tokenizer.vocab_size as f64;
        let per_layer = 4.0 * h * h + 2.0 * h * i + 9.0 * h + i;
        let parameters = (vocab + POSITIONS + 2.0) * h + 2.0 * h + layers * per_layer + h * h + h;
        let seq = config.tokenizer.max_len as f64;
        let tokens = 2.0 * config.train.batch_size as f64 * seq;
        // Per token and layer: about ten hidden-width tensors (projections, residuals, norms,
        // dropout masks), three FFN-width ones (input, GELU, mask) and, per head, a row of
        // attention probabilities and its dropout mask.
        let per_token = 10.0 * h + 3.0 * i + 2.0 * m.heads as f64 * seq;
        Some(TrainingMemory {
            parameters,
            state_bytes: 4.0 * F32 * parameters,
            activation_bytes: F32 * tokens * layers * per_token,
        })
    }

    /// Weights, optimizer state and activations together.
    pub fn total_bytes(&self) -> f64 {
        self.state_bytes + self.activation_bytes
    }
}

/// Memory the machine can give a new allocation now (Linux: `MemAvailable` of
/// `/proc/meminfo`); `None` where it cannot be read.
pub fn available_bytes() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Refuses a run whose estimate exceeds `available` bytes, with the estimate in the message.
pub fn check_fits(run: &str, config: &ExperimentConfig, available: Option<f64>) -> Result<()> {
    let (Some(estimate), Some(available)) = (TrainingMemory::of(config), available) else {
        return Ok(());
    };
    if estimate.total_bytes() <= available {
        return Ok(());
    }
    let gib = |b: f64| b / (1u64 << 30) as f64;
    bail!(
        "run {run}: training needs about {:.1} GiB ({:.2e} parameters: {:.1} GiB of weights, gradients and AdamW moments; {:.1} GiB of activations at batch {} × max_len {}), but {:.1} GiB are available; shrink the model or the batch, or pass --skip-memory-check",
        gib(estimate.total_bytes()),
        estimate.parameters,
        gib(estimate.state_bytes),
        gib(estimate.activation_bytes),
        config.train.batch_size,
        config.tokenizer.max_len,
        gib(available)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_estimate_counts_bert_base_parameters() {
        // BERT-base: 12 × 768, FFN 3072, 30,522 words: about 110M parameters.
        let mut config = ExperimentConfig::default();
        config.model.hidden_size = 768;
        config.model.layers = 12;
        config.model.heads = 12;
        config.model.intermediate_size = 3072;
        config.tokenizer.vocab_size = 30_522;
        let estimate = TrainingMemory::of(&config).unwrap();
        assert!(
            (estimate.parameters / 110e6 - 1.0).abs() < 0.03,
            "{}",
            estimate.parameters
        );
        assert_eq!(estimate.state_bytes, 16.0 * estimate.parameters);
        config.model.pretrained = "q4:model.bin".into();
        assert!(
            TrainingMemory::of(&config).is_none(),
            "pretrained sizes are not guessed"
        );
    }

    #[test]
    fn an_impossible_model_is_refused_with_its_figures() {
        let mut config = ExperimentConfig::default();
        config.model.hidden_size = 16_384;
        config.model.layers = 48;
        config.model.heads = 64;
        config.model.intermediate_size = 65_536;
        let message = check_fits("main", &config, Some(16.0 * (1u64 << 30) as f64))
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("run main: training needs about")
                && message.contains("16.0 GiB are available")
                && message.contains("--skip-memory-check"),
            "{message}"
        );
        check_fits(
            "main",
            &ExperimentConfig::default(),
            Some(16.0 * (1u64 << 30) as f64),
        )
        .unwrap();
        check_fits("main", &config, None).unwrap();
    }
}
