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
    evaluate_retrieval, write_per_query, write_trec, Bm25Params, Bm25Qa, DenseQa, DenseScorer,
    Embeddings, EvalEvent, PerQueryRow, QaEmbeddings, QaScoring, SearchOptions, TrecRun,
    PER_QUERY_FILE,
};
use hbt_model::{encode_with_progress, Encoder};
use hbt_schema::metrics::TaskMetrics;
use hbt_schema::{ExperimentConfig, MetricsFile, ModelKind, TextRole, METRICS_FILE};

use super::data::{EvalTask, PreparedData};
use crate::progress::{EtaNotes, Progress, StageLog};

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
    /// Embeds every language's questions and candidates of `task` once, in one encoding pass
    /// (so that batches hold texts of similar length from every language), reporting progress
    /// with an ETA under `label`.
    pub fn embed_qa(
        &self,
        task: &QaTask,
        settings: &EvalSettings,
        device: &B::Device,
        notes: &mut EtaNotes<'_>,
    ) -> Result<QaEmbeddings> {
        let mut parts: Vec<(TextRole, Vec<String>)> = Vec::new();
        for (lang, pool) in &task.pools {
            parts.push((
                TextRole::Query,
                pool.questions.iter().map(|q| q.text.clone()).collect(),
            ));
            parts.push((
                TextRole::Passage,
                (0..pool.candidates.len())
                    .map(|i| task.candidate_text(*lang, i, settings.candidate_context))
                    .collect(),
            ));
        }
        let mut embedded = self
            .embed_parts(&parts, settings, device, notes)?
            .into_iter();
        let mut embeddings = QaEmbeddings::default();
        for lang in task.pools.keys() {
            let (Some(questions), Some(candidates)) = (embedded.next(), embedded.next()) else {
                unreachable!("two parts per language")
            };
            embeddings.questions.insert(*lang, questions);
            embeddings.candidates.insert(*lang, candidates);
        }
        Ok(embeddings)
    }

    /// Embeddings of two lists of texts in their roles, encoded in one pass; see
    /// [`Ranker::embed_parts`].
    pub fn embed_pair(
        &self,
        first: (TextRole, Vec<String>),
        second: (TextRole, Vec<String>),
        settings: &EvalSettings,
        device: &B::Device,
        notes: &mut EtaNotes<'_>,
    ) -> Result<(Embeddings, Embeddings)> {
        let mut both = self
            .embed_parts(&[first, second], settings, device, notes)?
            .into_iter();
        match (both.next(), both.next()) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => unreachable!("two parts in, two out"),
        }
    }

    /// Embeddings of each part's texts in its role (the role's prefix first), in order, all
    /// parts encoded in one pass: unit length when the encoder normalises
    /// (`model.normalize`), so that scores are cosine similarities, else as pooled.
    pub fn embed_parts(
        &self,
        parts: &[(TextRole, Vec<String>)],
        settings: &EvalSettings,
        device: &B::Device,
        notes: &mut EtaNotes<'_>,
    ) -> Result<Vec<Embeddings>> {
        let Ranker::Dense { model, tokenizer } = self else {
            unreachable!("only dense rankers embed")
        };
        let mut ids = Vec::new();
        for (role, texts) in parts {
            for text in texts {
                ids.push(tokenizer.encode_as(*role, text)?);
            }
        }
        let mut rows = encode_with_progress(model, &ids, settings.batch_size, device, &mut |p| {
            notes.update(
                &format!("{}/{} texts", p.sequences_done, p.sequences),
                p.tokens_done as f64 / p.tokens.max(1) as f64,
            )
        })?
        .into_iter();
        let dim = model.config().hidden_size;
        let mut out = Vec::with_capacity(parts.len());
        for (_, texts) in parts {
            let flat: Vec<f32> = rows.by_ref().take(texts.len()).flatten().collect();
            let embeddings = Embeddings::new(flat, texts.len(), dim)?;
            out.push(if model.config().normalize {
                embeddings.normalized()
            } else {
                embeddings
            });
        }
        Ok(out)
    }
}

/// What one evaluation covers and where its results go.
#[derive(Clone, Copy)]
pub struct EvalJob<'a> {
    /// The tasks, by name.
    pub tasks: &'a [(String, EvalTask)],
    /// Languages of the training data (the others are zero-shot).
    pub train_languages: &'a [Lang],
    /// The model kind `metrics.json` records.
    pub kind: ModelKind,
    /// The run folder to write into.
    pub out: &'a Path,
}

/// Evaluates every task of `job` and writes the results files into its folder.
pub fn run<B: Backend>(
    job: &EvalJob<'_>,
    ranker: &Ranker<'_, B>,
    settings: &EvalSettings,
    device: &B::Device,
    progress: &dyn Progress,
) -> Result<()> {
    let EvalJob {
        tasks,
        train_languages,
        kind,
        out,
    } = *job;
    let log = StageLog::start(progress, "eval", &format!("{} task(s)", tasks.len()));
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
                        let mut notes = EtaNotes::new(&log, &format!("{name}: encoding"));
                        embeddings = ranker.embed_qa(task, settings, device, &mut notes)?;
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
                        let mut notes = EtaNotes::new(&log, &format!("{name}: encoding"));
                        let (q, d) = ranker.embed_pair(
                            (TextRole::Query, queries),
                            (TextRole::Passage, docs),
                            settings,
                            device,
                            &mut notes,
                        )?;
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
                        // Translation retrieval is symmetric: both sides are queries (E5's
                        // convention for symmetric tasks).
                        let mut notes = EtaNotes::new(&log, &format!("{name}: encoding"));
                        let (s, t) = ranker.embed_pair(
                            (TextRole::Query, task.source.clone()),
                            (TextRole::Query, task.target.clone()),
                            settings,
                            device,
                            &mut notes,
                        )?;
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
    MetricsFile::new(kind, train_languages, metrics).write(&out.join(METRICS_FILE))?;
    write_per_query(&out.join(PER_QUERY_FILE), &rows)?;
    if settings.trec {
        write_trec(out, &runs, "hbt")?;
    }
    log.note(&format!("wrote {METRICS_FILE}, {PER_QUERY_FILE}"));
    Ok(())
}
