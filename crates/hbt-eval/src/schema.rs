//! The types of `metrics.json` (schema version 1), as `results/README.md` lays it out.
//!
//! Deviations forced by degenerate inputs (documented here because the README's example shows
//! a full task):
//! * `cross` is left out of a QA task that has no language pair with shared questions (a
//!   single-language task);
//! * `rank_distance.mean` and `.median` are `null` when no multi query has two or more
//!   relevant items; `per_language` then is empty;
//! * languages without queries have no entry in `per_language`, `pairs` or
//!   `same_language_share_at_10`.

use std::collections::BTreeMap;

use hbt_data::Lang;
use serde::{Deserialize, Deserializer, Serialize};

use crate::metrics::Metrics;

/// The schema version written to `metrics.json`.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole `metrics.json` of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsFile {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Which model produced the rankings.
    pub model: ModelKind,
    /// The languages of the training data, sorted (empty for BM25 and the untrained model).
    pub train_languages: Vec<Lang>,
    /// One entry per evaluation task.
    pub tasks: Vec<TaskMetrics>,
}

impl MetricsFile {
    /// A file of the current schema version (train languages sorted and deduplicated).
    pub fn new(model: ModelKind, train_languages: &[Lang], tasks: Vec<TaskMetrics>) -> Self {
        let mut train_languages = train_languages.to_vec();
        train_languages.sort();
        train_languages.dedup();
        MetricsFile {
            schema_version: SCHEMA_VERSION,
            model,
            train_languages,
            tasks,
        }
    }
}

/// The model of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// The fine-tuned encoder.
    Trained,
    /// The BM25 baseline.
    Bm25,
    /// The encoder before training.
    Untrained,
}

/// The metrics of one task; serialised as the inner object, whose `kind` tells them apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)] // a run has a handful of tasks; boxing buys nothing
pub enum TaskMetrics {
    /// A QA task with a multilingual pool (`"kind": "qa"`).
    Qa(QaMetrics),
    /// A BEIR / MIRACL retrieval task (`"kind": "retrieval"`).
    Retrieval(RetrievalMetrics),
    /// A bitext retrieval task (`"kind": "bitext"`).
    Bitext(BitextMetrics),
}

impl TaskMetrics {
    /// The task name.
    pub fn task(&self) -> &str {
        match self {
            TaskMetrics::Qa(m) => &m.task,
            TaskMetrics::Retrieval(m) => &m.task,
            TaskMetrics::Bitext(m) => &m.task,
        }
    }
}

impl<'de> Deserialize<'de> for TaskMetrics {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(d)?;
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .ok_or_else(|| D::Error::custom("task without a string `kind`"))?
            .to_string();
        let parsed = match kind.as_str() {
            "qa" => serde_json::from_value(value).map(TaskMetrics::Qa),
            "retrieval" => serde_json::from_value(value).map(TaskMetrics::Retrieval),
            "bitext" => serde_json::from_value(value).map(TaskMetrics::Bitext),
            other => {
                return Err(D::Error::custom(format!(
                    "unknown task kind `{other}` (expected qa, retrieval or bitext)"
                )))
            }
        };
        parsed.map_err(|e| D::Error::custom(format!("{kind} task: {e}")))
    }
}

macro_rules! kind_marker {
    ($name:ident, $value:literal) => {
        #[doc = concat!("The constant `\"kind\": \"", $value, "\"` of a task object.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
        pub enum $name {
            #[doc = concat!("`", $value, "`")]
            #[default]
            #[serde(rename = $value)]
            Kind,
        }
    };
}

kind_marker!(QaKind, "qa");
kind_marker!(RetrievalKind, "retrieval");
kind_marker!(BitextKind, "bitext");

/// A QA task's metrics in the mono, cross and multi settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QaMetrics {
    /// Task name, e.g. `xquad-r`.
    pub task: String,
    /// Always `qa`.
    pub kind: QaKind,
    /// The task's languages, sorted.
    pub languages: Vec<Lang>,
    /// The task's languages absent from the training languages.
    pub zero_shot_languages: Vec<Lang>,
    /// Q_X against C_X.
    pub mono: MonoMetrics,
    /// Q_X against C_Y, X ≠ Y (absent when no pair shares a question).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross: Option<CrossMetrics>,
    /// Q_X against the candidates of every language.
    pub multi: MultiMetrics,
}

/// The mono setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonoMetrics {
    /// Unweighted mean over the languages.
    pub mean: Metrics,
    /// Per query (and pool) language.
    pub per_language: BTreeMap<Lang, Metrics>,
}

/// The cross setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossMetrics {
    /// Unweighted mean over the pairs.
    pub mean: Metrics,
    /// Per pair `X-Y`: queries in X, pool in Y.
    pub pairs: BTreeMap<String, Metrics>,
}

/// The multi setting, with the language-bias measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiMetrics {
    /// Unweighted mean over the query languages.
    pub mean: Metrics,
    /// Per query language.
    pub per_language: BTreeMap<Lang, Metrics>,
    /// Max rank − min rank of the relevant items, over queries with two or more.
    pub rank_distance: RankDistance,
    /// Share of the top 10 in the query's language, per query language.
    pub same_language_share_at_10: BTreeMap<Lang, LanguageShare>,
}

/// Rank distance overall and per query language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankDistance {
    /// Mean over all eligible queries (`null` when there is none).
    pub mean: Option<f64>,
    /// Median over all eligible queries (`null` when there is none).
    pub median: Option<f64>,
    /// Number of eligible queries (|R| ≥ 2).
    pub queries: usize,
    /// Per query language (languages with eligible queries only).
    pub per_language: BTreeMap<Lang, RankDistanceStats>,
}

/// Mean and median rank distance of a set of queries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankDistanceStats {
    /// Mean rank distance.
    pub mean: f64,
    /// Median rank distance.
    pub median: f64,
    /// Number of queries.
    pub queries: usize,
}

/// Same-language share of the top 10 for one query language.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageShare {
    /// Mean over the language's queries of the fraction of their top 10 in that language.
    pub share: f64,
    /// The language's fraction of the pool (what a language-blind ranking would give).
    pub pool_share: f64,
}

/// A BEIR / MIRACL task's metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrievalMetrics {
    /// Task name.
    pub task: String,
    /// Always `retrieval`.
    pub kind: RetrievalKind,
    /// Number of evaluated queries.
    pub queries: usize,
    /// Mean nDCG@10 (graded gains).
    pub ndcg_at_10: f64,
    /// Mean recall@100 (grade > 0 is relevant).
    pub recall_at_100: f64,
    /// Mean average precision (grade > 0 is relevant).
    pub map: f64,
    /// Mean reciprocal rank at 10.
    pub mrr_at_10: f64,
}

/// A bitext task's metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BitextMetrics {
    /// Task name.
    pub task: String,
    /// Always `bitext`.
    pub kind: BitextKind,
    /// Number of aligned lines.
    pub lines: usize,
    /// Share of source lines whose top target line is their translation.
    pub forward_accuracy_at_1: f64,
    /// Share of target lines whose top source line is their translation.
    pub backward_accuracy_at_1: f64,
}
