//! Time and peak memory of a full XQuAD-R evaluation (`hbt bench eval`): 11 languages, mono,
//! 110 cross pairs and the 13,090 × 13,014 multilingual pool, with a 256-wide encoder, split
//! into phases that each run the evaluator's own code:
//!
//! * encoding every question and candidate with the eval stage's
//!   [`Ranker::embed_qa`](hbt_pipeline::stages::eval::Ranker::embed_qa) (skipped when
//!   `embeddings` gives a folder to read them from);
//! * search + all metrics of all settings: [`hbt_eval::evaluate_qa`] over
//!   [`hbt_eval::DenseQa`], what `hbt experiment` runs;
//! * the multilingual pool alone, keeping the top 100 of each query: the scorer
//!   [`DenseQa`](hbt_eval::DenseQa) builds for the multi setting
//!   ([`QaScoring::scorer`](hbt_eval::QaScoring::scorer)), ranked by [`hbt_eval::search`] and
//!   scored with [`hbt_eval::QueryMetrics`]: the same work as
//!   `scripts/bench/torch_bench.py search` (a PyTorch matmul + topk);
//! * a reference on the same backend: one plain matrix product of all questions against the
//!   whole pool (the least work any exact multilingual search must do).
//!
//! Search phases run `repeats` times (min / median / max). Peak memory is the process's peak
//! resident set (`VmHWM`), reset before each phase through `/proc/self/clear_refs`.
//! `export` writes the embeddings for the PyTorch reference (`questions.f32`, `pool.f32`:
//! little-endian f32 rows, languages in alphabetical order; `embeddings.json`).

mod embeddings;
mod report;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{ensure, Context, Result};
use burn::tensor::{Tensor, TensorData};
use hbt_data::task::QaTask;
use hbt_data::tokenize::TextTokenizer;
use hbt_data::Lang;
use hbt_eval::{
    evaluate_qa, search, DenseQa, Embeddings, MetricsSum, QaEmbeddings, QaScoring, QueryMetrics,
    SearchOptions,
};
use hbt_model::backend::FlexBackend;
use hbt_model::Encoder;
use hbt_pipeline::stages::eval::{EvalSettings, Ranker};
use hbt_pipeline::{EtaNotes, Locations, Progress, StageLog};

pub use report::{EvalReport, Phase};

use crate::shape::BenchShape;
use crate::xquad::{self, MAX_LEN, VOCAB_SIZE};

/// The backend every phase runs on.
type B = FlexBackend;

/// Hits kept per query in the multilingual-pool phase (as the PyTorch reference's topk).
const TOP_K: usize = 100;

/// What to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalOptions {
    /// Queries per search block.
    pub block: usize,
    /// Sequences per encoding batch.
    pub batch_size: usize,
    /// Seed of the encoder's initialisation.
    pub seed: u64,
    /// Timed runs of each search phase.
    pub repeats: usize,
    /// Read the embeddings from this folder (written by `export`) instead of encoding.
    pub embeddings: Option<PathBuf>,
    /// Write the embeddings into this folder for `scripts/bench/torch_bench.py search DIR`.
    pub export: Option<PathBuf>,
}

/// Runs the benchmark: embeds (or reads) XQuAD-R, writes the export when asked, then times
/// the full evaluation, the multilingual pool alone and the reference product.
pub fn run(
    options: &EvalOptions,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<EvalReport> {
    ensure!(options.block >= 1, "--block must be at least 1");
    ensure!(options.batch_size >= 1, "--batch-size must be at least 1");
    let log = StageLog::start(progress, "bench", "loading xquad-r");
    let task = xquad::task(locations, progress)?;
    let device = Default::default();
    let mut phases = Vec::new();
    let embeddings = match &options.embeddings {
        Some(dir) => {
            log.note(&format!("reading embeddings from {}", dir.display()));
            embeddings::read(dir, &task)?
        }
        None => {
            let (embeddings, phase) = encode(&task, options, &log)?;
            phases.push(phase);
            embeddings
        }
    };
    if let Some(dir) = &options.export {
        embeddings::export(dir, &embeddings, options.block)?;
        log.note(&format!("wrote {}", dir.display()));
    }

    log.note("searching mono, cross and multi, computing every metric");
    let search_options = SearchOptions {
        block_size: options.block,
        top_k: 0,
    };
    let mut cross_pairs = 0;
    phases.push(Phase::measure(
        "search + all metrics: mono, cross pairs, multilingual pool".into(),
        options.repeats,
        || {
            let scoring = DenseQa::<B>::new(&task, &embeddings, &device)?;
            let result = evaluate_qa(&task, &scoring, &[], &search_options, &mut |_| {})?;
            cross_pairs = result.metrics.cross.as_ref().map_or(0, |c| c.pairs.len());
            Ok(())
        },
    )?);

    log.note("searching the multilingual pool alone (top 100 kept)");
    let langs = task.languages();
    let (queries, relevant) = multilingual_queries(&task);
    let pool_size: usize = task.pools.values().map(|p| p.candidates.len()).sum();
    let dim = embeddings
        .candidates
        .values()
        .next()
        .map_or(0, Embeddings::dim);
    let mut multi_map = 0.0;
    phases.push(Phase::measure(
        format!(
            "multilingual pool {} × {pool_size} × {dim}: search, top {TOP_K} + metrics",
            queries.len()
        ),
        options.repeats,
        || {
            let scoring = DenseQa::<B>::new(&task, &embeddings, &device)?;
            let mut scorer = scoring.scorer(&task, &queries, &langs)?;
            let options = SearchOptions {
                block_size: options.block,
                top_k: TOP_K,
            };
            let ranked = search(scorer.as_mut(), &relevant, &options, "multi", &mut |_| {})?;
            let mut sum = MetricsSum::default();
            for (ranking, rel) in ranked.iter().zip(&relevant) {
                sum.add(QueryMetrics::from_ranks(&ranking.relevant_ranks, rel.len())?.as_ref());
            }
            multi_map = sum.mean().map_or(0.0, |m| m.map);
            Ok(())
        },
    )?);

    log.note("reference: one matrix product of all questions against the whole pool");
    let questions = Embeddings::concat(embeddings.questions.values())?;
    let pool = Embeddings::concat(embeddings.candidates.values())?;
    let (nq, np) = (questions.rows(), pool.rows());
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

    Ok(EvalReport {
        phases,
        cross_pairs,
        multi_map,
        block: options.block,
        batch_size: options.batch_size,
        seed: options.seed,
    })
}

/// Encodes every question and candidate through the eval stage's [`Ranker`] with a
/// from-scratch encoder (tokenizer trained on the texts themselves); the phase is timed once.
fn encode(task: &QaTask, options: &EvalOptions, log: &StageLog) -> Result<(QaEmbeddings, Phase)> {
    let mut texts = Vec::new();
    for (lang, pool) in &task.pools {
        texts.extend(pool.questions.iter().map(|q| q.text.clone()));
        texts.extend((0..pool.candidates.len()).map(|i| task.candidate_text(*lang, i, false)));
    }
    log.note(&format!(
        "training the tokenizer on the {} texts",
        texts.len()
    ));
    let tokenizer = TextTokenizer::train(texts.iter(), VOCAB_SIZE, MAX_LEN)?;
    let device = Default::default();
    let model = Encoder::<B>::init(
        &xquad::xlmr_config(&tokenizer, BenchShape::Small),
        options.seed,
        &device,
    )?;
    let ranker = Ranker::Dense {
        model: &model,
        tokenizer: &tokenizer,
    };
    let settings = EvalSettings {
        batch_size: options.batch_size,
        search: SearchOptions::default(),
        trec: false,
        candidate_context: false,
    };
    log.note("encoding every language's questions and candidates");
    let mut embeddings = None;
    let phase = Phase::measure(
        format!(
            "encode {} texts ({} layers, width {}, batch {})",
            texts.len(),
            BenchShape::Small.layers(),
            BenchShape::Small.hidden(),
            options.batch_size
        ),
        1,
        || {
            let mut notes = EtaNotes::new(log, "encoding");
            embeddings = Some(ranker.embed_qa(task, &settings, &device, &mut notes)?);
            Ok(())
        },
    )?;
    Ok((embeddings.context("no embeddings")?, phase))
}

/// The queries of the multi setting as `evaluate_qa` forms them: every question, languages in
/// order, each with the pool indices (candidates of all languages concatenated in order) of
/// its group's answers in every language, its own answer included.
fn multilingual_queries(task: &QaTask) -> (Vec<(Lang, usize)>, Vec<Vec<usize>>) {
    let mut offsets = BTreeMap::new();
    let mut total = 0;
    for (lang, pool) in &task.pools {
        offsets.insert(*lang, total);
        total += pool.candidates.len();
    }
    let mut queries = Vec::new();
    let mut relevant = Vec::new();
    for (lang, pool) in &task.pools {
        for (i, question) in pool.questions.iter().enumerate() {
            let mut rel: Vec<usize> = task
                .answers_of(&question.group_id)
                .iter()
                .filter_map(|(l, a)| offsets.get(l).map(|o| o + a))
                .collect();
            rel.push(offsets[lang] + question.answer);
            rel.sort_unstable();
            rel.dedup();
            queries.push((*lang, i));
            relevant.push(rel);
        }
    }
    (queries, relevant)
}
