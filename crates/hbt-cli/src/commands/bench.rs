//! `hbt bench encode`: encode throughput of a small from-scratch encoder on burn-flex and
//! burn-ndarray, measured on the XQuAD-R English candidate sentences in one run.
//!
//! Method: the tokenizer (byte-level BPE, vocab 8000, max_len 128) is trained on the very
//! sentences being encoded; the encoder (XLM-R family, 4 layers, width 256, 4 heads, FFN 1024,
//! mean pooling) is initialised from a fixed seed, identically on both backends. Each backend
//! gets one untimed warm-up pass over all sentences, then `--repeats` timed passes.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use burn::tensor::backend::Backend;
use hbt_data::lareqa::read_lareqa_dir;
use hbt_data::squad::SentenceSource;
use hbt_data::task::QaTask;
use hbt_data::tokenize::TextTokenizer;
use hbt_data::Lang;
use hbt_model::backend::{FlexBackend, NdArrayBackend};
use hbt_model::{encode, save_hf_dir, Encoder, EncoderConfig, ModelFamily, PoolingMode};
use serde::Serialize;

use super::bench_util::{cpus, write_f32_le, write_json, Spread};

use crate::cli::{BenchCommand, BenchEncodeArgs};
use crate::datasets::{self, SourceKind};
use crate::locations::Locations;
use crate::progress::StageLog;
use crate::stages::data::{load_eval_task, EvalTask};

/// The dataset and language whose candidate sentences are encoded.
const DATASET: &str = "xquad-r";
const LANGUAGE: &str = "en";
/// Tokenizer size and truncation length.
const VOCAB_SIZE: usize = 8000;
const MAX_LEN: usize = 128;
/// Encoder sizes of every CPU benchmark: layers, width, heads, feed-forward width.
pub(crate) const LAYERS: usize = 4;
pub(crate) const HIDDEN: usize = 256;
pub(crate) const HEADS: usize = 4;
pub(crate) const INTERMEDIATE: usize = 1024;

/// Runs one `hbt bench` subcommand.
pub fn run(command: BenchCommand, locations: &Locations) -> Result<()> {
    match command {
        BenchCommand::Encode(args) => bench_encode(&args, locations),
        BenchCommand::Eval(args) => super::bench_eval::run(&args, locations),
        BenchCommand::Train(args) => super::bench_train::run(&args, locations),
    }
}

/// Timings of one backend.
#[derive(Debug, Serialize)]
struct BackendResult {
    backend: &'static str,
    /// Seconds of each timed pass, in run order.
    seconds: Vec<f64>,
    min_s: f64,
    median_s: f64,
    max_s: f64,
    /// Sentences per second at the median pass time.
    sentences_per_s: f64,
    /// Non-padding tokens per second at the median pass time.
    tokens_per_s: f64,
}

/// Everything the benchmark reports (the `--json` file).
#[derive(Debug, Serialize)]
struct Report {
    dataset: &'static str,
    language: &'static str,
    sentences: usize,
    tokens: usize,
    tokenizer: String,
    encoder: String,
    seed: u64,
    /// CPU cores the process may use (both backends parallelise over them).
    cpus: usize,
    batch_size: usize,
    warmup_passes: usize,
    repeats: usize,
    backends: Vec<BackendResult>,
    /// Median sentences/s of flex divided by that of ndarray (when both ran).
    ratio_flex_over_ndarray: Option<f64>,
    /// Largest absolute difference between the two backends' embeddings (when both ran).
    max_abs_diff: Option<f64>,
}

fn bench_encode(args: &BenchEncodeArgs, locations: &Locations) -> Result<()> {
    ensure!(args.repeats >= 1, "--repeats must be at least 1");
    ensure!(args.batch_size >= 1, "--batch-size must be at least 1");
    let log = StageLog::start("bench", &format!("loading {DATASET} {LANGUAGE} candidates"));
    let texts = english_candidates(locations)?;
    let sentences: Vec<&str> = match args.limit {
        Some(limit) => texts.iter().take(limit).map(String::as_str).collect(),
        None => texts.iter().map(String::as_str).collect(),
    };
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
        .map(|s| tokenizer.encode(s))
        .collect::<hbt_data::Result<Vec<_>>>()?;
    let tokens: usize = sequences.iter().map(Vec::len).sum();
    let config = encoder_config(&tokenizer);

    let mut backends = Vec::new();
    let (flex, flex_result, flex_embeddings) =
        measure_backend::<FlexBackend>("flex", &config, &sequences, args, tokens, &log)?;
    backends.push(flex_result);
    if let Some(dir) = &args.export {
        export(
            dir,
            &flex,
            &sequences,
            &flex_embeddings,
            args.batch_size,
            &tokenizer,
        )?;
        log.note(&format!("wrote {}", dir.display()));
    }
    let mut ndarray_embeddings = None;
    if !args.flex_only {
        let (_, result, embeddings) =
            measure_backend::<NdArrayBackend>("ndarray", &config, &sequences, args, tokens, &log)?;
        backends.push(result);
        ndarray_embeddings = Some(embeddings);
    }

    let report = Report {
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
            "XLM-R family from scratch, {LAYERS} layers, width {HIDDEN}, {HEADS} heads, \
             FFN {INTERMEDIATE}, mean pooling"
        ),
        seed: args.seed,
        cpus: cpus(),
        batch_size: args.batch_size,
        warmup_passes: 1,
        repeats: args.repeats,
        ratio_flex_over_ndarray: backends
            .get(1)
            .map(|n| backends[0].sentences_per_s / n.sentences_per_s),
        max_abs_diff: ndarray_embeddings.map(|n| max_abs_diff(&flex_embeddings, &n)),
        backends,
    };
    print_table(&report);
    if let Some(path) = &args.json {
        write_json(path, &report)?;
        log.note(&format!("wrote {}", path.display()));
    }
    Ok(())
}

/// XQuAD-R as a question-answer task (all 11 languages, shipped sentences).
pub(crate) fn xquad_task(locations: &Locations) -> Result<QaTask> {
    let (task, _) = load_eval_task(DATASET, SentenceSource::ShippedOrSplitter, locations)?;
    let EvalTask::Qa(task) = task else {
        bail!("dataset `{DATASET}` is not a question-answer task")
    };
    Ok(task)
}

/// Every XQuAD-R question with the text of its answer sentence, language by language.
pub(crate) fn xquad_pairs(locations: &Locations) -> Result<Vec<(String, String)>> {
    let task = xquad_task(locations)?;
    let mut pairs = Vec::new();
    for (lang, pool) in &task.pools {
        for question in &pool.questions {
            let answer = task.candidate_text(*lang, question.answer, false);
            pairs.push((question.text.clone(), answer));
        }
    }
    Ok(pairs)
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

/// The English candidate sentences of XQuAD-R, in file order.
fn english_candidates(locations: &Locations) -> Result<Vec<String>> {
    let resolved = datasets::resolve(DATASET, locations)?;
    let SourceKind::Lareqa(dir) = &resolved.kind else {
        bail!("dataset `{DATASET}` is not a LAReQA-layout folder");
    };
    let lang = Lang::parse(LANGUAGE)?;
    let dataset = read_lareqa_dir(dir, Some(&[lang]), SentenceSource::ShippedOrSplitter)?;
    let task = dataset.task();
    let pool = task
        .pools
        .get(&lang)
        .with_context(|| format!("{}: no {LANGUAGE} candidates", dir.display()))?;
    Ok(pool.candidates.iter().map(|c| c.text.clone()).collect())
}

/// The benchmarked encoder, sized to the tokenizer (vocabulary, pad id, max_len).
pub(crate) fn encoder_config(tokenizer: &TextTokenizer) -> EncoderConfig {
    let pad_id = tokenizer.pad_id();
    let mut config = EncoderConfig::new(
        ModelFamily::XlmRoberta,
        tokenizer.vocab_size(),
        HIDDEN,
        LAYERS,
        HEADS,
        INTERMEDIATE,
        // XLM-R positions start after the pad id, so the table needs max_len + pad + 1 rows.
        MAX_LEN + pad_id as usize + 1,
    );
    config.pad_token_id = pad_id;
    config.pooling = PoolingMode::Mean;
    config
}

/// Initialises the encoder on backend `B` from the seed and measures encoding all
/// `sequences` with it; returns the encoder, the timings and the embeddings.
fn measure_backend<B: Backend>(
    name: &'static str,
    config: &EncoderConfig,
    sequences: &[Vec<u32>],
    args: &BenchEncodeArgs,
    tokens: usize,
    log: &StageLog,
) -> Result<(Encoder<B>, BackendResult, Vec<Vec<f32>>)> {
    log.note(&format!("{name}: initialising the encoder"));
    let device = B::Device::default();
    let model = Encoder::<B>::init(config, args.seed, &device)?;
    let (result, embeddings) = measure(name, args, tokens, log, || {
        Ok(encode(&model, sequences, args.batch_size, &device)?)
    })?;
    Ok((model, result, embeddings))
}

/// Runs `pass` once untimed, then `args.repeats` timed times; returns the timings and the
/// embeddings of the warm-up pass.
fn measure(
    backend: &'static str,
    args: &BenchEncodeArgs,
    tokens: usize,
    log: &StageLog,
    pass: impl Fn() -> Result<Vec<Vec<f32>>>,
) -> Result<(BackendResult, Vec<Vec<f32>>)> {
    log.note(&format!("{backend}: warm-up pass"));
    let embeddings = pass().with_context(|| format!("encoding on {backend}"))?;
    let mut seconds = Vec::with_capacity(args.repeats);
    for repeat in 1..=args.repeats {
        let started = Instant::now();
        let out = pass().with_context(|| format!("encoding on {backend}"))?;
        let elapsed = started.elapsed().as_secs_f64();
        ensure!(
            out.len() == embeddings.len(),
            "{backend} returned {} embeddings for {} sentences",
            out.len(),
            embeddings.len()
        );
        log.note(&format!(
            "{backend}: pass {repeat}/{} took {elapsed:.3}s",
            args.repeats
        ));
        seconds.push(elapsed);
    }
    let spread = Spread::of(&seconds);
    let median_s = spread.median;
    let result = BackendResult {
        backend,
        min_s: spread.min,
        median_s,
        max_s: spread.max,
        sentences_per_s: embeddings.len() as f64 / median_s,
        tokens_per_s: tokens as f64 / median_s,
        seconds,
    };
    Ok((result, embeddings))
}

fn max_abs_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f64 {
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| f64::from((p - q).abs())))
        .fold(0.0, f64::max)
}

fn print_table(report: &Report) {
    println!(
        "encode throughput: {} {} candidates, {} sentences, {} tokens",
        report.dataset, report.language, report.sentences, report.tokens
    );
    println!("encoder: {}", report.encoder);
    println!("tokenizer: {}", report.tokenizer);
    println!(
        "seed {}, batch size {}, {} CPU cores, {} warm-up pass, {} timed pass{}\n",
        report.seed,
        report.batch_size,
        report.cpus,
        report.warmup_passes,
        report.repeats,
        if report.repeats == 1 { "" } else { "es" }
    );
    println!("| backend | min s | median s | max s | sentences/s | tokens/s |");
    println!("|---------|-------|----------|-------|-------------|----------|");
    for b in &report.backends {
        println!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.1} | {:.0} |",
            b.backend, b.min_s, b.median_s, b.max_s, b.sentences_per_s, b.tokens_per_s
        );
    }
    if let (Some(ratio), Some(diff)) = (report.ratio_flex_over_ndarray, report.max_abs_diff) {
        println!("\nflex / ndarray (median sentences/s): {ratio:.2}x");
        println!("largest |flex - ndarray| embedding difference: {diff:.2e}");
    }
}
