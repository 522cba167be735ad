//! `hbt bench eval`: time and peak memory of a full XQuAD-R evaluation (11 languages: mono,
//! 110 cross pairs and the 13,090 × 13,014 multilingual pool) with a 256-wide encoder, split
//! into encoding and search + metrics, beside a reference measured in the same run: one plain
//! matrix product of all questions against the whole pool on the same backend (the least work
//! any exact multilingual search must do).
//!
//! Peak memory is the process's peak resident set (`VmHWM`), reset before each phase through
//! `/proc/self/clear_refs`, so each phase reports its own peak.

use std::time::Instant;

use anyhow::{Context, Result};
use burn::tensor::{Tensor, TensorData};
use hbt_data::squad::SentenceSource;
use hbt_data::tokenize::TextTokenizer;
use hbt_eval::{evaluate_qa, DenseQa, Embeddings, SearchOptions};
use hbt_model::backend::FlexBackend;
use hbt_model::Encoder;

use super::bench::encoder_config;
use crate::cli::BenchEvalArgs;
use crate::locations::Locations;
use crate::progress::StageLog;
use crate::stages::data::{load_eval_task, EvalTask};
use crate::stages::eval::{EvalSettings, Ranker};

type B = FlexBackend;

/// Peak resident memory of this process in MiB since the last reset (Linux; None elsewhere).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets the peak resident memory to the current one (Linux ≥ 4.0).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Runs the benchmark.
pub fn run(args: &BenchEvalArgs, locations: &Locations) -> Result<()> {
    let log = StageLog::start("bench", "loading xquad-r");
    let (task, _) = load_eval_task("xquad-r", SentenceSource::ShippedOrSplitter, locations)?;
    let EvalTask::Qa(task) = task else {
        anyhow::bail!("xquad-r is not a QA task")
    };
    let mut texts = Vec::new();
    for (lang, pool) in &task.pools {
        texts.extend(pool.questions.iter().map(|q| q.text.clone()));
        texts.extend((0..pool.candidates.len()).map(|i| task.candidate_text(*lang, i, false)));
    }
    log.note(&format!(
        "training the tokenizer on the {} texts",
        texts.len()
    ));
    let tokenizer = TextTokenizer::train(texts.iter(), 8000, 128)?;
    let device = Default::default();
    let model = Encoder::<B>::init(&encoder_config(&tokenizer), args.seed, &device)?;
    let ranker = Ranker::Dense {
        model: &model,
        tokenizer: &tokenizer,
    };
    let settings = EvalSettings {
        batch_size: args.batch_size,
        search: SearchOptions {
            block_size: args.block,
            top_k: 0,
        },
        trec: false,
        candidate_context: false,
    };

    reset_peak_rss();
    let base = peak_rss_mib();
    log.note("encoding every language's questions and candidates");
    let started = Instant::now();
    let embeddings = ranker.embed_qa(&task, &settings, &device)?;
    let encode_s = started.elapsed().as_secs_f64();
    let encode_peak = peak_rss_mib();

    reset_peak_rss();
    log.note("searching mono, cross and multi, computing every metric");
    let started = Instant::now();
    let scoring = DenseQa::<B>::new(&task, &embeddings, &device)?;
    let result = evaluate_qa(&task, &scoring, &[], &settings.search, &mut |_| {})?;
    let search_s = started.elapsed().as_secs_f64();
    let search_peak = peak_rss_mib();

    reset_peak_rss();
    log.note("reference: one matrix product of all questions against the whole pool");
    let questions = Embeddings::concat(embeddings.questions.values())?;
    let pool = Embeddings::concat(embeddings.candidates.values())?;
    let started = Instant::now();
    let q = Tensor::<B, 2>::from_data(
        TensorData::new(
            questions.as_slice().to_vec(),
            [questions.rows(), questions.dim()],
        ),
        &device,
    );
    let p = Tensor::<B, 2>::from_data(
        TensorData::new(pool.as_slice().to_vec(), [pool.rows(), pool.dim()]),
        &device,
    );
    let scores = q.matmul(p.transpose()).into_data();
    let matmul_s = started.elapsed().as_secs_f64();
    let matmul_peak = peak_rss_mib();
    drop(scores);

    let sentences: usize = task
        .pools
        .values()
        .map(|p| p.questions.len() + p.candidates.len())
        .sum();
    let fmt = |m: Option<f64>| m.map_or("n/a".into(), |m| format!("{m:.0}"));
    println!("| phase | seconds | peak RSS MiB |");
    println!("|---|---|---|");
    println!(
        "| encode {sentences} texts (4 layers, width 256, batch {}) | {encode_s:.1} | {} |",
        args.batch_size,
        fmt(encode_peak)
    );
    println!(
        "| search + metrics: mono, {} cross pairs, multi {} × {} (block {}) | {search_s:.2} | {} |",
        result.metrics.cross.as_ref().map_or(0, |c| c.pairs.len()),
        questions.rows(),
        pool.rows(),
        args.block,
        fmt(search_peak)
    );
    println!(
        "| reference: one {} × {} × {} matrix product (scores kept) | {matmul_s:.2} | {} |",
        questions.rows(),
        pool.rows(),
        pool.dim(),
        fmt(matmul_peak)
    );
    println!(
        "\nsearch + metrics / reference product: {:.2}×; process baseline before encoding {} MiB; encode {:.0} texts/s",
        search_s / matmul_s,
        fmt(base),
        sentences as f64 / encode_s
    );
    if let Some(path) = &args.json {
        let json = serde_json::json!({
            "texts": sentences, "encode_s": encode_s, "encode_peak_rss_mib": encode_peak,
            "search_metrics_s": search_s, "search_peak_rss_mib": search_peak,
            "reference_matmul_s": matmul_s, "reference_peak_rss_mib": matmul_peak,
            "block": args.block, "batch_size": args.batch_size, "seed": args.seed,
        });
        crate::run_dir::write_atomic(path, serde_json::to_string_pretty(&json)?.as_bytes())
            .context("--json")?;
    }
    Ok(())
}
