//! The training loop: AdamW with linear warm-up and decay, global-norm gradient clipping,
//! optional gradient accumulation, periodic checkpoints with dev-split selection, a stop on a
//! non-finite loss, and exact resume from the newest checkpoint.
//!
//! # Determinism
//! Batches come from the seeded [`BatchSampler`]; before each optimizer step the backend's
//! random source (dropout) is re-seeded from `(seed, step)`. A checkpoint stores the model,
//! the AdamW moments, the sampler position and the logs, and the schedule is a function of the
//! step, so a resumed run continues exactly as the uninterrupted run would have (on the CPU
//! backends, whose kernels are deterministic).

pub mod cached;
mod checkpoint;
mod clip;
mod dev;
mod log;
pub mod precision;
pub mod step;

pub use checkpoint::{BestCheckpoint, CheckpointDir, TrainerState};
pub use clip::{clip_global_norm, global_norm};
pub use dev::{DevMetrics, DevSet};
pub use hbt_schema::{DevRow, TrainLogRow};
pub use log::log_row;
pub use step::StepGradients;

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::ElementConversion;
use hbt_data::split::splitmix64;
use hbt_data::tokenize::TextTokenizer;
use hbt_kernels::AdamW;
use hbt_model::Encoder;
use hbt_schema::Precision;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::loss::InfoNceConfig;
use crate::parallel::{address_port, run_peers, serve_coordinator, Nodes, Peer};
use crate::sampler::{record, BatchComposition, BatchSampler};
use crate::schedule::LinearSchedule;
use precision::LossScale;
use step::StepEncoder;

/// Settings of the training loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainerConfig {
    /// Optimizer steps.
    pub steps: u64,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Steps of linear warm-up before the linear decay.
    pub warmup_steps: u64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f64,
    /// Clip gradients to this global L2 norm (`None`: no clipping).
    pub max_grad_norm: Option<f64>,
    /// Batches whose gradients are summed into one optimizer step (1: none).
    pub accumulation: usize,
    /// Forward passes per batch side over sequences of similar length, so short sequences
    /// are not padded to the longest (1: one padded batch per side).
    pub length_buckets: usize,
    /// Save a checkpoint (and measure the dev split) every this many steps, and at the end.
    pub checkpoint_every: u64,
    /// The contrastive loss.
    pub loss: InfoNceConfig,
    /// Seed of the per-step random source (dropout).
    pub seed: u64,
    /// Keep the word-embedding table as it is (no gradient, no update).
    pub freeze_embeddings: bool,
    /// Sequences per forward pass of the cached contrastive loss (GradCache: the batch's loss
    /// and gradients in the memory of this many sequences); `None`: the whole batch at once.
    #[serde(default)]
    pub mini_batch: Option<usize>,
    /// With several devices, score each question against the answers of the whole global
    /// batch (every device's), not only its own device's share.
    #[serde(default = "yes")]
    pub cross_device_negatives: bool,
    /// The precision of the forward and backward passes (parameters and optimizer state stay
    /// f32; see [`precision`]).
    #[serde(default = "f32_precision")]
    pub precision: Precision,
}

fn f32_precision() -> Precision {
    Precision::F32
}

fn yes() -> bool {
    true
}

impl TrainerConfig {
    /// Checks the ranges; the error names the setting.
    pub fn validate(&self) -> Result<()> {
        let bad = |key, message: String| Err(TrainError::BadSetting { key, message });
        if self.steps == 0 {
            return bad("steps", "must be at least 1".into());
        }
        if self.mini_batch == Some(0) {
            return bad("mini_batch", "must be at least 1".into());
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad(
                "learning_rate",
                format!("must be positive, got {}", self.learning_rate),
            );
        }
        if self.warmup_steps > self.steps {
            return bad(
                "warmup_steps",
                format!("{} exceeds the {} steps", self.warmup_steps, self.steps),
            );
        }
        if !(0.0..1.0).contains(&self.weight_decay) {
            return bad(
                "weight_decay",
                format!("must be in [0, 1), got {}", self.weight_decay),
            );
        }
        if let Some(norm) = self.max_grad_norm {
            if !(norm > 0.0 && norm.is_finite()) {
                return bad("max_grad_norm", format!("must be positive, got {norm}"));
            }
        }
        if self.accumulation == 0 {
            return bad("accumulation", "must be at least 1".into());
        }
        if self.length_buckets == 0 {
            return bad("length_buckets", "must be at least 1".into());
        }
        if self.checkpoint_every == 0 {
            return bad("checkpoint_every", "must be at least 1".into());
        }
        self.loss.scale()?;
        Ok(())
    }
}

/// What the loop reports while it runs (the caller prints it; this crate never does).
#[derive(Debug, Clone, PartialEq)]
pub enum TrainEvent {
    /// Training starts (or resumes) at `step` of `total`.
    Started {
        /// Steps already done (non-zero after a resume).
        step: u64,
        /// Total steps.
        total: u64,
        /// Whether a checkpoint was loaded.
        resumed: bool,
    },
    /// An optimizer step finished.
    Step {
        /// Steps done.
        step: u64,
        /// Total steps.
        total: u64,
        /// Mean loss of the step's batches.
        loss: f64,
        /// The step's learning rate.
        learning_rate: f64,
    },
    /// A checkpoint was written.
    Checkpoint(DevRow),
}

/// The result of a finished run.
#[derive(Debug)]
pub struct TrainOutcome<B: burn::tensor::backend::Backend> {
    /// The selected model (best dev recall@1), ready for inference.
    pub model: Encoder<B>,
    /// One row per batch.
    pub log: Vec<TrainLogRow>,
    /// One row per checkpoint; the selected one is marked.
    pub dev: Vec<DevRow>,
    /// What the sampler produced.
    pub composition: BatchComposition,
    /// The selected checkpoint.
    pub best: BestCheckpoint,
    /// The step training resumed from (0 for a fresh run).
    pub resumed_from: u64,
}

/// Where a run's inputs come from.
#[derive(Clone)]
pub struct TrainInputs<'a> {
    /// The batch sampler (at step 0; restored on resume).
    pub sampler: BatchSampler,
    /// The dev split.
    pub dev: &'a DevSet,
    /// The tokenizer of the run.
    pub tokenizer: &'a TextTokenizer,
    /// The checkpoint folder.
    pub checkpoints: &'a CheckpointDir,
    /// The run's resolved settings; a resumed checkpoint must have been made from the same.
    pub fingerprint: String,
    /// Continue from the newest checkpoint (a fresh start when there is none).
    pub resume: bool,
}

/// The optimizer of every run: AdamW (β₁ 0.9, β₂ 0.999, ε 1e-8, as PyTorch's defaults) with
/// decoupled weight decay `weight_decay` — one fused update pass per parameter on burn-flex,
/// burn's `AdamW` (same state records) on other backends.
pub fn adamw(weight_decay: f64) -> AdamW {
    AdamW {
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-8,
        weight_decay: weight_decay as f32,
    }
}

/// Trains `model` on `device` and returns the selected model with the run's records.
pub fn train<B: AutodiffBackend>(
    model: Encoder<B>,
    inputs: TrainInputs<'_>,
    config: &TrainerConfig,
    device: &B::Device,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<TrainOutcome<B::InnerBackend>> {
    train_parallel(
        model,
        inputs,
        config,
        std::slice::from_ref(device),
        None,
        on_event,
    )?
    .ok_or_else(|| TrainError::Collective("a one-device run kept no model".into()))
}

/// Trains `model` data-parallel on `devices` (one replica each; with `nodes`, together with
/// the devices of other nodes) and returns the selected model with the run's records: each
/// global batch is split into one shard per device and the gradients are summed across
/// devices every step (see [`crate::parallel`]). One device is plain training. Node 0 serves
/// the coordinator and returns the outcome; the other nodes return `None`.
///
/// # Errors
/// [`TrainError`] of any peer; a failing peer ends the whole session.
pub fn train_parallel<B: AutodiffBackend>(
    model: Encoder<B>,
    inputs: TrainInputs<'_>,
    config: &TrainerConfig,
    devices: &[B::Device],
    nodes: Option<&Nodes>,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<Option<TrainOutcome<B::InnerBackend>>> {
    config.validate()?;
    if let Some(nodes) = nodes.filter(|n| n.rank == 0) {
        serve_coordinator(address_port("coordinator", &nodes.coordinator)?)?;
    }
    let peers = devices.len() * nodes.map_or(1, |n| n.count);
    let batch_size = inputs.sampler.config().batch_size;
    if batch_size < peers {
        return Err(TrainError::BadSetting {
            key: "devices",
            message: format!("{peers} devices need a batch of at least {peers}, got {batch_size}"),
        });
    }
    let replica = |device: &B::Device| crate::parallel::replica(&model, device);
    run_peers::<B, _, _, _>(
        devices,
        nodes,
        |peer, device| {
            let outcome = train_peer(
                replica(device),
                inputs.clone(),
                config,
                peer,
                device,
                on_event,
            )?;
            outcome.ok_or_else(|| TrainError::Collective("the lead peer kept no model".into()))
        },
        |peer, device| {
            train_peer(
                replica(device),
                inputs.clone(),
                config,
                peer,
                device,
                &mut |_| {},
            )
            .map(|_| ())
        },
    )
}

/// `error` of an exchange at `step`, naming the checkpoint to resume from when it means the
/// session was lost (a peer or node stopped).
fn session_lost(
    error: TrainError,
    step: u64,
    peer: &Peer,
    checkpoints: &CheckpointDir,
) -> TrainError {
    if peer.is_solo() || !error.is_session_echo() {
        return error;
    }
    let last_checkpoint = if peer.leads() {
        let last = checkpoints.latest().ok().flatten();
        last.map_or("none".into(), |p| p.display().to_string())
    } else {
        "kept by node 0".into()
    };
    TrainError::SessionLost {
        step,
        cause: Box::new(error),
        last_checkpoint,
    }
}

/// One peer's training loop; the lead peer returns the outcome, the others `None`.
fn train_peer<B: AutodiffBackend>(
    mut model: Encoder<B>,
    inputs: TrainInputs<'_>,
    config: &TrainerConfig,
    peer: Peer,
    device: &B::Device,
    on_event: &mut dyn FnMut(TrainEvent),
) -> Result<Option<TrainOutcome<B::InnerBackend>>> {
    let TrainInputs {
        mut sampler,
        dev,
        tokenizer,
        checkpoints,
        fingerprint,
        resume,
    } = inputs;
    let mut optimizer = adamw(config.weight_decay).init::<B, Encoder<B>>();
    let mut state = TrainerState {
        step: 0,
        fingerprint,
        sampler: sampler.state(),
        composition: BatchComposition::new(),
        log: Vec::new(),
        dev: Vec::new(),
        best: None,
        loss_scale: LossScale::for_precision(config.precision),
    };
    let latest = if resume { checkpoints.latest()? } else { None };
    if let Some(dir) = &latest {
        let (m, o, saved) = checkpoints.load(dir, model, optimizer, device)?;
        if saved.fingerprint != state.fingerprint {
            return Err(TrainError::checkpoint(
                dir,
                "was made with other settings or data; run without --resume to start over",
            ));
        }
        if saved.step > config.steps {
            return Err(TrainError::checkpoint(
                dir,
                format!(
                    "holds step {} of a run of {} steps; run without --resume to start over",
                    saved.step, config.steps
                ),
            ));
        }
        sampler.restore(&saved.sampler)?;
        (model, optimizer, state) = (m, o, saved);
    } else if peer.keeps_checkpoints() {
        checkpoints.clear()?;
    }
    if resume && !peer.is_solo() {
        // Every node resumes from its own checkpoints: they must hold the same step.
        let steps = peer
            .all_values::<B::InnerBackend>(state.step as f64, device)
            .map_err(|e| session_lost(e, state.step, &peer, checkpoints))?;
        if steps.iter().any(|&s| s != state.step as f64) {
            let steps: Vec<String> = steps.iter().map(|s| s.to_string()).collect();
            return Err(TrainError::checkpoint(
                checkpoints.path(),
                format!(
                    "the nodes' newest checkpoints hold different steps ({}, in peer order); run without --resume to start over",
                    steps.join(", ")
                ),
            ));
        }
    }
    if config.freeze_embeddings {
        model = model.freeze_word_embeddings();
    }
    let resumed_from = state.step;
    let mut on_event = |event| {
        if peer.leads() {
            on_event(event)
        }
    };
    on_event(TrainEvent::Started {
        step: state.step,
        total: config.steps,
        resumed: latest.is_some(),
    });
    let schedule = LinearSchedule {
        peak: config.learning_rate,
        warmup_steps: config.warmup_steps,
        total_steps: config.steps,
    };
    let dev_batch = sampler.config().batch_size;
    while state.step < config.steps {
        let step = state.step + 1;
        let learning_rate = schedule.rate(state.step);
        let step_seed = splitmix64(config.seed ^ step.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        if peer.is_solo() {
            // Peers of a session seed per shard (under the process-wide random-source lock).
            B::seed(device, step_seed);
        }
        let mut gradients =
            StepGradients::new(config.accumulation).with_loss_scale(state.loss_scale.as_ref());
        let compute = precision::compute_view(&model, config.precision);
        let encoder = StepEncoder {
            compute: &compute,
            trained: &model,
        };
        let mut loss_sum = 0.0;
        for batch_index in 0..config.accumulation as u64 {
            let batch = sampler.next_batch()?;
            let batch_seed = splitmix64(step_seed ^ batch_index);
            let (value, loss) = match config.mini_batch {
                None if peer.is_solo() => {
                    let loss = step::batch_loss(
                        &compute,
                        &batch,
                        tokenizer,
                        config.length_buckets,
                        &config.loss,
                        device,
                    )?;
                    (loss.clone().into_scalar().elem::<f64>(), Some(loss))
                }
                mini_batch => {
                    let (questions, answers) = step::batch_ids(tokenizer, &batch)?;
                    let settings = cached::ShardLoss {
                        cached: cached::CachedLoss {
                            mini_batch: mini_batch.unwrap_or(0),
                            length_buckets: config.length_buckets,
                            dropout_seed: batch_seed,
                        },
                        cross_device_negatives: config.cross_device_negatives,
                    };
                    let (value, grads) = cached::shard_loss_gradients(
                        encoder,
                        &questions,
                        &answers,
                        &config.loss,
                        settings,
                        gradients.loss_scale(),
                        &peer,
                        device,
                    )
                    .map_err(|e| session_lost(e, step, &peer, checkpoints))?;
                    gradients.add_gradients(&model, grads);
                    (value, None)
                }
            };
            if !value.is_finite() {
                let last = checkpoints.latest()?;
                return Err(TrainError::NonFiniteLoss {
                    step,
                    loss: value,
                    last_checkpoint: last.map_or("none".into(), |p| p.display().to_string()),
                });
            }
            if let Some(loss) = loss {
                gradients.add(&model, loss);
            }
            record(&mut state.composition, &batch);
            state.log.push(log_row(&batch, step, value, learning_rate));
            loss_sum += value;
        }
        gradients
            .sum_across(&model, &peer)
            .map_err(|e| session_lost(e, step, &peer, checkpoints))?;
        drop(compute);
        model = gradients.apply(
            model,
            &mut optimizer,
            learning_rate,
            config.max_grad_norm,
            state.loss_scale.as_mut(),
        );
        state.step = step;
        on_event(TrainEvent::Step {
            step,
            total: config.steps,
            loss: loss_sum / config.accumulation as f64,
            learning_rate,
        });
        let checkpoint_due = step.is_multiple_of(config.checkpoint_every) || step == config.steps;
        if checkpoint_due && peer.keeps_checkpoints() && !peer.leads() {
            state.sampler = sampler.state();
            checkpoints.save(&model, &optimizer, &state)?;
        }
        if checkpoint_due && peer.leads() {
            let metrics = dev.evaluate(&model.valid(), &config.loss, dev_batch, device)?;
            let row = DevRow {
                step,
                dev_loss: metrics.loss,
                dev_recall_at_1: metrics.recall_at_1,
                selected: false,
            };
            let improves = state
                .best
                .is_none_or(|b| b.is_beaten_by(metrics.recall_at_1, metrics.loss));
            if improves {
                checkpoints.save_best(&model, step)?;
                state.best = Some(BestCheckpoint {
                    step,
                    dev_loss: metrics.loss,
                    dev_recall_at_1: metrics.recall_at_1,
                });
            }
            state.dev.push(row.clone());
            state.sampler = sampler.state();
            checkpoints.save(&model, &optimizer, &state)?;
            on_event(TrainEvent::Checkpoint(row));
        }
    }
    if !peer.leads() {
        return Ok(None);
    }
    let best = state
        .best
        .ok_or_else(|| TrainError::checkpoint(checkpoints.path(), "no checkpoint was selected"))?;
    let model = checkpoints.load_best(model.valid(), best.step, device)?;
    for row in &mut state.dev {
        row.selected = row.step == best.step;
    }
    Ok(Some(TrainOutcome {
        model,
        log: state.log,
        dev: state.dev,
        composition: state.composition,
        best,
        resumed_from,
    }))
}
