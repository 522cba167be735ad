//! The train stage: sampler over the training split, the training loop with checkpoints in
//! `results/EXPERIMENT/checkpoints/RUN/`, and the run records (`train_log.csv`, `dev_log.csv`,
//! `batch_composition.json`). The selected model is also exported as a Hugging Face folder
//! (`checkpoints/RUN/final/`) that `transformers` and `hbt eval --checkpoint` load.

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::backend::{AutodiffBackend, Backend, Device};
use hbt_model::{save_hf_dir, Encoder};
use hbt_schema::logs::to_csv;
use hbt_schema::{
    BatchCompositionFile, DeviceName, ExperimentConfig, BATCH_COMPOSITION_FILE, DEV_LOG_FILE,
    TRAIN_LOG_FILE,
};
use hbt_train::{
    train_parallel, BatchSampler, CheckpointDir, DevSet, InfoNceConfig, Nodes, SamplerConfig,
    TrainInputs, TrainerConfig, TrainingSource,
};

use super::data::PreparedData;
use crate::progress::{Progress, StageLog};
use crate::run_dir::RunDir;

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
            normalize: config.model.normalize,
        },
        seed: config.seed,
        freeze_embeddings: t.freeze_embeddings,
        mini_batch: (t.mini_batch > 0).then_some(t.mini_batch),
        cross_device_negatives: t.cross_device_negatives,
        precision: t.precision,
    }
}

/// The backend's devices `names` name (`default` when none is named).
fn devices<B: Backend>(names: &[DeviceName], default: &B::Device) -> Vec<B::Device> {
    if names.is_empty() {
        return vec![default.clone()];
    }
    names
        .iter()
        .map(|name| {
            let mut id = default.to_id();
            id.index_id = name.index();
            B::Device::from_id(id)
        })
        .collect()
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
        strategy: config.train.strategy,
        alpha: config.train.alpha,
        batch_size: config.train.batch_size,
        language_weighting: config.train.language_weighting,
        seed: config.seed,
    };
    BatchSampler::new(sources, sampler_config).context("key `train`")
}

/// Where a run keeps its checkpoints, and whether it continues from the newest one.
pub struct Checkpoints<'a> {
    /// `results/EXPERIMENT/checkpoints/RUN/`.
    pub dir: &'a Path,
    /// Continue from the newest checkpoint (a fresh start when there is none).
    pub resume: bool,
}

/// Trains the run's encoder and writes the run records; returns the selected model (`None`
/// on the nodes other than node 0 of a multi-node run, which keep no records).
#[allow(clippy::too_many_arguments)]
pub fn run<B: AutodiffBackend>(
    config: &ExperimentConfig,
    data: &PreparedData,
    model: Encoder<B>,
    run_dir: &RunDir,
    checkpoints: Checkpoints<'_>,
    device: &B::Device,
    nodes: Option<&Nodes>,
    progress: &dyn Progress,
) -> Result<Option<Encoder<B::InnerBackend>>> {
    let Checkpoints {
        dir: checkpoints,
        resume,
    } = checkpoints;
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
    let log = StageLog::start(
        progress,
        "train",
        &format!(
            "{} batches of {}, {} dev groups",
            config.train.strategy,
            config.train.batch_size,
            dev.groups()
        ),
    );
    let devices = devices::<B>(&config.train.devices, device);
    let Some(outcome) = train_parallel(
        model,
        inputs,
        &trainer_config(config),
        &devices,
        nodes,
        &mut |event| progress.train(&event),
    )?
    else {
        let rank = nodes.map_or(0, |n| n.rank);
        log.note(&format!("node {rank} done; node 0 keeps the run's records"));
        return Ok(None);
    };
    let last_loss = outcome.log.last().map_or(f64::NAN, |row| row.loss);
    log.note(&format!("done (last loss {last_loss:.4})"));
    run_dir.write(TRAIN_LOG_FILE, to_csv(&outcome.log).as_bytes())?;
    run_dir.write(DEV_LOG_FILE, to_csv(&outcome.dev).as_bytes())?;
    run_dir.write_json(
        BATCH_COMPOSITION_FILE,
        &BatchCompositionFile {
            sources: data.sources.iter().map(|s| s.reference.clone()).collect(),
            composition: outcome.composition,
            selected_step: outcome.best.step,
            resumed_from_step: outcome.resumed_from,
        },
    )?;
    let final_dir = checkpoints.join("final");
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir)
            .with_context(|| format!("{}: cannot replace", final_dir.display()))?;
    }
    save_hf_dir(&outcome.model, &final_dir, Some(&tokenizer_path))?;
    Ok(Some(outcome.model))
}
