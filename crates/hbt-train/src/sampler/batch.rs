//! What a sampler yields: batches of question–answer pairs.

use hbt_data::Lang;
use serde::{Deserialize, Serialize};

pub use hbt_schema::BatchKind;

/// One training pair: a question and its answer, each in a language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// The parallel group (or translation pair) it comes from.
    pub group_id: String,
    /// Language of the question.
    pub question_lang: Lang,
    /// The question text (a translation pair's source sentence).
    pub question: String,
    /// Language of the answer.
    pub answer_lang: Lang,
    /// The answer text (a translation pair's target sentence).
    pub answer: String,
}

/// One batch: its kind, the index of the source it was drawn from and its pairs. No two pairs
/// come from the same parallel group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// How the batch was composed.
    pub kind: BatchKind,
    /// Index of the source in the sampler's source list.
    pub source: usize,
    /// The pairs; row `i`'s answer is the positive of question `i`, all others are negatives.
    pub pairs: Vec<Pair>,
}
