//! The train stage: sampler over the training split, the training loop with checkpoints in
//! `results/EXPERIMENT/checkpoints/RUN/`, and the run records (`train_log.csv`, `dev_log.csv`,
//! `batch_composition.json`). The selected model is also exported as a Hugging Face folder
//! (`checkpoints/RUN/final/`) that `transformers` and `hbt eval --checkpoint` load.

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::backend::AutodiffBackend;
use hbt_model::{save_hf_dir, Encoder};
use hbt_train::{
    sampler::LanguageWeighting, train, BatchSampler, CheckpointDir, DevSet, InfoNceConfig,
    SamplerConfig, Strategy, TrainInputs, TrainerConfig, TrainingSource,
};
use serde_json::json;

use super::data::PreparedData;
use crate::config::ExperimentConfig;
use crate::progress::TrainProgress;
use crate::run_dir::RunDir;

/// The batch strategy of the experiment file.
fn strategy(config: &ExperimentConfig) -> Strategy {
    match config.train.strategy.as_str() {
        "mono" => Strategy::Mono,
        "mixed" => Strategy::Mixed,
        "cross" => Strategy::Cross,
        _ => Strategy::Hybrid {
            alpha: config.train.alpha,
        },
    }
}

/// The loop settings of the experiment file.
pub fn trainer_config(config: &ExperimentConfig) -> TrainerConfig {
    let t = &config.train;
    TrainerConfig {
        steps: t.steps as u64,
        learning_rate: t.learning_rate,
        warmup_steps: (t.steps as f64 * t.warmup_fraction).round() as u64,
        weight_decay: t.weight_decay,
        max_grad_norm: (t.max_grad_norm > 0.0).then_some(t.max_grad_norm),
        accumulation: t.accumulation,
        length_buckets: t.length_buckets,
        checkpoint_every: t.checkpoint_every as u64,
        loss: InfoNceConfig {
            temperature: t.temperature,
            symmetric: t.symmetric,
        },
        seed: config.seed,
    }
}

/// A sampler over the training split of every source.
fn sampler(config: &ExperimentConfig, data: &PreparedData) -> Result<BatchSampler> {
    let sources = data
        .sources
        .iter()
        .map(|s| {
            if s.pairs.is_empty() {
                TrainingSource::from_groups(&s.reference, s.groups.train.clone())
            } else {
                TrainingSource::from_pairs(&s.reference, s.pairs.clone())
            }
        })
        .collect();
    let sampler_config = SamplerConfig {
        strategy: strategy(config),
        batch_size: config.train.batch_size,
        language_weighting: if config.train.language_weighting == "uniform" {
            LanguageWeighting::Uniform
        } else {
            LanguageWeighting::Proportional
        },
        seed: config.seed,
    };
    BatchSampler::new(sources, sampler_config).context("key `train`")
}

/// Trains the run's encoder and writes the run records; returns the selected model.
pub fn run<B: AutodiffBackend>(
    config: &ExperimentConfig,
    data: &PreparedData,
    model: Encoder<B>,
    run_dir: &RunDir,
    checkpoints: &Path,
    resume: bool,
    device: &B::Device,
) -> Result<Encoder<B::InnerBackend>> {
    let sampler = sampler(config, data)?;
    let dev_groups: Vec<_> = data
        .sources
        .iter()
        .flat_map(|s| s.groups.dev.iter().cloned())
        .collect();
    let dev = DevSet::new(&dev_groups, &data.tokenizer)?;
    let tokenizer_path = run_dir.path().join("tokenizer.json");
    let fingerprint = format!(
        "{}\ntokenizer sha256 {}",
        toml::to_string(config)?,
        hbt_data::fetch::sha256_file(&tokenizer_path)?
    );
    let checkpoint_dir = CheckpointDir::new(checkpoints);
    let inputs = TrainInputs {
        sampler,
        dev: &dev,
        tokenizer: &data.tokenizer,
        checkpoints: &checkpoint_dir,
        fingerprint,
        resume,
    };
    let mut progress = TrainProgress::new(&format!(
        "{} batches of {}, {} dev groups",
        config.train.strategy,
        config.train.batch_size,
        dev.groups()
    ));
    let outcome = train(
        model,
        inputs,
        &trainer_config(config),
        device,
        &mut |event| progress.show(&event),
    );
    progress.finish();
    let outcome = outcome?;
    run_dir.write(
        "train_log.csv",
        hbt_train::trainer::train_log_csv(&outcome.log).as_bytes(),
    )?;
    run_dir.write(
        "dev_log.csv",
        hbt_train::trainer::dev_log_csv(&outcome.dev).as_bytes(),
    )?;
    let composition = json!({
        "sources": data.sources.iter().map(|s| &s.reference).collect::<Vec<_>>(),
        "composition": outcome.composition,
        "selected_step": outcome.best.step,
        "resumed_from_step": outcome.resumed_from,
    });
    run_dir.write(
        "batch_composition.json",
        serde_json::to_string_pretty(&composition)?.as_bytes(),
    )?;
    let final_dir = checkpoints.join("final");
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir)
            .with_context(|| format!("{}: cannot replace", final_dir.display()))?;
    }
    save_hf_dir(&outcome.model, &final_dir, Some(&tokenizer_path))?;
    Ok(outcome.model)
}
