//! `hbt bench eval`: time and peak memory of a full XQuAD-R evaluation (11 languages: mono,
//! 110 cross pairs and the 13,090 × 13,014 multilingual pool) with a 256-wide encoder, split
//! into phases:
//!
//! * encoding every question and candidate (skipped with `--embeddings DIR`);
//! * search + all metrics of all settings (`evaluate_qa`, what `hbt experiment` runs);
//! * search + metrics of the multilingual pool alone, keeping the top 100 of each query: the
//!   same work as `scripts/bench/torch_bench.py search` (a PyTorch matmul + topk);
//! * a reference on the same backend: one plain matrix product of all questions against the
//!   whole pool (the least work any exact multilingual search must do).
//!
//! Search phases run `--repeats` times (min / median / max). Peak memory is the process's peak
//! resident set (`VmHWM`), reset before each phase through `/proc/self/clear_refs`.
//! `--export DIR` writes the embeddings for the PyTorch reference (`questions.f32`,
//! `pool.f32`: little-endian f32 rows, languages in alphabetical order; `embeddings.json`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use burn::tensor::{Tensor, TensorData};
use hbt_data::task::QaTask;
use hbt_data::tokenize::TextTokenizer;
use hbt_eval::{
    evaluate_qa, search, DenseQa, DenseScorer, Embeddings, MetricsSum, QaEmbeddings, QueryMetrics,
    SearchOptions,
};
use hbt_model::backend::FlexBackend;
use hbt_model::Encoder;
use serde::Serialize;

use super::bench::{encoder_config, xquad_task};
use super::bench_util::{peak_rss_mib, reset_peak_rss, write_f32_le, write_json, Spread};
use crate::cli::BenchEvalArgs;
use crate::locations::Locations;
use crate::progress::StageLog;
use crate::stages::eval::{EvalSettings, Ranker};

type B = FlexBackend;

/// Hits kept per query in the multilingual-pool phase (as the PyTorch reference's topk).
const TOP_K: usize = 100;

/// Seconds (one per repeat) and peak memory of one phase.
#[derive(Debug, Serialize)]
struct Phase {
    what: String,
    seconds: Vec<f64>,
    spread_s: Spread,
    peak_rss_mib: Option<f64>,
}

impl Phase {
    /// Runs `work` `repeats` times, resetting the peak memory before the first.
    fn measure(
        what: String,
        repeats: usize,
        mut work: impl FnMut() -> Result<()>,
    ) -> Result<Phase> {
        reset_peak_rss();
        let mut seconds = Vec::with_capacity(repeats);
        for _ in 0..repeats.max(1) {
            let started = Instant::now();
            work()?;
            seconds.push(started.elapsed().as_secs_f64());
        }
        Ok(Phase {
            what,
            spread_s: Spread::of(&seconds),
            seconds,
            peak_rss_mib: peak_rss_mib(),
        })
    }
}

/// Runs the benchmark.
pub fn run(args: &BenchEvalArgs, locations: &Locations) -> Result<()> {
    let log = StageLog::start("bench", "loading xquad-r");
    let task = xquad_task(locations)?;
    let device = Default::default();
    let mut phases = Vec::new();
    let embeddings = match &args.embeddings {
        Some(dir) => {
            log.note(&format!("reading embeddings from {}", dir.display()));
            read_embeddings(dir, &task)?
        }
        None => {
            let (embeddings, phase) = encode(&task, args, &log)?;
            phases.push(phase);
            embeddings
        }
    };
    if let Some(dir) = &args.export {
        export_embeddings(dir, &embeddings, args.block)?;
        log.note(&format!("wrote {}", dir.display()));
    }
    let search_options = SearchOptions {
        block_size: args.block,
        top_k: 0,
    };

    log.note("searching mono, cross and multi, computing every metric");
    let mut cross_pairs = 0;
    phases.push(Phase::measure(
        "search + all metrics: mono, cross pairs, multilingual pool".into(),
        args.repeats,
        || {
            let scoring = DenseQa::<B>::new(&task, &embeddings, &device)?;
            let result = evaluate_qa(&task, &scoring, &[], &search_options, &mut |_| {})?;
            cross_pairs = result.metrics.cross.as_ref().map_or(0, |c| c.pairs.len());
            Ok(())
        },
    )?);

    let questions = Embeddings::concat(embeddings.questions.values())?;
    let pool = Embeddings::concat(embeddings.candidates.values())?;
    let relevant = multilingual_relevance(&task);
    log.note("searching the multilingual pool alone (top 100 kept)");
    let (nq, np, dim) = (questions.rows(), pool.rows(), pool.dim());
    let mut map = 0.0;
    phases.push(Phase::measure(
        format!("multilingual pool {nq} × {np} × {dim}: search, top {TOP_K} + metrics"),
        args.repeats,
        || {
            let mut scorer = DenseScorer::<B>::new(questions.clone(), &pool, &device)?;
            let options = SearchOptions {
                block_size: args.block,
                top_k: TOP_K,
            };
            let ranked = search(&mut scorer, &relevant, &options, "multi", &mut |_| {})?;
            let mut sum = MetricsSum::default();
            for (ranking, rel) in ranked.iter().zip(&relevant) {
                sum.add(QueryMetrics::from_ranks(&ranking.relevant_ranks, rel.len())?.as_ref());
            }
            map = sum.mean().map_or(0.0, |m| m.map);
            Ok(())
        },
    )?);

    log.note("reference: one matrix product of all questions against the whole pool");
    phases.push(Phase::measure(
        format!("reference: one {nq} × {np} × {dim} matrix product (scores kept)"),
        1,
        || {
            let q = Tensor::<B, 2>::from_data(
                TensorData::new(questions.as_slice().to_vec(), [nq, dim]),
                &device,
            );
            let p = Tensor::<B, 2>::from_data(
                TensorData::new(pool.as_slice().to_vec(), [np, dim]),
                &device,
            );
            let scores = q.matmul(p.transpose()).into_data();
            ensure!(
                scores.num_elements() == nq * np,
                "product of the wrong size"
            );
            Ok(())
        },
    )?);

    println!("| phase | seconds (min / median / max) | peak RSS MiB |");
    println!("|---|---|---|");
    for phase in &phases {
        println!(
            "| {} | {:.2} / {:.2} / {:.2} | {} |",
            phase.what,
            phase.spread_s.min,
            phase.spread_s.median,
            phase.spread_s.max,
            phase
                .peak_rss_mib
                .map_or("n/a".into(), |m| format!("{m:.0}"))
        );
    }
    println!("\n{cross_pairs} cross pairs; multilingual-pool mAP {map:.4}");
    if let Some(path) = &args.json {
        let json = serde_json::json!({
            "phases": phases, "cross_pairs": cross_pairs, "multi_map": map,
            "block": args.block, "batch_size": args.batch_size, "seed": args.seed,
        });
        write_json(path, &json).context("--json")?;
    }
    Ok(())
}

/// Encodes every question and candidate with a from-scratch encoder (tokenizer trained on the
/// texts themselves); the phase is timed once.
fn encode(task: &QaTask, args: &BenchEvalArgs, log: &StageLog) -> Result<(QaEmbeddings, Phase)> {
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
        search: SearchOptions::default(),
        trec: false,
        candidate_context: false,
    };
    log.note("encoding every language's questions and candidates");
    let mut embeddings = None;
    let phase = Phase::measure(
        format!(
            "encode {} texts (4 layers, width 256, batch {})",
            texts.len(),
            args.batch_size
        ),
        1,
        || {
            embeddings = Some(ranker.embed_qa(task, &settings, &device)?);
            Ok(())
        },
    )?;
    Ok((embeddings.context("no embeddings")?, phase))
}

/// For each question of the pooled query list (languages in order), the pool indices of its
/// group's answers in every language.
fn multilingual_relevance(task: &QaTask) -> Vec<Vec<usize>> {
    let mut offset = BTreeMap::new();
    let mut total = 0;
    for (lang, pool) in &task.pools {
        offset.insert(*lang, total);
        total += pool.candidates.len();
    }
    let mut relevant = Vec::new();
    for pool in task.pools.values() {
        for question in &pool.questions {
            let mut rel: Vec<usize> = task
                .answers_of(&question.group_id)
                .iter()
                .map(|(lang, i)| offset[lang] + i)
                .collect();
            rel.sort_unstable();
            rel.dedup();
            relevant.push(rel);
        }
    }
    relevant
}

/// Writes the pooled question and candidate embeddings as raw little-endian f32 rows plus
/// their shapes.
fn export_embeddings(dir: &Path, embeddings: &QaEmbeddings, block: usize) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let questions = Embeddings::concat(embeddings.questions.values())?;
    let pool = Embeddings::concat(embeddings.candidates.values())?;
    for (name, matrix) in [("questions.f32", &questions), ("pool.f32", &pool)] {
        write_f32_le(&dir.join(name), matrix.as_slice())?;
    }
    let sizes = |m: &BTreeMap<hbt_data::Lang, Embeddings>| -> BTreeMap<String, usize> {
        m.iter()
            .map(|(l, e)| (l.as_str().to_string(), e.rows()))
            .collect()
    };
    let json = serde_json::json!({
        "questions": questions.rows(), "pool": pool.rows(), "dim": pool.dim(),
        "top_k": TOP_K, "block": block,
        "question_rows": sizes(&embeddings.questions),
        "pool_rows": sizes(&embeddings.candidates),
    });
    write_json(&dir.join("embeddings.json"), &json)
}

/// Reads what [`export_embeddings`] wrote, split back into languages by the task's counts.
fn read_embeddings(dir: &Path, task: &QaTask) -> Result<QaEmbeddings> {
    let spec_path = dir.join("embeddings.json");
    let spec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&spec_path)
            .with_context(|| format!("reading {}", spec_path.display()))?,
    )
    .with_context(|| format!("{}: not JSON", spec_path.display()))?;
    let dim = spec["dim"]
        .as_u64()
        .with_context(|| format!("{}: no `dim`", spec_path.display()))? as usize;
    let read = |name: &str, rows_of: &dyn Fn(&hbt_data::task::LanguagePool) -> usize| {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let values: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let total: usize = task.pools.values().map(rows_of).sum();
        ensure!(
            bytes.len() == total * dim * 4,
            "{}: {} bytes, expected {total} rows of {dim} f32 for xquad-r",
            path.display(),
            bytes.len()
        );
        let mut out = BTreeMap::new();
        let mut start = 0;
        for (lang, pool) in &task.pools {
            let rows = rows_of(pool);
            let part = values[start * dim..(start + rows) * dim].to_vec();
            out.insert(*lang, Embeddings::new(part, rows, dim)?);
            start += rows;
        }
        Ok(out)
    };
    Ok(QaEmbeddings {
        questions: read("questions.f32", &|p| p.questions.len())?,
        candidates: read("pool.f32", &|p| p.candidates.len())?,
    })
}
