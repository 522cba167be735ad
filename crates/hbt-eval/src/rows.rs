//! Per-query rows: what `per_query.parquet` holds, one row per query and setting.

use std::fmt;
use std::str::FromStr;

use crate::error::EvalError;
use crate::metrics::QueryMetrics;

/// The evaluation setting of a row (the `setting` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Setting {
    /// QA: queries and pool in one language.
    Mono,
    /// QA: queries in X, pool in Y ≠ X.
    Cross,
    /// QA: queries in X, pool of every language.
    Multi,
    /// BEIR / MIRACL ad-hoc retrieval.
    Retrieval,
    /// Bitext: source lines retrieve target lines.
    BitextForward,
    /// Bitext: target lines retrieve source lines.
    BitextBackward,
}

impl Setting {
    /// Every setting, in column-value order.
    pub const ALL: [Setting; 6] = [
        Setting::Mono,
        Setting::Cross,
        Setting::Multi,
        Setting::Retrieval,
        Setting::BitextForward,
        Setting::BitextBackward,
    ];

    /// The column value: `mono`, `cross`, `multi`, `retrieval`, `bitext-forward`,
    /// `bitext-backward`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Setting::Mono => "mono",
            Setting::Cross => "cross",
            Setting::Multi => "multi",
            Setting::Retrieval => "retrieval",
            Setting::BitextForward => "bitext-forward",
            Setting::BitextBackward => "bitext-backward",
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Setting {
    type Err = EvalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Setting::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| EvalError::Invalid(format!("unknown setting `{s}`")))
    }
}

/// The `pool_lang` of multi rows.
pub const ALL_LANGUAGES: &str = "all";

/// The language column value of a retrieval task whose language is not known.
pub const UNKNOWN_LANGUAGE: &str = "und";

/// One row of `per_query.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct PerQueryRow {
    /// Task name.
    pub dataset: String,
    /// Setting.
    pub setting: Setting,
    /// Language of the query.
    pub query_lang: String,
    /// Language of the pool ([`ALL_LANGUAGES`] for multi).
    pub pool_lang: String,
    /// Query id: the group id for QA (with `query_lang`, unique within a setting and pool),
    /// the query id for retrieval, the 0-based line index for bitext.
    pub query_id: String,
    /// Average precision.
    pub ap: f64,
    /// Reciprocal rank (full ranking).
    pub rr: f64,
    /// Reciprocal rank at 10.
    pub rr_at_10: f64,
    /// Recall@10.
    pub recall_at_10: f64,
    /// nDCG@10.
    pub ndcg_at_10: f64,
    /// 1-based ranks of the relevant items present in the pool, ascending.
    pub relevant_ranks: Vec<u32>,
}

impl PerQueryRow {
    /// A row from a query's metrics and ranks (sorted here).
    pub fn new(
        dataset: &str,
        setting: Setting,
        query_lang: &str,
        pool_lang: &str,
        query_id: &str,
        metrics: &QueryMetrics,
        ranks: &[u32],
    ) -> PerQueryRow {
        let mut relevant_ranks = ranks.to_vec();
        relevant_ranks.sort_unstable();
        PerQueryRow {
            dataset: dataset.to_string(),
            setting,
            query_lang: query_lang.to_string(),
            pool_lang: pool_lang.to_string(),
            query_id: query_id.to_string(),
            ap: metrics.ap,
            rr: metrics.rr,
            rr_at_10: metrics.rr_at_10,
            recall_at_10: metrics.recall_at_10,
            ndcg_at_10: metrics.ndcg_at_10,
            relevant_ranks,
        }
    }
}
