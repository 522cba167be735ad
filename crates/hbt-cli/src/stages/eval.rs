//! The eval stage: embed each evaluation task once with the run's encoder (or index it with
//! BM25), search every setting, and write `metrics.json`, `per_query.parquet` and, on request,
//! TREC run files into the run folder.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::backend::Backend;
use hbt_data::task::QaTask;
use hbt_data::tokenize::TextTokenizer;
use hbt_data::Lang;
use hbt_eval::{
    bm25_bitext_scorers, bm25_retrieval_scorer, document_text, evaluate_bitext, evaluate_qa,
    evaluate_retrieval, write_metrics_json, write_per_query, write_trec, Bm25Params, Bm25Qa,
    DenseQa, DenseScorer, Embeddings, EvalEvent, MetricsFile, ModelKind, PerQueryRow, QaEmbeddings,
    QaScoring, SearchOptions, TaskMetrics, TrecRun, METRICS_FILE, PER_QUERY_FILE,
};
use hbt_model::{encode, Encoder};

use super::data::{EvalTask, PreparedData};
use crate::config::ExperimentConfig;
use crate::progress::StageLog;

/// What ranks the candidates.
pub enum Ranker<'a, B: Backend> {
    /// A dense encoder and its tokenizer.
    Dense {
        /// The encoder (inference backend).
        model: &'a Encoder<B>,
        /// Its tokenizer.
        tokenizer: &'a TextTokenizer,
    },
    /// The BM25 baseline.
    Bm25,
}

/// Evaluation settings shared by `hbt experiment` and `hbt eval`.
pub struct EvalSettings {
    /// Sequences per encoding batch.
    pub batch_size: usize,
    /// Search options (block size, top-k for TREC).
    pub search: SearchOptions,
    /// Write TREC runs and qrels.
    pub trec: bool,
    /// Candidates are sentence plus paragraph.
    pub candidate_context: bool,
}

impl EvalSettings {
    /// The settings of an experiment file.
    pub fn of(config: &ExperimentConfig) -> EvalSettings {
        EvalSettings {
            batch_size: config.eval.batch_size,
            search: SearchOptions {
                block_size: config.eval.search_block,
                top_k: if config.eval.trec { 100 } else { 0 },
            },
            trec: config.eval.trec,
            candidate_context: config.data.candidate_context,
        }
    }
}

/// Languages of the training data (the others are zero-shot).
pub fn train_languages(data: &PreparedData) -> Vec<Lang> {
    let mut langs = BTreeSet::new();
    for source in &data.sources {
        for group in source.groups.train.iter().chain(&source.groups.dev) {
            langs.extend(group.languages());
        }
        for pair in &source.pairs {
            langs.insert(pair.source_lang);
            langs.insert(pair.target_lang);
        }
    }
    langs.into_iter().collect()
}

impl<B: Backend> Ranker<'_, B> {
    fn kind(&self, untrained: bool) -> ModelKind {
        match self {
            Ranker::Bm25 => ModelKind::Bm25,
            Ranker::Dense { .. } if untrained => ModelKind::Untrained,
            Ranker::Dense { .. } => ModelKind::Trained,
        }
    }

    /// Embeds every language's questions and candidates of `task` once.
    pub fn embed_qa(
        &self,
        task: &QaTask,
        settings: &EvalSettings,
        device: &B::Device,
    ) -> Result<QaEmbeddings> {
        let mut embeddings = QaEmbeddings::default();
        for (lang, pool) in &task.pools {
            let questions: Vec<String> = pool.questions.iter().map(|q| q.text.clone()).collect();
            let candidates: Vec<String> = (0..pool.candidates.len())
                .map(|i| task.candidate_text(*lang, i, settings.candidate_context))
                .collect();
            embeddings
                .questions
                .insert(*lang, self.embed(&questions, settings, device)?);
            embeddings
                .candidates
                .insert(*lang, self.embed(&candidates, settings, device)?);
        }
        Ok(embeddings)
    }

    /// Unit-length embeddings of `texts`, in order.
    pub fn embed(
        &self,
        texts: &[String],
        settings: &EvalSettings,
        device: &B::Device,
    ) -> Result<Embeddings> {
        let Ranker::Dense { model, tokenizer } = self else {
            unreachable!("only dense rankers embed")
        };
        let ids = texts
            .iter()
            .map(|t| tokenizer.encode(t))
            .collect::<Result<Vec<_>, _>>()?;
        let rows = encode(model, &ids, settings.batch_size, device)?;
        let dim = rows.first().map_or(model.config().hidden_size, Vec::len);
        let flat: Vec<f32> = rows.into_iter().flatten().collect();
        Ok(Embeddings::new(flat, texts.len(), dim)?.normalized())
    }
}

/// Evaluates every task of `tasks` and writes the results files into `out`.
#[allow(clippy::too_many_arguments)]
pub fn run<B: Backend>(
    tasks: &[(String, EvalTask)],
    train_languages: &[Lang],
    ranker: &Ranker<'_, B>,
    untrained: bool,
    settings: &EvalSettings,
    out: &Path,
    device: &B::Device,
) -> Result<()> {
    let log = StageLog::start("eval", &format!("{} task(s)", tasks.len()));
    let mut metrics = Vec::new();
    let mut rows: Vec<PerQueryRow> = Vec::new();
    let mut runs: Vec<TrecRun> = Vec::new();
    let mut last_note = std::time::Instant::now();
    let mut progress = |event: &EvalEvent<'_>| {
        if let EvalEvent::BlockDone { label, done, total } = event {
            if done == total || last_note.elapsed().as_secs() >= 10 {
                log.note(&format!("{label}: {done}/{total} queries"));
                last_note = std::time::Instant::now();
            }
        }
    };
    for (name, task) in tasks {
        match task {
            EvalTask::Qa(task) => {
                let bm25;
                let embeddings;
                let dense;
                let scoring: &dyn QaScoring = match ranker {
                    Ranker::Bm25 => {
                        bm25 = Bm25Qa {
                            params: Bm25Params::default(),
                            with_context: settings.candidate_context,
                        };
                        &bm25
                    }
                    Ranker::Dense { .. } => {
                        embeddings = ranker.embed_qa(task, settings, device)?;
                        log.note(&format!("{name}: embedded every language"));
                        dense = DenseQa::<B>::new(task, &embeddings, device)?;
                        &dense
                    }
                };
                let result = evaluate_qa(
                    task,
                    scoring,
                    train_languages,
                    &settings.search,
                    &mut progress,
                )
                .with_context(|| format!("evaluating {name}"))?;
                metrics.push(TaskMetrics::Qa(result.metrics));
                rows.extend(result.rows);
                runs.extend(result.runs);
            }
            EvalTask::Retrieval(task) => {
                let result = match ranker {
                    Ranker::Bm25 => {
                        let mut scorer = bm25_retrieval_scorer(task, Bm25Params::default())?;
                        evaluate_retrieval(task, &mut scorer, &settings.search, &mut progress)?
                    }
                    Ranker::Dense { .. } => {
                        let queries: Vec<String> =
                            task.queries.iter().map(|q| q.text.clone()).collect();
                        let docs: Vec<String> = task.corpus.iter().map(document_text).collect();
                        let q = ranker.embed(&queries, settings, device)?;
                        let d = ranker.embed(&docs, settings, device)?;
                        let mut scorer = DenseScorer::<B>::new(q, &d, device)?;
                        evaluate_retrieval(task, &mut scorer, &settings.search, &mut progress)?
                    }
                };
                metrics.push(TaskMetrics::Retrieval(result.metrics));
                rows.extend(result.rows);
                runs.extend(result.runs);
            }
            EvalTask::Bitext(task) => {
                let result = match ranker {
                    Ranker::Bm25 => {
                        let (mut f, mut b) = bm25_bitext_scorers(task, Bm25Params::default())?;
                        evaluate_bitext(task, &mut f, &mut b, &settings.search, &mut progress)?
                    }
                    Ranker::Dense { .. } => {
                        let s = ranker.embed(&task.source, settings, device)?;
                        let t = ranker.embed(&task.target, settings, device)?;
                        let mut f = DenseScorer::<B>::new(s.clone(), &t, device)?;
                        let mut b = DenseScorer::<B>::new(t, &s, device)?;
                        evaluate_bitext(task, &mut f, &mut b, &settings.search, &mut progress)?
                    }
                };
                metrics.push(TaskMetrics::Bitext(result.metrics));
                rows.extend(result.rows);
                runs.extend(result.runs);
            }
        }
        log.note(&format!("{name}: done"));
    }
    let file = MetricsFile::new(ranker.kind(untrained), train_languages, metrics);
    write_metrics_json(&out.join(METRICS_FILE), &file)?;
    write_per_query(&out.join(PER_QUERY_FILE), &rows)?;
    if settings.trec {
        write_trec(out, &runs, "hbt")?;
    }
    log.note(&format!("wrote {METRICS_FILE}, {PER_QUERY_FILE}"));
    Ok(())
}
