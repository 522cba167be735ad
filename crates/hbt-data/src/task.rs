//! Question–answer retrieval tasks with a multilingual candidate pool (XQuAD-R, MLQA-R).

use std::collections::{BTreeMap, HashMap};

use crate::squad::SquadFile;
use crate::Lang;

/// Identity of a candidate sentence: its language, paragraph and sentence index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CandidateId {
    /// Language of the candidate.
    pub lang: Lang,
    /// Index of the paragraph in its language file.
    pub paragraph: usize,
    /// Index of the sentence in its paragraph.
    pub sentence: usize,
}

/// A candidate answer sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Where the sentence comes from.
    pub id: CandidateId,
    /// The sentence text.
    pub text: String,
}

/// A question of the task with its one same-language answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskQuestion {
    /// The parallel-group id (the dataset's question id).
    pub group_id: String,
    /// The question text.
    pub text: String,
    /// Index of the answer sentence in the same language's `candidates`.
    pub answer: usize,
}

/// One language's questions and candidates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LanguagePool {
    /// Questions in file order.
    pub questions: Vec<TaskQuestion>,
    /// Every sentence of every paragraph, in file order.
    pub candidates: Vec<Candidate>,
    /// Paragraph texts, indexed by `CandidateId::paragraph`.
    pub contexts: Vec<String>,
}

/// A QA retrieval task: questions and candidate sentences per language. The relevant answers
/// of a question in the multilingual setting are its group's answer sentences in every language.
#[derive(Debug, Clone, PartialEq)]
pub struct QaTask {
    /// Dataset name, e.g. `xquad-r`.
    pub name: String,
    /// Per-language pools, sorted by language.
    pub pools: BTreeMap<Lang, LanguagePool>,
    answers_by_group: HashMap<String, Vec<(Lang, usize)>>,
}

impl QaTask {
    /// Builds the task from checked SQuAD files, one per language.
    pub fn from_files(name: &str, files: &[SquadFile]) -> QaTask {
        let mut pools = BTreeMap::new();
        let mut answers_by_group: HashMap<String, Vec<(Lang, usize)>> = HashMap::new();
        for file in files {
            let mut pool = LanguagePool::default();
            for (p, para) in file.paragraphs.iter().enumerate() {
                let first = pool.candidates.len();
                pool.contexts.push(para.context.clone());
                for (s, text) in para.sentences.iter().enumerate() {
                    let id = CandidateId {
                        lang: file.lang,
                        paragraph: p,
                        sentence: s,
                    };
                    pool.candidates.push(Candidate {
                        id,
                        text: text.clone(),
                    });
                }
                for q in &para.questions {
                    let answer = first + q.answer_sentence;
                    answers_by_group
                        .entry(q.id.clone())
                        .or_default()
                        .push((file.lang, answer));
                    pool.questions.push(TaskQuestion {
                        group_id: q.id.clone(),
                        text: q.text.clone(),
                        answer,
                    });
                }
            }
            pools.insert(file.lang, pool);
        }
        for answers in answers_by_group.values_mut() {
            answers.sort();
        }
        QaTask {
            name: name.to_string(),
            pools,
            answers_by_group,
        }
    }

    /// The task's languages, sorted.
    pub fn languages(&self) -> Vec<Lang> {
        self.pools.keys().copied().collect()
    }

    /// The answer sentences of a group in every language it exists in, as
    /// (language, index into that language's candidates), sorted by language.
    pub fn answers_of(&self, group_id: &str) -> &[(Lang, usize)] {
        self.answers_by_group
            .get(group_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The text a candidate is encoded as: the sentence alone, or the sentence followed by
    /// its paragraph when `with_context` is set.
    pub fn candidate_text(&self, lang: Lang, index: usize, with_context: bool) -> String {
        let pool = &self.pools[&lang];
        let candidate = &pool.candidates[index];
        if with_context {
            format!(
                "{} {}",
                candidate.text, pool.contexts[candidate.id.paragraph]
            )
        } else {
            candidate.text.clone()
        }
    }
}
