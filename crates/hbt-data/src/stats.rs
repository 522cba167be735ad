//! Statistics of a dataset: questions and candidates per language, and how many languages
//! each parallel group covers.

use serde::Serialize;

use crate::lareqa::LareqaDataset;
use crate::Lang;

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

pub use hbt_schema::GroupSummary;

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
            groups: GroupSummary::of(dataset.groups().iter().map(|g| g.languages())),
        }
    }
}
