//! Encode throughput of a small from-scratch encoder on burn-flex and burn-ndarray, measured
//! on the XQuAD-R English candidate sentences in one run (`hbt bench encode`).
//!
//! Method: the tokenizer (byte-level BPE, vocab 8000, max_len 128) is trained on the very
//! sentences being encoded; the encoder (XLM-R family, 4 layers, width 256, 4 heads, FFN 1024,
//! mean pooling) is initialised from a fixed seed, identically on both backends, and run
//! through `hbt_model::encode`, the function evaluation embeds with. Each backend gets one
//! untimed warm-up pass over all sentences, then `repeats` timed passes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use burn::tensor::backend::Backend;
use hbt_data::tokenize::TextTokenizer;
use hbt_model::backend::{FlexBackend, NdArrayBackend};
use hbt_model::{encode, save_hf_dir, Encoder, EncoderConfig};
use hbt_pipeline::{Locations, Progress, StageLog};
use hbt_schema::{BackendKind, TextRole};
use serde::Serialize;

use crate::files::{write_f32_le, write_json};
use crate::measure::{cpus, Spread};
use crate::shape::BenchShape;
use crate::xquad::{self, DATASET, MAX_LEN, VOCAB_SIZE};

/// The language whose candidate sentences are encoded.
const LANGUAGE: &str = "en";

/// What to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Timed passes per backend, after one untimed warm-up pass (at least 1).
    pub repeats: usize,
    /// Sentences per encoder batch (at least 1).
    pub batch_size: usize,
    /// Encode only the first N sentences (the tokenizer is still trained on all of them).
    pub limit: Option<usize>,
    /// Seed of the encoder's initialisation.
    pub seed: u64,
    /// Write the encoder (Hugging Face folder), the token ids and flex's embeddings here for
    /// `scripts/bench/torch_bench.py encode DIR`.
    pub export: Option<PathBuf>,
    /// Measure burn-flex only (skip burn-ndarray).
    pub flex_only: bool,
    /// The encoder's sizes.
    pub shape: BenchShape,
}

/// Timings of one backend.
#[derive(Debug, Clone, Serialize)]
pub struct BackendTimings {
    /// The backend measured.
    pub backend: BackendKind,
    /// Seconds of each timed pass, in run order.
    pub seconds: Vec<f64>,
    /// Fastest pass, seconds.
    pub min_s: f64,
    /// Median pass, seconds.
    pub median_s: f64,
    /// Slowest pass, seconds.
    pub max_s: f64,
    /// Sentences per second at the median pass time.
    pub sentences_per_s: f64,
    /// Non-padding tokens per second at the median pass time.
    pub tokens_per_s: f64,
}

/// Everything the benchmark reports (the `--json` file, fields in this order).
#[derive(Debug, Clone, Serialize)]
pub struct EncodeReport {
    /// The dataset encoded.
    pub dataset: &'static str,
    /// The language of its candidates encoded.
    pub language: &'static str,
    /// Sentences encoded per pass.
    pub sentences: usize,
    /// Their non-padding tokens.
    pub tokens: usize,
    /// How the tokenizer was made.
    pub tokenizer: String,
    /// The encoder's sizes.
    pub encoder: String,
    /// Seed of the initialisation.
    pub seed: u64,
    /// CPU cores the process may use (both backends parallelise over them).
    pub cpus: usize,
    /// Sentences per encoder batch.
    pub batch_size: usize,
    /// Untimed passes per backend.
    pub warmup_passes: usize,
    /// Timed passes per backend.
    pub repeats: usize,
    /// One entry per backend measured, flex first.
    pub backends: Vec<BackendTimings>,
    /// Median sentences/s of flex divided by that of ndarray (when both ran).
    pub ratio_flex_over_ndarray: Option<f64>,
    /// Largest absolute difference between the two backends' embeddings (when both ran).
    pub max_abs_diff: Option<f64>,
}

impl EncodeReport {
    /// Writes the report as pretty JSON (the `--json` file).
    pub fn write_json(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
}

/// Runs the benchmark: loads the sentences, trains the tokenizer, measures flex (and
/// ndarray unless `flex_only`), and writes the export when asked.
pub fn run(
    options: &EncodeOptions,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<EncodeReport> {
    ensure!(options.repeats >= 1, "--repeats must be at least 1");
    ensure!(options.batch_size >= 1, "--batch-size must be at least 1");
    let log = StageLog::start(
        progress,
        "bench",
        &format!("loading {DATASET} {LANGUAGE} candidates"),
    );
    let texts = xquad::candidates(LANGUAGE, locations, progress)?;
    let sentences = &texts[..options.limit.map_or(texts.len(), |l| l.min(texts.len()))];
    ensure!(
        !sentences.is_empty(),
        "--limit 0 leaves no sentence to encode"
    );

    log.note(&format!(
        "training the tokenizer on the {} {LANGUAGE} candidates",
        texts.len()
    ));
    let tokenizer = TextTokenizer::train(texts.iter(), VOCAB_SIZE, MAX_LEN)?;
    let sequences = sentences
        .iter()
        .map(|s| tokenizer.encode_as(TextRole::Passage, s))
        .collect::<hbt_data::Result<Vec<_>>>()?;
    let tokens: usize = sequences.iter().map(Vec::len).sum();
    let config = xquad::xlmr_config(&tokenizer, options.shape);

    let mut backends = Vec::new();
    let (flex, flex_timings, flex_embeddings) = measure_backend::<FlexBackend>(
        BackendKind::Flex,
        &config,
        &sequences,
        options,
        tokens,
        &log,
    )?;
    backends.push(flex_timings);
    if let Some(dir) = &options.export {
        export(
            dir,
            &flex,
            &sequences,
            &flex_embeddings,
            options.batch_size,
            &tokenizer,
        )?;
        log.note(&format!("wrote {}", dir.display()));
    }
    let mut ndarray_embeddings = None;
    if !options.flex_only {
        let (_, timings, embeddings) = measure_backend::<NdArrayBackend>(
            BackendKind::NdArray,
            &config,
            &sequences,
            options,
            tokens,
            &log,
        )?;
        backends.push(timings);
        ndarray_embeddings = Some(embeddings);
    }

    Ok(EncodeReport {
        dataset: DATASET,
        language: LANGUAGE,
        sentences: sequences.len(),
        tokens,
        tokenizer: format!(
            "byte-level BPE, vocab {} (asked {VOCAB_SIZE}), max_len {MAX_LEN}, trained on the \
             {} {DATASET} {LANGUAGE} candidates themselves",
            tokenizer.vocab_size(),
            texts.len()
        ),
        encoder: format!(
            "XLM-R family from scratch, {}, mean pooling",
            options.shape.describe(config.vocab_size)
        ),
        seed: options.seed,
        cpus: cpus(),
        batch_size: options.batch_size,
        warmup_passes: 1,
        repeats: options.repeats,
        ratio_flex_over_ndarray: backends
            .get(1)
            .map(|n| backends[0].sentences_per_s / n.sentences_per_s),
        max_abs_diff: ndarray_embeddings.map(|n| max_abs_diff(&flex_embeddings, &n)),
        backends,
    })
}

/// Writes the encoder (`DIR/model/`), the token ids with the batch size (`sequences.json`)
/// and the embeddings (`embeddings.f32`, little-endian rows) for the PyTorch reference.
fn export(
    dir: &Path,
    model: &Encoder<FlexBackend>,
    sequences: &[Vec<u32>],
    embeddings: &[Vec<f32>],
    batch_size: usize,
    tokenizer: &TextTokenizer,
) -> Result<()> {
    save_hf_dir(model, &dir.join("model"), None)
        .with_context(|| format!("--export {}", dir.display()))?;
    let json = serde_json::json!({
        "sequences": sequences, "batch_size": batch_size, "pad_token_id": tokenizer.pad_id(),
    });
    write_json(&dir.join("sequences.json"), &json)?;
    write_f32_le(&dir.join("embeddings.f32"), embeddings.iter().flatten())
}

/// Initialises the encoder on backend `B` from the seed and measures encoding all
/// `sequences` with it: one untimed warm-up pass, then `options.repeats` timed passes.
/// Returns the encoder, the timings and the embeddings of the warm-up pass.
fn measure_backend<B: Backend>(
    backend: BackendKind,
    config: &EncoderConfig,
    sequences: &[Vec<u32>],
    options: &EncodeOptions,
    tokens: usize,
    log: &StageLog,
) -> Result<(Encoder<B>, BackendTimings, Vec<Vec<f32>>)> {
    log.note(&format!("{backend}: initialising the encoder"));
    let device = B::Device::default();
    let model = Encoder::<B>::init(config, options.seed, &device)?;
    let pass = || {
        encode(&model, sequences, options.batch_size, &device)
            .with_context(|| format!("encoding on {backend}"))
    };
    log.note(&format!("{backend}: warm-up pass"));
    let embeddings = pass()?;
    let mut seconds = Vec::with_capacity(options.repeats);
    for repeat in 1..=options.repeats {
        let started = Instant::now();
        let out = pass()?;
        let elapsed = started.elapsed().as_secs_f64();
        ensure!(
            out.len() == embeddings.len(),
            "{backend} returned {} embeddings for {} sentences",
            out.len(),
            embeddings.len()
        );
        log.note(&format!(
            "{backend}: pass {repeat}/{} took {elapsed:.3}s",
            options.repeats
        ));
        seconds.push(elapsed);
    }
    let spread = Spread::of(&seconds);
    let timings = BackendTimings {
        backend,
        min_s: spread.min,
        median_s: spread.median,
        max_s: spread.max,
        sentences_per_s: embeddings.len() as f64 / spread.median,
        tokens_per_s: tokens as f64 / spread.median,
        seconds,
    };
    Ok((model, timings, embeddings))
}

/// Largest absolute difference between two sets of embeddings.
fn max_abs_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| f64::from((p - q).abs())))
        .fold(0.0, f64::max)
}

/// The table `hbt bench encode` prints.
impl fmt::Display for EncodeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "encode throughput: {} {} candidates, {} sentences, {} tokens",
            self.dataset, self.language, self.sentences, self.tokens
        )?;
        writeln!(f, "encoder: {}", self.encoder)?;
        writeln!(f, "tokenizer: {}", self.tokenizer)?;
        writeln!(
            f,
            "seed {}, batch size {}, {} CPU cores, {} warm-up pass, {} timed pass{}\n",
            self.seed,
            self.batch_size,
            self.cpus,
            self.warmup_passes,
            self.repeats,
            if self.repeats == 1 { "" } else { "es" }
        )?;
        writeln!(
            f,
            "| backend | min s | median s | max s | sentences/s | tokens/s |"
        )?;
        writeln!(
            f,
            "|---------|-------|----------|-------|-------------|----------|"
        )?;
        for b in &self.backends {
            writeln!(
                f,
                "| {} | {:.3} | {:.3} | {:.3} | {:.1} | {:.0} |",
                b.backend, b.min_s, b.median_s, b.max_s, b.sentences_per_s, b.tokens_per_s
            )?;
        }
        if let (Some(ratio), Some(diff)) = (self.ratio_flex_over_ndarray, self.max_abs_diff) {
            writeln!(f, "\nflex / ndarray (median sentences/s): {ratio:.2}x")?;
            writeln!(
                f,
                "largest |flex - ndarray| embedding difference: {diff:.2e}"
            )?;
        }
        Ok(())
    }
}
