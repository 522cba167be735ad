//! Statistics of a dataset: questions and candidates per language, and how many languages
//! each parallel group covers.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::groups::ParallelGroup;
use crate::lang::Lang;
use crate::lareqa::LareqaDataset;

/// Counts for one language of a QA dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LanguageStats {
    /// The language.
    pub lang: Lang,
    /// Number of questions.
    pub questions: usize,
    /// Number of candidate sentences.
    pub candidates: usize,
    /// Number of paragraphs.
    pub paragraphs: usize,
}

/// How parallel groups are spread over languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct GroupSummary {
    /// Number of groups.
    pub groups: usize,
    /// Number of groups covering exactly N languages, keyed by N.
    pub by_language_count: BTreeMap<usize, usize>,
    /// Number of groups that exist in each language.
    pub per_language: BTreeMap<Lang, usize>,
}

impl GroupSummary {
    /// Summarises a set of groups.
    pub fn of(groups: &[ParallelGroup]) -> GroupSummary {
        let mut summary = GroupSummary {
            groups: groups.len(),
            ..Default::default()
        };
        for group in groups {
            *summary
                .by_language_count
                .entry(group.members.len())
                .or_default() += 1;
            for lang in group.languages() {
                *summary.per_language.entry(lang).or_default() += 1;
            }
        }
        summary
    }
}

/// Statistics of a LAReQA-layout dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatasetStats {
    /// Dataset name.
    pub name: String,
    /// Per-language counts, sorted by language.
    pub languages: Vec<LanguageStats>,
    /// Parallel-group summary.
    pub groups: GroupSummary,
}

impl DatasetStats {
    /// Computes the statistics of a dataset.
    pub fn of(dataset: &LareqaDataset) -> DatasetStats {
        let languages = dataset
            .files
            .iter()
            .map(|f| LanguageStats {
                lang: f.lang,
                questions: f.question_count(),
                candidates: f.sentence_count(),
                paragraphs: f.paragraphs.len(),
            })
            .collect();
        DatasetStats {
            name: dataset.name.clone(),
            languages,
            groups: GroupSummary::of(&dataset.groups()),
        }
    }
}
