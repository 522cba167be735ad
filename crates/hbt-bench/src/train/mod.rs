//! Training throughput of the fixed benchmark configuration (`hbt bench train`): a
//! BERT-family encoder from scratch (4 layers, width 256, 4 heads, FFN 1024, mean pooling, L2
//! norm), batches of 64 XQuAD-R question–answer pairs (questions ≤ 32 tokens, answers ≤ 128),
//! InfoNCE (temperature 0.05) + AdamW (lr 5e-4, weight decay 0.01) with global-norm clipping
//! at 1.0, dropout 0.1. Each step is the trainer's own: [`hbt_train::ids_loss`] for the loss,
//! [`hbt_train::StepGradients`] for backward, clipping and the update of the optimizer built
//! by [`hbt_train::adamw`].
//!
//! Method: the pairs of all 11 languages are shuffled from the seed and cut into `steps`
//! distinct batches, tokenized once (byte-level BPE, vocab 8000, trained on these texts).
//! Each backend runs `warmup` untimed steps, then `repeats` timed passes over all batches;
//! the model keeps training across passes. Achieved GFLOP/s counts the matrix products of the
//! forward pass on the executed shapes (×3 for forward + backward) and is set against the best
//! GFLOP/s of a large f32 matrix product on the same backend, measured in the same run.
//!
//! `export` writes the initial weights as a Hugging Face folder and the token ids as
//! `batches.json`, so `scripts/bench/torch_bench.py train DIR` runs PyTorch on identical
//! inputs.

mod batches;
pub mod flops;
mod report;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, ensure, Result};
use burn::backend::Autodiff;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::ElementConversion;
use hbt_data::tokenize::TextTokenizer;
use hbt_model::backend::{is_compiled, FlexBackend, NdArrayBackend};
use hbt_model::{Encoder, EncoderConfig, ModelFamily, PoolingMode};
use hbt_pipeline::{Locations, Progress, StageLog};
use hbt_schema::BackendKind;
use hbt_train::{adamw, ids_loss, InfoNceConfig, StepGradients};

pub use batches::TokenBatch;
pub use report::{BackendRates, TrainReport};

use crate::measure::{cpus, gemm_peak_gflops, peak_rss_mib, reset_peak_rss};
use crate::shape::BenchShape;
use crate::xquad::{self, VOCAB_SIZE};
use report::Measured;

/// Token limits of questions and answers.
const QUESTION_MAX: usize = 32;
const ANSWER_MAX: usize = 128;
/// Optimisation settings (hbt's defaults in `experiments/base.toml`).
const LEARNING_RATE: f64 = 5e-4;
const WEIGHT_DECAY: f64 = 0.01;
const MAX_GRAD_NORM: f64 = 1.0;
const TEMPERATURE: f64 = 0.05;
/// Size of the square matrix product that measures the GEMM peak.
const GEMM_N: usize = 2048;

/// What to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainOptions {
    /// Backends to measure, in order (the CPU backends: flex, ndarray).
    pub backends: Vec<BackendKind>,
    /// Distinct batches per timed pass (at least 1).
    pub steps: usize,
    /// Untimed steps before the timed passes (at least one runs, for the first loss).
    pub warmup: usize,
    /// Timed passes over all batches (at least 1).
    pub repeats: usize,
    /// Forward passes per batch side over sequences of similar length (1: one padded batch).
    pub length_buckets: usize,
    /// Seed of the pair shuffle, the initialisation and dropout.
    pub seed: u64,
    /// Write the initial weights (Hugging Face folder) and the token ids for the PyTorch
    /// reference here.
    pub export: Option<PathBuf>,
    /// The encoder's sizes and the pairs per batch.
    pub shape: BenchShape,
}

/// Runs the benchmark: loads and tokenizes the pairs, writes the export when asked, then
/// trains on each backend in turn.
pub fn run(
    options: &TrainOptions,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<TrainReport> {
    check(options)?;
    let log = StageLog::start(progress, "bench", "loading xquad-r question-answer pairs");
    let pairs = xquad::pairs(locations, progress)?;
    let batch_pairs = options.shape.batch_pairs();
    let needed = options.steps * batch_pairs;
    ensure!(
        pairs.len() >= needed,
        "--steps {}: XQuAD-R has {} pairs, enough for {} batches of {batch_pairs}",
        options.steps,
        pairs.len(),
        pairs.len() / batch_pairs
    );
    log.note(&format!("training the tokenizer on {} pairs", pairs.len()));
    let texts = pairs.iter().flat_map(|(q, a)| [q, a]);
    let tokenizer = TextTokenizer::train(texts, VOCAB_SIZE, ANSWER_MAX)?;
    let batches =
        batches::token_batches(&pairs, &tokenizer, options.steps, batch_pairs, options.seed)?;
    let config = encoder_config(&tokenizer, options.shape);
    if let Some(dir) = &options.export {
        batches::export(dir, &config, &batches, options.seed)?;
        log.note(&format!("wrote {}", dir.display()));
    }

    let tokens: usize = batches.iter().map(TokenBatch::tokens).sum();
    let padded_tokens: usize = batches.iter().map(TokenBatch::padded_tokens).sum();
    let gflop = |buckets| {
        batches
            .iter()
            .map(|b| flops::training_flops(&config, b, buckets))
            .sum::<f64>()
            / 1e9
    };
    let (gflop_per_pass, executed_gflop_per_pass) = (gflop(1), gflop(options.length_buckets));
    let mut backends = Vec::new();
    for &backend in &options.backends {
        let measured = match backend {
            BackendKind::Flex => {
                measure::<Autodiff<FlexBackend>>(backend, &config, &batches, options, &log)?
            }
            BackendKind::NdArray => {
                measure::<Autodiff<NdArrayBackend>>(backend, &config, &batches, options, &log)?
            }
            BackendKind::Cuda => bail!(cpu_only(backend)),
        };
        backends.push(BackendRates::of(
            measured,
            batches.len(),
            batch_pairs,
            tokens,
            executed_gflop_per_pass,
        ));
    }
    Ok(TrainReport {
        encoder: format!(
            "BERT family from scratch, {}, dropout 0.1, mean pooling, L2 norm",
            options.shape.describe(config.vocab_size)
        ),
        optimisation: format!(
            "InfoNCE (temperature {TEMPERATURE}) + AdamW (lr {LEARNING_RATE}, weight decay \
             {WEIGHT_DECAY}), global-norm clipping {MAX_GRAD_NORM}"
        ),
        batches: batches.len(),
        batch_pairs,
        question_max: QUESTION_MAX,
        answer_max: ANSWER_MAX,
        tokens,
        padded_tokens,
        gflop_per_pass,
        length_buckets: options.length_buckets,
        executed_gflop_per_pass,
        warmup_steps: options.warmup,
        repeats: options.repeats,
        seed: options.seed,
        cpus: cpus(),
        product_library: hbt_kernels::cpu::product::Provider::get()
            .name()
            .to_string(),
        backends,
    })
}

/// Refuses options the benchmark cannot run, before any data is read.
fn check(options: &TrainOptions) -> Result<()> {
    ensure!(
        !options.backends.is_empty(),
        "--backend needs at least one backend"
    );
    ensure!(options.steps >= 1, "--steps must be at least 1");
    ensure!(options.repeats >= 1, "--repeats must be at least 1");
    ensure!(
        options.length_buckets >= 1,
        "--length-buckets must be at least 1"
    );
    for &backend in &options.backends {
        if !is_compiled(backend) {
            bail!("--backend {backend}: not compiled into this binary (cargo feature `{backend}`)");
        }
        if backend == BackendKind::Cuda {
            bail!(cpu_only(backend));
        }
    }
    Ok(())
}

/// Why `backend` is refused: the benchmark compares the CPU backends.
fn cpu_only(backend: BackendKind) -> String {
    format!("--backend {backend}: the training benchmark measures the CPU backends (flex, ndarray)")
}

/// The benchmarked encoder: BERT family (positions 0..len, as `transformers.BertModel`), sized
/// to the tokenizer.
fn encoder_config(tokenizer: &TextTokenizer, shape: BenchShape) -> EncoderConfig {
    let mut config = EncoderConfig::new(
        ModelFamily::Bert,
        shape.vocab_rows(tokenizer.vocab_size()),
        shape.hidden(),
        shape.layers(),
        shape.heads(),
        shape.intermediate(),
        ANSWER_MAX,
    );
    config.pad_token_id = tokenizer.pad_id();
    config.pooling = PoolingMode::Mean;
    config.normalize = true;
    config
}

/// Trains on backend `B` with the trainer's step: warm-up steps, then timed passes over all
/// batches, then the GEMM peak of the inner backend.
fn measure<B: AutodiffBackend>(
    backend: BackendKind,
    config: &EncoderConfig,
    batches: &[TokenBatch],
    options: &TrainOptions,
    log: &StageLog,
) -> Result<Measured> {
    let device = B::Device::default();
    B::seed(&device, options.seed);
    let mut model = Encoder::<B>::init(config, options.seed, &device)?;
    let mut optimizer = adamw(WEIGHT_DECAY).init::<B, Encoder<B>>();
    // As the pipeline sets it: cosine scores when the encoder normalises.
    let loss_config = InfoNceConfig {
        temperature: TEMPERATURE,
        symmetric: false,
        normalize: config.normalize,
    };
    // One optimizer step of the training loop (accumulation 1): loss, backward, clipping and
    // the AdamW update, all through hbt-train.
    let mut step = |model: Encoder<B>, batch: &TokenBatch| -> Result<(Encoder<B>, f64)> {
        let loss = ids_loss(
            &model,
            &batch.questions,
            &batch.answers,
            options.length_buckets,
            &loss_config,
            &device,
        )?;
        let value = loss.clone().into_scalar().elem::<f64>();
        let mut gradients = StepGradients::new(1);
        gradients.add(&model, loss);
        let model = gradients.apply(
            model,
            &mut optimizer,
            LEARNING_RATE,
            Some(MAX_GRAD_NORM),
            None,
        );
        Ok((model, value))
    };
    log.note(&format!("{backend}: {} warm-up steps", options.warmup));
    let mut first_loss = f64::NAN;
    for (i, batch) in batches
        .iter()
        .cycle()
        .take(options.warmup.max(1))
        .enumerate()
    {
        let (m, loss) = step(model, batch)?;
        model = m;
        if i == 0 {
            first_loss = loss;
        }
    }
    reset_peak_rss();
    let mut pass_seconds = Vec::new();
    for repeat in 1..=options.repeats {
        let started = Instant::now();
        for batch in batches {
            model = step(model, batch)?.0;
        }
        let elapsed = started.elapsed().as_secs_f64();
        log.note(&format!(
            "{backend}: pass {repeat}/{} ({} steps) took {elapsed:.2}s",
            options.repeats,
            batches.len()
        ));
        pass_seconds.push(elapsed);
    }
    let peak_rss_mib = peak_rss_mib();
    drop(model);
    log.note(&format!("{backend}: GEMM peak ({GEMM_N}³ f32 product)"));
    let gemm_peak_gflops = gemm_peak_gflops::<B::InnerBackend>(GEMM_N, 5, &device);
    Ok(Measured {
        backend,
        pass_seconds,
        gemm_peak_gflops,
        first_loss,
        peak_rss_mib,
    })
}
