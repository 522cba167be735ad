//! Training units: parallel question–answer groups and translation pairs.

use std::collections::BTreeMap;

use crate::Lang;

/// One language's member of a parallel group: the question, its answer passage and,
/// optionally, the paragraph the answer comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMember {
    /// The question text in this language.
    pub question: String,
    /// The answer passage (the answer sentence for LAReQA data).
    pub answer: String,
    /// The paragraph holding the answer, when the source has one.
    pub context: Option<String>,
}

/// One question and its translations, keyed by the dataset's question id.
/// Groups may miss languages (MLQA-R); every group has at least one member.
#[derive(Debug, Clone, PartialEq)]
pub struct ParallelGroup {
    /// The dataset's question id shared by all translations.
    pub id: String,
    /// The members, one per language.
    pub members: BTreeMap<Lang, GroupMember>,
}

impl ParallelGroup {
    /// The languages this group exists in, sorted.
    pub fn languages(&self) -> impl Iterator<Item = Lang> + '_ {
        self.members.keys().copied()
    }
}

/// A sentence and its translation: a cross-lingual training pair and a bitext-retrieval item.
#[derive(Debug, Clone, PartialEq)]
pub struct TranslationPair {
    /// A stable id (source name and line number).
    pub id: String,
    /// Language of `source`.
    pub source_lang: Lang,
    /// The sentence in the source language.
    pub source: String,
    /// Language of `target`.
    pub target_lang: Lang,
    /// The translation of `source`.
    pub target: String,
}
