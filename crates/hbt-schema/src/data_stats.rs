//! `data_stats.json`: what the data stage of a run loaded (training sources with their
//! train/dev split, evaluation tasks with token-length statistics, the tokenizer), and the
//! parallel-group summary that `hbt data stats` also prints.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// The file name in a run folder.
pub const DATA_STATS_FILE: &str = "data_stats.json";

/// The whole `data_stats.json` of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataStats {
    /// One entry per training source.
    pub train: Vec<TrainSourceStats>,
    /// One entry per evaluation task.
    pub eval: Vec<EvalTaskStats>,
    /// The run's tokenizer.
    pub tokenizer: TokenizerStats,
}

/// A training source after loading, language filtering and the train/dev split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSourceStats {
    /// The reference from the experiment file.
    pub source: String,
    /// Its parallel groups (train and dev together).
    pub groups: GroupSummary,
    /// Groups in the train split.
    pub train_groups: usize,
    /// Groups held out as the dev split.
    pub dev_groups: usize,
    /// Translation pairs (cross-lingual training pairs).
    pub translation_pairs: usize,
}

/// An evaluation task's size, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum EvalTaskStats {
    /// QA retrieval with a multilingual pool.
    Qa {
        /// Task name.
        task: String,
        /// Per language.
        languages: BTreeMap<Lang, QaLanguageStats>,
    },
    /// Monolingual ad-hoc retrieval.
    Retrieval {
        /// Task name.
        task: String,
        /// Number of queries.
        queries: usize,
        /// Number of documents.
        documents: usize,
    },
    /// Bitext retrieval.
    Bitext {
        /// Task name.
        task: String,
        /// Number of aligned lines.
        lines: usize,
    },
}

/// One language of a QA task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QaLanguageStats {
    /// Number of questions.
    pub questions: usize,
    /// Number of candidates.
    pub candidates: usize,
    /// Token lengths of the questions.
    pub question_tokens: TokenStats,
    /// Token lengths of the candidates (as encoded: with their paragraph when configured).
    pub candidate_tokens: TokenStats,
}

/// Token-length statistics of some texts under the run's tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenStats {
    /// Number of texts.
    pub texts: usize,
    /// Mean tokens per text (special tokens included).
    pub mean_tokens: f64,
    /// Share of texts cut at the tokenizer's `max_len`.
    pub share_at_max_len: f64,
}

/// The run's tokenizer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenizerStats {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Longest sequence in tokens.
    pub max_len: usize,
    /// The tokenizer.json it was loaded from (empty: trained on the run's training text).
    pub pretrained: String,
}

/// How parallel groups are spread over languages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSummary {
    /// Number of groups.
    pub groups: usize,
    /// Number of groups covering exactly N languages, keyed by N.
    pub by_language_count: BTreeMap<usize, usize>,
    /// Number of groups that exist in each language.
    pub per_language: BTreeMap<Lang, usize>,
}

impl GroupSummary {
    /// Summarises groups given by their languages (one list per group).
    pub fn of<G: IntoIterator<Item = Lang>>(groups: impl IntoIterator<Item = G>) -> GroupSummary {
        let mut summary = GroupSummary::default();
        for languages in groups {
            summary.groups += 1;
            let mut count = 0;
            for lang in languages {
                count += 1;
                *summary.per_language.entry(lang).or_default() += 1;
            }
            *summary.by_language_count.entry(count).or_default() += 1;
        }
        summary
    }
}
