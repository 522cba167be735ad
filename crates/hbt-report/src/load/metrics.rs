//! `metrics.json` (schema_version 1), as written by `hbt eval` (see `results/README.md`).
//!
//! Unknown fields are ignored so that later, additive versions of the writer stay readable;
//! a different `schema_version` is refused. A `null` where a number is expected (how JSON
//! writers spell NaN) reads as NaN.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{ReportError, Result};
use crate::io::read_text;

/// The `schema_version` of `metrics.json` this crate reads.
pub const METRICS_SCHEMA_VERSION: u32 = 1;

/// Which model produced a run's metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// A fine-tuned bi-encoder.
    Trained,
    /// The BM25 reference run.
    Bm25,
    /// The encoder before fine-tuning (reference run).
    Untrained,
}

impl ModelKind {
    /// True for the reference runs (`bm25`, `untrained`).
    pub fn is_reference(self) -> bool {
        !matches!(self, ModelKind::Trained)
    }

    /// The name used in `metrics.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Trained => "trained",
            ModelKind::Bm25 => "bm25",
            ModelKind::Untrained => "untrained",
        }
    }
}

/// The whole `metrics.json` of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Metrics {
    /// Schema version; always [`METRICS_SCHEMA_VERSION`] once loaded.
    pub schema_version: u32,
    /// Which model was evaluated.
    pub model: ModelKind,
    /// Languages seen in training (empty for reference runs).
    #[serde(default)]
    pub train_languages: Vec<String>,
    /// One entry per evaluation task, in evaluation order.
    #[serde(default)]
    pub tasks: Vec<TaskMetrics>,
}

impl Metrics {
    /// Reads and checks `metrics.json` at `path`.
    pub fn read(path: &Path) -> Result<Metrics> {
        let text = read_text(path)?;
        Metrics::parse(path, &text)
    }

    /// Parses the text of a `metrics.json`; `path` only names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Metrics> {
        #[derive(Deserialize)]
        struct Version {
            schema_version: Option<u32>,
        }
        let version: Version = serde_json::from_str(text)
            .map_err(|e| ReportError::format(path, format!("invalid JSON: {e}")))?;
        match version.schema_version {
            Some(METRICS_SCHEMA_VERSION) => {}
            Some(found) => {
                return Err(ReportError::SchemaVersion {
                    path: path.to_path_buf(),
                    found,
                    expected: METRICS_SCHEMA_VERSION,
                })
            }
            None => return Err(ReportError::format(path, "missing `schema_version`")),
        }
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| ReportError::format(path, format!("at `{}`: {}", e.path(), e.inner())))
    }

    /// The QA-retrieval tasks (XQuAD-R, MLQA-R, ...), in file order.
    pub fn qa_tasks(&self) -> impl Iterator<Item = &QaTask> {
        self.tasks.iter().filter_map(|t| match t {
            TaskMetrics::Qa(q) => Some(q.as_ref()),
            _ => None,
        })
    }

    /// The QA task named `name`, if evaluated.
    pub fn qa_task(&self, name: &str) -> Option<&QaTask> {
        self.qa_tasks().find(|t| t.task == name)
    }
}

/// One evaluation task's metrics, tagged by `kind`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TaskMetrics {
    /// QA retrieval with a multilingual candidate pool.
    Qa(Box<QaTask>),
    /// BEIR/MIRACL-style monolingual retrieval.
    Retrieval(RetrievalTask),
    /// Bitext (translation) retrieval.
    Bitext(BitextTask),
    /// A task kind this version does not know; kept so the file still loads.
    #[serde(other)]
    Other,
}

/// The ranking measures of one language, pair or setting mean (`M` in the contract).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Measures {
    /// Number of queries behind the values.
    #[serde(default)]
    pub queries: u64,
    /// Mean average precision.
    #[serde(deserialize_with = "nan_if_null")]
    pub map: f64,
    /// Mean reciprocal rank, cut at 10.
    #[serde(deserialize_with = "nan_if_null")]
    pub mrr_at_10: f64,
    /// Recall@1.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub recall_at_1: Option<f64>,
    /// Recall@5.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub recall_at_5: Option<f64>,
    /// Recall@10.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub recall_at_10: Option<f64>,
    /// Recall@100.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub recall_at_100: Option<f64>,
    /// nDCG@10 with binary gains.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub ndcg_at_10: Option<f64>,
}

/// Metrics of a QA-retrieval task (`"kind": "qa"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QaTask {
    /// Task (dataset) name, e.g. `xquad-r`.
    pub task: String,
    /// Evaluated languages, in the task's order.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Languages absent from the training data.
    #[serde(default)]
    pub zero_shot_languages: Vec<String>,
    /// Monolingual setting (queries in X, pool in X).
    #[serde(default)]
    pub mono: Option<PerLanguage>,
    /// Cross-lingual setting (queries in X, pool in Y ≠ X).
    #[serde(default)]
    pub cross: Option<CrossSetting>,
    /// Multilingual setting (queries in X, pool of all languages).
    #[serde(default)]
    pub multi: Option<MultiSetting>,
}

impl QaTask {
    /// The cross-lingual measures of queries in `query` against the pool in `pool`.
    pub fn cross_pair(&self, query: &str, pool: &str) -> Option<&Measures> {
        self.cross.as_ref()?.pairs.get(&format!("{query}-{pool}"))
    }

    /// True when `lang` is a zero-shot language of this task.
    pub fn is_zero_shot(&self, lang: &str) -> bool {
        self.zero_shot_languages.iter().any(|l| l == lang)
    }
}

/// A setting reported per language plus the unweighted mean over languages.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PerLanguage {
    /// Unweighted mean over languages.
    pub mean: Measures,
    /// Per query language.
    #[serde(default)]
    pub per_language: BTreeMap<String, Measures>,
}

/// The cross-lingual setting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CrossSetting {
    /// Unweighted mean over language pairs.
    pub mean: Measures,
    /// Per pair; key `"X-Y"`: queries in X, pool in Y.
    #[serde(default)]
    pub pairs: BTreeMap<String, Measures>,
}

/// The multilingual setting, with its language-bias measures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MultiSetting {
    /// Unweighted mean over query languages.
    pub mean: Measures,
    /// Per query language.
    #[serde(default)]
    pub per_language: BTreeMap<String, Measures>,
    /// Rank distance (max − min rank of the relevant items), when measured.
    #[serde(default)]
    pub rank_distance: Option<RankDistance>,
    /// Same-language share of the top 10, per query language.
    #[serde(default)]
    pub same_language_share_at_10: BTreeMap<String, LanguageShare>,
}

/// Rank-distance summary over queries with at least two relevant items.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RankDistance {
    /// Mean over queries.
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    /// Median over queries.
    #[serde(deserialize_with = "nan_if_null")]
    pub median: f64,
    /// Number of queries measured.
    #[serde(default)]
    pub queries: u64,
    /// Per query language.
    #[serde(default)]
    pub per_language: BTreeMap<String, RankDistanceSummary>,
}

/// Rank-distance summary of one query language.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RankDistanceSummary {
    /// Mean over queries.
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    /// Median over queries.
    #[serde(deserialize_with = "nan_if_null")]
    pub median: f64,
    /// Number of queries measured.
    #[serde(default)]
    pub queries: u64,
}

/// Same-language share of the top-k, next to the language's share of the pool.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct LanguageShare {
    /// Fraction of the top-k in the query's language.
    #[serde(deserialize_with = "nan_if_null")]
    pub share: f64,
    /// That language's fraction of the pool.
    #[serde(deserialize_with = "nan_if_null")]
    pub pool_share: f64,
}

/// Metrics of a monolingual retrieval task (`"kind": "retrieval"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RetrievalTask {
    /// Task name.
    pub task: String,
    /// Number of queries.
    #[serde(default)]
    pub queries: u64,
    /// nDCG@10.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub ndcg_at_10: Option<f64>,
    /// Recall@100.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub recall_at_100: Option<f64>,
    /// Mean average precision.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub map: Option<f64>,
    /// MRR@10.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub mrr_at_10: Option<f64>,
}

/// Metrics of a bitext-retrieval task (`"kind": "bitext"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BitextTask {
    /// Task name.
    pub task: String,
    /// Number of aligned lines.
    #[serde(default)]
    pub lines: u64,
    /// Accuracy@1 source → target.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub forward_accuracy_at_1: Option<f64>,
    /// Accuracy@1 target → source.
    #[serde(default, deserialize_with = "opt_nan_if_null")]
    pub backward_accuracy_at_1: Option<f64>,
}

fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

fn opt_nan_if_null<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
    Ok(Some(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
      "schema_version": 1, "model": "trained", "train_languages": ["en", "de"],
      "extra_field": 1,
      "tasks": [
        {"task": "xquad-r", "kind": "qa", "languages": ["de", "en", "el"],
         "zero_shot_languages": ["el"],
         "mono": {"mean": {"queries": 3, "map": 0.5, "mrr_at_10": 0.6},
                  "per_language": {"en": {"queries": 1, "map": 0.4, "mrr_at_10": null}}},
         "cross": {"mean": {"queries": 6, "map": 0.3, "mrr_at_10": 0.4},
                   "pairs": {"en-de": {"queries": 1, "map": 0.2, "mrr_at_10": 0.3}}},
         "multi": {"mean": {"queries": 3, "map": 0.25, "mrr_at_10": 0.5},
                   "rank_distance": {"mean": 12.5, "median": 4.0, "queries": 3}}},
        {"task": "scifact", "kind": "retrieval", "queries": 10, "ndcg_at_10": 0.5},
        {"task": "tatoeba", "kind": "bitext", "lines": 5, "forward_accuracy_at_1": 0.9},
        {"task": "future", "kind": "something-new"}
      ]
    }"#;

    #[test]
    fn reads_the_contract_sample() {
        let m = Metrics::parse(Path::new("metrics.json"), SAMPLE).unwrap();
        assert_eq!(m.model, ModelKind::Trained);
        let qa = m.qa_task("xquad-r").unwrap();
        assert!(qa.is_zero_shot("el"));
        assert_eq!(qa.cross_pair("en", "de").unwrap().map, 0.2);
        assert!(qa.mono.as_ref().unwrap().per_language["en"]
            .mrr_at_10
            .is_nan());
        assert_eq!(
            qa.multi
                .as_ref()
                .unwrap()
                .rank_distance
                .as_ref()
                .unwrap()
                .mean,
            12.5
        );
        assert_eq!(m.tasks.len(), 4);
        assert!(matches!(m.tasks[3], TaskMetrics::Other));
    }

    #[test]
    fn errors_name_the_file_and_field() {
        let bad = SAMPLE.replace("\"map\": 0.5", "\"map\": \"high\"");
        let e = Metrics::parse(Path::new("runs/a/metrics.json"), &bad).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("runs/a/metrics.json"), "{msg}");
        assert!(msg.contains("tasks[0]"), "{msg}");
        let v2 = SAMPLE.replace("\"schema_version\": 1", "\"schema_version\": 2");
        assert!(matches!(
            Metrics::parse(Path::new("m.json"), &v2),
            Err(ReportError::SchemaVersion { found: 2, .. })
        ));
    }
}
