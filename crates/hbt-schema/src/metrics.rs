//! `metrics.json` (schema version 1), as `results/README.md` lays it out: written by
//! `hbt_eval`, read by `hbt_report`. A `null` where a number is expected (how JSON spells the
//! NaN of a degenerate mean) reads back as NaN.
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

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use crate::file::{parse_versioned_json, read_text, to_json_text, write_atomic, SchemaError};

use crate::lang::Lang;
pub use crate::names::ModelKind;

/// The schema version written to `metrics.json`.
pub const METRICS_SCHEMA_VERSION: u32 = 1;

/// The file name in a run folder.
pub const METRICS_FILE: &str = "metrics.json";

/// The whole `metrics.json` of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsFile {
    /// Always [`METRICS_SCHEMA_VERSION`].
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
            schema_version: METRICS_SCHEMA_VERSION,
            model,
            train_languages,
            tasks,
        }
    }

    /// Reads `path`: a different `schema_version` is an error before anything else.
    pub fn read(path: &Path) -> Result<MetricsFile, SchemaError> {
        parse_versioned_json(path, &read_text(path)?, METRICS_SCHEMA_VERSION)
    }

    /// Writes `path` atomically, pretty-printed with a final newline.
    pub fn write(&self, path: &Path) -> Result<(), SchemaError> {
        if self.schema_version != METRICS_SCHEMA_VERSION {
            return Err(SchemaError::format(
                path,
                format!(
                    "schema_version {} is not the current {METRICS_SCHEMA_VERSION}",
                    self.schema_version
                ),
            ));
        }
        write_atomic(path, to_json_text(path, self)?.as_bytes())
    }

    /// The QA tasks (XQuAD-R, MLQA-R, ...), in file order.
    pub fn qa_tasks(&self) -> impl Iterator<Item = &QaMetrics> {
        self.tasks.iter().filter_map(|t| match t {
            TaskMetrics::Qa(q) => Some(q),
            _ => None,
        })
    }

    /// The QA task named `name`, if evaluated.
    pub fn qa_task(&self, name: &str) -> Option<&QaMetrics> {
        self.qa_tasks().find(|t| t.task == name)
    }
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

impl QaMetrics {
    /// The cross-lingual measures of queries in `query` against the pool in `pool`.
    pub fn cross_pair(&self, query: Lang, pool: Lang) -> Option<&Measures> {
        self.cross.as_ref()?.pairs.get(&format!("{query}-{pool}"))
    }

    /// True when `lang` is a zero-shot language of this task.
    pub fn is_zero_shot(&self, lang: Lang) -> bool {
        self.zero_shot_languages.contains(&lang)
    }
}

/// The mono setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonoMetrics {
    /// Unweighted mean over the languages.
    pub mean: Measures,
    /// Per query (and pool) language.
    pub per_language: BTreeMap<Lang, Measures>,
}

/// The cross setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossMetrics {
    /// Unweighted mean over the pairs.
    pub mean: Measures,
    /// Per pair `X-Y`: queries in X, pool in Y.
    pub pairs: BTreeMap<String, Measures>,
}

/// The multi setting, with the language-bias measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiMetrics {
    /// Unweighted mean over the query languages.
    pub mean: Measures,
    /// Per query language.
    pub per_language: BTreeMap<Lang, Measures>,
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
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    /// Median rank distance.
    #[serde(deserialize_with = "nan_if_null")]
    pub median: f64,
    /// Number of queries.
    pub queries: usize,
}

/// Same-language share of the top 10 for one query language.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageShare {
    /// Mean over the language's queries of the fraction of their top 10 in that language.
    #[serde(deserialize_with = "nan_if_null")]
    pub share: f64,
    /// The language's fraction of the pool (what a language-blind ranking would give).
    #[serde(deserialize_with = "nan_if_null")]
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
    #[serde(deserialize_with = "nan_if_null")]
    pub ndcg_at_10: f64,
    /// Mean recall@100 (grade > 0 is relevant).
    #[serde(deserialize_with = "nan_if_null")]
    pub recall_at_100: f64,
    /// Mean average precision (grade > 0 is relevant).
    #[serde(deserialize_with = "nan_if_null")]
    pub map: f64,
    /// Mean reciprocal rank at 10.
    #[serde(deserialize_with = "nan_if_null")]
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
    #[serde(deserialize_with = "nan_if_null")]
    pub forward_accuracy_at_1: f64,
    /// Share of target lines whose top source line is their translation.
    #[serde(deserialize_with = "nan_if_null")]
    pub backward_accuracy_at_1: f64,
}

/// Mean measures over a set of queries (the `M` object of `metrics.json`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measures {
    /// Number of queries averaged (for a mean over languages or pairs: their sum).
    pub queries: usize,
    /// Mean average precision.
    #[serde(deserialize_with = "nan_if_null")]
    pub map: f64,
    /// Mean reciprocal rank at 10.
    #[serde(deserialize_with = "nan_if_null")]
    pub mrr_at_10: f64,
    /// Mean recall@1.
    #[serde(deserialize_with = "nan_if_null")]
    pub recall_at_1: f64,
    /// Mean recall@5.
    #[serde(deserialize_with = "nan_if_null")]
    pub recall_at_5: f64,
    /// Mean recall@10.
    #[serde(deserialize_with = "nan_if_null")]
    pub recall_at_10: f64,
    /// Mean recall@100.
    #[serde(deserialize_with = "nan_if_null")]
    pub recall_at_100: f64,
    /// Mean nDCG@10.
    #[serde(deserialize_with = "nan_if_null")]
    pub ndcg_at_10: f64,
}

impl Measures {
    /// The unweighted mean of several means (one per language or pair); `queries` is their
    /// sum. `None` for an empty list.
    pub fn mean_of<'a>(items: impl IntoIterator<Item = &'a Measures>) -> Option<Measures> {
        let items: Vec<&Measures> = items.into_iter().collect();
        if items.is_empty() {
            return None;
        }
        let n = items.len() as f64;
        let mean = |f: fn(&Measures) -> f64| items.iter().map(|m| f(m)).sum::<f64>() / n;
        Some(Measures {
            queries: items.iter().map(|m| m.queries).sum(),
            map: mean(|m| m.map),
            mrr_at_10: mean(|m| m.mrr_at_10),
            recall_at_1: mean(|m| m.recall_at_1),
            recall_at_5: mean(|m| m.recall_at_5),
            recall_at_10: mean(|m| m.recall_at_10),
            recall_at_100: mean(|m| m.recall_at_100),
            ndcg_at_10: mean(|m| m.ndcg_at_10),
        })
    }
}

/// Reads a JSON `null` as NaN (serde_json writes NaN as `null`).
fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}
