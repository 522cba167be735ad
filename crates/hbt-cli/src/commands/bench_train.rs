//! `hbt bench train`: training throughput of the fixed benchmark configuration: a BERT-family
//! encoder from scratch (4 layers, width 256, 4 heads, FFN 1024, mean pooling, L2 norm),
//! batches of 64 XQuAD-R question–answer pairs (questions ≤ 32 tokens, answers ≤ 128),
//! InfoNCE (temperature 0.05) + AdamW (lr 5e-4, weight decay 0.01) with global-norm clipping
//! at 1.0, dropout 0.1: the training step `hbt experiment` runs.
//!
//! Method: the pairs of all 11 languages are shuffled from the seed and cut into `--steps`
//! distinct batches, tokenized once (byte-level BPE, vocab 8000, trained on these texts).
//! Each backend runs `--warmup` untimed steps, then `--repeats` timed passes over all batches;
//! the model keeps training across passes. Achieved GFLOP/s counts the matrix products of the
//! forward pass on the padded shapes (×3 for forward + backward) and is set against the best
//! GFLOP/s of a large f32 matrix product on the same backend, measured in the same run.
//!
//! `--export DIR` writes the initial weights as a Hugging Face folder and the token ids as
//! `batches.json`, so `scripts/bench/torch_bench.py train DIR` runs PyTorch on identical
//! inputs.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::ElementConversion;
use hbt_data::split::splitmix64;
use hbt_data::tokenize::TextTokenizer;
use hbt_model::backend::{FlexBackend, NdArrayBackend};
use hbt_model::{length_buckets, save_hf_dir, Encoder, EncoderConfig, ModelFamily, PoolingMode};
use hbt_train::trainer::clip_global_norm;
use hbt_train::{adamw, ids_loss, InfoNceConfig};
use serde::Serialize;

use super::bench::{HEADS, HIDDEN, INTERMEDIATE, LAYERS};
use super::bench_util::{cpus, gemm_peak_gflops, peak_rss_mib, reset_peak_rss, write_json, Spread};
use crate::cli::BenchTrainArgs;
use crate::locations::Locations;
use crate::progress::StageLog;

/// Pairs per batch and token limits of questions and answers.
const BATCH_PAIRS: usize = 64;
const QUESTION_MAX: usize = 32;
const ANSWER_MAX: usize = 128;
/// Optimisation settings (hbt's defaults in `experiments/base.toml`).
const LEARNING_RATE: f64 = 5e-4;
const WEIGHT_DECAY: f64 = 0.01;
const MAX_GRAD_NORM: f64 = 1.0;
const TEMPERATURE: f64 = 0.05;
/// Size of the square matrix product that measures the GEMM peak.
const GEMM_N: usize = 2048;

/// Token ids of one training batch.
#[derive(Debug, Clone, Serialize)]
pub struct TokenBatch {
    /// Question token ids, at most [`QUESTION_MAX`] each.
    pub questions: Vec<Vec<u32>>,
    /// Answer token ids, at most [`ANSWER_MAX`] each; answer i belongs to question i.
    pub answers: Vec<Vec<u32>>,
}

/// Measurements of one backend.
#[derive(Debug, Serialize)]
struct BackendResult {
    backend: &'static str,
    /// Seconds of each timed pass over all batches.
    pass_seconds: Vec<f64>,
    steps_per_s: Spread,
    pairs_per_s: Spread,
    /// Non-padding tokens (questions + answers) per second.
    tokens_per_s: Spread,
    /// GFLOP/s of the executed matrix products, forward + backward.
    gflops: Spread,
    /// Best GFLOP/s of a 2048³ f32 matrix product on this backend.
    gemm_peak_gflops: f64,
    /// Median achieved GFLOP/s over the GEMM peak.
    fraction_of_peak: f64,
    /// Loss of the first warm-up step (same weights and batch as the PyTorch reference).
    first_loss: f64,
    /// Peak resident memory during the timed passes, MiB.
    peak_rss_mib: Option<f64>,
}

/// Everything the benchmark reports (the `--json` file).
#[derive(Debug, Serialize)]
struct Report {
    encoder: String,
    optimisation: String,
    batches: usize,
    batch_pairs: usize,
    question_max: usize,
    answer_max: usize,
    /// Non-padding tokens over all batches.
    tokens: usize,
    /// Tokens the encoder processes with padding to the longest sequence of each side.
    padded_tokens: usize,
    /// Model GFLOP of one pass over all batches (forward + backward), each side one batch
    /// padded to its longest sequence: the work of the PyTorch reference.
    gflop_per_pass: f64,
    /// Forward passes per batch side over sequences of similar length.
    length_buckets: usize,
    /// GFLOP one pass executes with `length_buckets` (less padding); GFLOP/s counts these.
    executed_gflop_per_pass: f64,
    warmup_steps: usize,
    repeats: usize,
    seed: u64,
    cpus: usize,
    backends: Vec<BackendResult>,
}

/// Runs the benchmark.
pub fn run(args: &BenchTrainArgs, locations: &Locations) -> Result<()> {
    ensure!(
        !args.backend.is_empty(),
        "--backend needs at least one backend"
    );
    if let Some(other) = args
        .backend
        .iter()
        .find(|b| !["flex", "ndarray"].contains(&b.as_str()))
    {
        bail!("--backend {other}: expected flex or ndarray");
    }
    let log = StageLog::start("bench", "loading xquad-r question-answer pairs");
    let pairs = super::bench::xquad_pairs(locations)?;
    let needed = args.steps * BATCH_PAIRS;
    ensure!(
        pairs.len() >= needed,
        "--steps {}: XQuAD-R has {} pairs, enough for {} batches of {BATCH_PAIRS}",
        args.steps,
        pairs.len(),
        pairs.len() / BATCH_PAIRS
    );
    log.note(&format!("training the tokenizer on {} pairs", pairs.len()));
    let texts = pairs.iter().flat_map(|(q, a)| [q, a]);
    let tokenizer = TextTokenizer::train(texts, 8000, ANSWER_MAX)?;
    let batches = token_batches(&pairs, &tokenizer, args.steps, args.seed)?;
    let config = encoder_config(&tokenizer);
    if let Some(dir) = &args.export {
        export(dir, &config, &batches, args.seed)?;
        log.note(&format!("wrote {}", dir.display()));
    }

    let tokens: usize = batches
        .iter()
        .map(|b| {
            b.questions
                .iter()
                .chain(&b.answers)
                .map(Vec::len)
                .sum::<usize>()
        })
        .sum();
    let padded_tokens: usize = batches
        .iter()
        .map(|b| padded(&b.questions) + padded(&b.answers))
        .sum();
    let gflop = |buckets| {
        batches
            .iter()
            .map(|b| training_flops(&config, b, buckets))
            .sum::<f64>()
            / 1e9
    };
    let (gflop_per_pass, executed_gflop_per_pass) = (gflop(1), gflop(args.length_buckets));
    let mut results = Vec::new();
    for backend in &args.backend {
        let result = match backend.as_str() {
            "flex" => measure::<burn::backend::Autodiff<FlexBackend>>(
                "flex", &config, &batches, args, &log,
            )?,
            "ndarray" => measure::<burn::backend::Autodiff<NdArrayBackend>>(
                "ndarray", &config, &batches, args, &log,
            )?,
            other => bail!("--backend {other}: expected flex or ndarray"),
        };
        results.push(finish(
            result,
            batches.len(),
            tokens,
            executed_gflop_per_pass,
        ));
    }
    let report = Report {
        encoder: format!(
            "BERT family from scratch, {LAYERS} layers, width {HIDDEN}, {HEADS} heads, FFN \
             {INTERMEDIATE}, dropout 0.1, mean pooling, L2 norm, vocab {}",
            config.vocab_size
        ),
        optimisation: format!(
            "InfoNCE (temperature {TEMPERATURE}) + AdamW (lr {LEARNING_RATE}, weight decay \
             {WEIGHT_DECAY}), global-norm clipping {MAX_GRAD_NORM}"
        ),
        batches: batches.len(),
        batch_pairs: BATCH_PAIRS,
        question_max: QUESTION_MAX,
        answer_max: ANSWER_MAX,
        tokens,
        padded_tokens,
        gflop_per_pass,
        length_buckets: args.length_buckets,
        executed_gflop_per_pass,
        warmup_steps: args.warmup,
        repeats: args.repeats,
        seed: args.seed,
        cpus: cpus(),
        backends: results,
    };
    print_table(&report);
    if let Some(path) = &args.json {
        write_json(path, &report)?;
        log.note(&format!("wrote {}", path.display()));
    }
    Ok(())
}

/// The benchmarked encoder: BERT family (positions 0..len, as `transformers.BertModel`), sized
/// to the tokenizer.
fn encoder_config(tokenizer: &TextTokenizer) -> EncoderConfig {
    let mut config = EncoderConfig::new(
        ModelFamily::Bert,
        tokenizer.vocab_size(),
        HIDDEN,
        LAYERS,
        HEADS,
        INTERMEDIATE,
        ANSWER_MAX,
    );
    config.pad_token_id = tokenizer.pad_id();
    config.pooling = PoolingMode::Mean;
    config.normalize = true;
    config
}

/// `steps` batches of [`BATCH_PAIRS`] pairs, shuffled from `seed`, tokenized with questions
/// cut to [`QUESTION_MAX`] tokens.
fn token_batches(
    pairs: &[(String, String)],
    tokenizer: &TextTokenizer,
    steps: usize,
    seed: u64,
) -> Result<Vec<TokenBatch>> {
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    let mut state = seed;
    for i in (1..order.len()).rev() {
        state = splitmix64(state);
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    order
        .chunks_exact(BATCH_PAIRS)
        .take(steps)
        .map(|chunk| {
            let mut batch = TokenBatch {
                questions: Vec::with_capacity(BATCH_PAIRS),
                answers: Vec::with_capacity(BATCH_PAIRS),
            };
            for &i in chunk {
                let mut question = tokenizer.encode(&pairs[i].0)?;
                question.truncate(QUESTION_MAX);
                batch.questions.push(question);
                batch.answers.push(tokenizer.encode(&pairs[i].1)?);
            }
            Ok(batch)
        })
        .collect()
}

/// Tokens of `sequences` padded to the longest.
fn padded(sequences: &[Vec<u32>]) -> usize {
    sequences.len() * sequences.iter().map(Vec::len).max().unwrap_or(0)
}

/// Floating-point operations of the matrix products of one encoder forward pass over
/// `rows` sequences padded to `len` tokens: per layer the Q, K, V and output projections
/// (4·len·h²), the feed-forward pair (2·len·h·f) and attention scores and context
/// (2·len²·h), each a multiply-add (2 FLOPs).
pub fn forward_flops(config: &EncoderConfig, rows: usize, len: usize) -> f64 {
    let (h, f, l) = (
        config.hidden_size as f64,
        config.intermediate_size as f64,
        len as f64,
    );
    let per_layer = 2.0 * (4.0 * l * h * h + 2.0 * l * h * f + 2.0 * l * l * h);
    rows as f64 * per_layer * config.num_hidden_layers as f64
}

/// FLOPs of one training step on `batch` with each side run as `buckets` length groups
/// (1: one padded batch per side): forward of both sides on the padded shapes, the
/// similarity matrix, and a backward pass counted as twice the forward.
fn training_flops(config: &EncoderConfig, batch: &TokenBatch, buckets: usize) -> f64 {
    let side = |s: &[Vec<u32>]| {
        length_buckets(s, buckets)
            .iter()
            .map(|group| {
                let len = group.iter().map(|&i| s[i].len()).max().unwrap_or(0);
                forward_flops(config, group.len(), len)
            })
            .sum::<f64>()
    };
    let similarity =
        2.0 * (batch.questions.len() * batch.answers.len() * config.hidden_size) as f64;
    3.0 * (side(&batch.questions) + side(&batch.answers) + similarity)
}

/// Raw timings of one backend, before derived rates.
struct Measured {
    backend: &'static str,
    pass_seconds: Vec<f64>,
    gemm_peak_gflops: f64,
    first_loss: f64,
    peak_rss_mib: Option<f64>,
}

/// Trains on backend `B`: warm-up steps, then timed passes over all batches.
fn measure<B: AutodiffBackend>(
    name: &'static str,
    config: &EncoderConfig,
    batches: &[TokenBatch],
    args: &BenchTrainArgs,
    log: &StageLog,
) -> Result<Measured> {
    let device = B::Device::default();
    B::seed(&device, args.seed);
    let mut model = Encoder::<B>::init(config, args.seed, &device)?;
    let mut optimizer = adamw(WEIGHT_DECAY).init::<B, Encoder<B>>();
    let loss_config = InfoNceConfig {
        temperature: TEMPERATURE,
        symmetric: false,
    };
    let mut step = |model: Encoder<B>, batch: &TokenBatch| -> Result<(Encoder<B>, f64)> {
        let loss = ids_loss(
            &model,
            &batch.questions,
            &batch.answers,
            args.length_buckets,
            &loss_config,
            &device,
        )?;
        let value = loss.clone().into_scalar().elem::<f64>();
        let mut grads = GradientsParams::from_grads(loss.backward(), &model);
        clip_global_norm::<B, _>(&model, &mut grads, MAX_GRAD_NORM);
        Ok((optimizer.step(LEARNING_RATE, model, grads), value))
    };
    log.note(&format!("{name}: {} warm-up steps", args.warmup));
    let mut first_loss = f64::NAN;
    for (i, batch) in batches.iter().cycle().take(args.warmup.max(1)).enumerate() {
        let (m, loss) = step(model, batch)?;
        model = m;
        if i == 0 {
            first_loss = loss;
        }
    }
    reset_peak_rss();
    let mut pass_seconds = Vec::new();
    for repeat in 1..=args.repeats {
        let started = Instant::now();
        for batch in batches {
            model = step(model, batch)?.0;
        }
        let elapsed = started.elapsed().as_secs_f64();
        log.note(&format!(
            "{name}: pass {repeat}/{} ({} steps) took {elapsed:.2}s",
            args.repeats,
            batches.len()
        ));
        pass_seconds.push(elapsed);
    }
    let peak_rss_mib = peak_rss_mib();
    drop(model);
    log.note(&format!("{name}: GEMM peak ({GEMM_N}³ f32 product)"));
    let gemm_peak_gflops = gemm_peak_gflops::<B::InnerBackend>(GEMM_N, 5, &device);
    Ok(Measured {
        backend: name,
        pass_seconds,
        gemm_peak_gflops,
        first_loss,
        peak_rss_mib,
    })
}

/// Rates of one backend from its pass times.
fn finish(m: Measured, steps: usize, tokens: usize, gflop_per_pass: f64) -> BackendResult {
    let seconds = Spread::of(&m.pass_seconds);
    let gflops = seconds.inverse(gflop_per_pass);
    BackendResult {
        backend: m.backend,
        steps_per_s: seconds.inverse(steps as f64),
        pairs_per_s: seconds.inverse((steps * BATCH_PAIRS) as f64),
        tokens_per_s: seconds.inverse(tokens as f64),
        fraction_of_peak: gflops.median / m.gemm_peak_gflops,
        gflops,
        gemm_peak_gflops: m.gemm_peak_gflops,
        first_loss: m.first_loss,
        peak_rss_mib: m.peak_rss_mib,
        pass_seconds: m.pass_seconds,
    }
}

/// Writes the initial weights (`DIR/model/`, Hugging Face layout) and the batches with the
/// benchmark's settings (`DIR/batches.json`) for the PyTorch reference.
fn export(dir: &Path, config: &EncoderConfig, batches: &[TokenBatch], seed: u64) -> Result<()> {
    let model = Encoder::<FlexBackend>::init(config, seed, &Default::default())?;
    save_hf_dir(&model, &dir.join("model"), None)
        .with_context(|| format!("--export {}", dir.display()))?;
    let json = serde_json::json!({
        "learning_rate": LEARNING_RATE,
        "weight_decay": WEIGHT_DECAY,
        "max_grad_norm": MAX_GRAD_NORM,
        "temperature": TEMPERATURE,
        "pad_token_id": config.pad_token_id,
        "batches": batches,
    });
    write_json(&dir.join("batches.json"), &json)
}

fn print_table(report: &Report) {
    println!(
        "training throughput: {} batches of {} XQuAD-R pairs (questions ≤ {}, answers ≤ {} \
         tokens), {} tokens ({} with padding), {:.1} model GFLOP per pass padded, {:.1} \
         executed with {} length bucket(s) per side",
        report.batches,
        report.batch_pairs,
        report.question_max,
        report.answer_max,
        report.tokens,
        report.padded_tokens,
        report.gflop_per_pass,
        report.executed_gflop_per_pass,
        report.length_buckets
    );
    println!("encoder: {}", report.encoder);
    println!("optimisation: {}", report.optimisation);
    println!(
        "seed {}, {} CPU cores, {} warm-up steps, {} timed passes\n",
        report.seed, report.cpus, report.warmup_steps, report.repeats
    );
    println!("| backend | steps/s (min / median / max) | pairs/s | tokens/s | GFLOP/s | GEMM peak GFLOP/s | of peak | peak RSS MiB | first loss |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for b in &report.backends {
        println!(
            "| {} | {:.3} / {:.3} / {:.3} | {:.1} | {:.0} | {:.1} | {:.1} | {:.0}% | {} | {:.4} |",
            b.backend,
            b.steps_per_s.min,
            b.steps_per_s.median,
            b.steps_per_s.max,
            b.pairs_per_s.median,
            b.tokens_per_s.median,
            b.gflops.median,
            b.gemm_peak_gflops,
            100.0 * b.fraction_of_peak,
            b.peak_rss_mib.map_or("n/a".into(), |m| format!("{m:.0}")),
            b.first_loss
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_flops_count_projections_ffn_and_attention() {
        let mut config = EncoderConfig::new(ModelFamily::Bert, 100, 4, 2, 2, 8, 16);
        config.intermediate_size = 8;
        // Per layer and sequence of 3 tokens: 2·(4·3·16 + 2·3·4·8 + 2·9·4) = 2·(192 + 192 + 72).
        assert_eq!(forward_flops(&config, 1, 3), 2.0 * 2.0 * 456.0);
        assert_eq!(forward_flops(&config, 5, 3), 5.0 * 2.0 * 2.0 * 456.0);
    }

    #[test]
    fn training_flops_use_the_padded_length_of_each_side() {
        let config = EncoderConfig::new(ModelFamily::Bert, 100, 4, 1, 2, 8, 16);
        let batch = TokenBatch {
            questions: vec![vec![1, 2], vec![1]],
            answers: vec![vec![1, 2, 3], vec![1]],
        };
        let expected = 3.0
            * (forward_flops(&config, 2, 2) + forward_flops(&config, 2, 3) + 2.0 * 2.0 * 2.0 * 4.0);
        assert_eq!(training_flops(&config, &batch, 1), expected);
        // Two buckets per side: every sequence runs at its own length.
        let bucketed = 3.0
            * (forward_flops(&config, 1, 2)
                + forward_flops(&config, 1, 1)
                + forward_flops(&config, 1, 3)
                + forward_flops(&config, 1, 1)
                + 2.0 * 2.0 * 2.0 * 4.0);
        assert_eq!(training_flops(&config, &batch, 2), bucketed);
        assert_eq!(padded(&batch.answers), 6);
    }
}
