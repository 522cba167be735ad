//! hbt-eval: exact search, BM25, ranking metrics, language-bias measures and the results files
//! of an evaluation (`metrics.json`, `per_query.parquet`, `trec/`).
//!
//! # Flow
//!
//! The caller embeds each language's questions and candidates once (or picks BM25), then:
//!
//! 1. [`evaluate_qa`] runs the mono, cross and multi settings of a [`hbt_data::task::QaTask`]
//!    through a [`QaScoring`] ([`DenseQa`] over [`QaEmbeddings`], or [`Bm25Qa`]);
//!    [`evaluate_retrieval`] and [`evaluate_bitext`] take a [`Scorer`] per direction
//!    ([`DenseScorer`], [`Bm25Scorer`]);
//! 2. each returns its `metrics.json` task object, per-query rows and (with
//!    `SearchOptions::top_k` > 0) TREC runs;
//! 3. [`hbt_schema::MetricsFile::write`], [`write_per_query`] and [`write_trec`] write the run
//!    folder's files atomically.
//!
//! ```ignore
//! // Embed every language's questions and candidates once (rows in task order).
//! let mut embeddings = QaEmbeddings::default();
//! for (lang, pool) in &task.pools {
//!     embeddings.questions.insert(*lang, Embeddings::from_tensor(encode(&pool.questions))?.normalized());
//!     embeddings.candidates.insert(*lang, Embeddings::from_tensor(encode(&pool.candidates))?.normalized());
//! }
//! let scoring = DenseQa::<B>::new(&task, &embeddings, &device)?; // or Bm25Qa::default()
//! let options = SearchOptions { block_size: 256, top_k: if trec { 100 } else { 0 } };
//! let qa = evaluate_qa(&task, &scoring, &train_languages, &options, &mut |event| show(event))?;
//! let file = MetricsFile::new(ModelKind::Trained, &train_languages, vec![TaskMetrics::Qa(qa.metrics)]);
//! file.write(&run_dir.join(METRICS_FILE))?;
//! write_per_query(&run_dir.join(PER_QUERY_FILE), &qa.rows)?;
//! write_trec(&run_dir, &qa.runs, "hbt")?;
//! ```
//!
//! Every search goes through [`search()`]: scores of a block of queries against the whole
//! pool, ranks of the relevant items by counting (score descending, ties by pool order), top-k
//! by a bounded heap. [`metrics`] defines every measure. Nothing here prints: progress goes
//! to an [`EvalEvent`] callback and failures are [`EvalError`]s naming the value at fault.

#![warn(missing_docs)]

pub mod bitext;
pub mod bm25;
pub mod dense;
pub mod embeddings;
pub mod error;
pub mod metrics;
pub mod output;
pub mod progress;
pub mod qa;
pub mod qa_scoring;
pub mod retrieval;
pub mod rows;
pub mod search;
pub mod tokenize;
pub mod trec;

pub use bitext::{bm25_bitext_scorers, evaluate_bitext, BitextEvaluation};
pub use bm25::{Bm25Index, Bm25Params, Bm25Scorer};
pub use dense::DenseScorer;
pub use embeddings::Embeddings;
pub use error::{EvalError, Result};
pub use metrics::{MetricsSum, QueryMetrics};
pub use output::{read_per_query, write_per_query, write_trec, PER_QUERY_FILE, TREC_DIR};
pub use progress::{EvalEvent, Progress};
pub use qa::{evaluate_qa, QaEvaluation};
pub use qa_scoring::{Bm25Qa, DenseQa, QaEmbeddings, QaScoring};
pub use retrieval::{
    bm25_retrieval_scorer, document_text, evaluate_retrieval, RetrievalEvaluation,
};
pub use rows::{PerQueryRow, Setting};
pub use search::{search, Hit, QueryRanking, Scorer, SearchOptions};
pub use trec::{TrecQuery, TrecRun};

#[cfg(test)]
mod qa_tests;
