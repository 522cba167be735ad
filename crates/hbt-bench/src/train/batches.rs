//! The training batches of the benchmark: XQuAD-R pairs shuffled from the seed, tokenized
//! once, and their export for the PyTorch reference.

use std::path::Path;

use anyhow::{Context, Result};
use hbt_data::split::splitmix64;
use hbt_data::tokenize::TextTokenizer;
use hbt_model::backend::FlexBackend;
use hbt_model::{save_hf_dir, Encoder, EncoderConfig};
use hbt_schema::TextRole;
use serde::Serialize;

use super::{LEARNING_RATE, MAX_GRAD_NORM, QUESTION_MAX, TEMPERATURE, WEIGHT_DECAY};
use crate::files::write_json;

/// Token ids of one training batch.
#[derive(Debug, Clone, Serialize)]
pub struct TokenBatch {
    /// Question token ids, at most 32 each.
    pub questions: Vec<Vec<u32>>,
    /// Answer token ids, at most 128 each (the tokenizer's max_len); answer i belongs to question i.
    pub answers: Vec<Vec<u32>>,
}

impl TokenBatch {
    /// Non-padding tokens of both sides.
    pub fn tokens(&self) -> usize {
        self.questions
            .iter()
            .chain(&self.answers)
            .map(Vec::len)
            .sum()
    }

    /// Tokens of both sides, each padded to its longest sequence.
    pub fn padded_tokens(&self) -> usize {
        padded(&self.questions) + padded(&self.answers)
    }
}

/// Tokens of `sequences` padded to the longest.
fn padded(sequences: &[Vec<u32>]) -> usize {
    sequences.len() * sequences.iter().map(Vec::len).max().unwrap_or(0)
}

/// `steps` batches of `batch_pairs` pairs, shuffled from `seed`, tokenized with questions
/// cut to [`QUESTION_MAX`] tokens.
pub(super) fn token_batches(
    pairs: &[(String, String)],
    tokenizer: &TextTokenizer,
    steps: usize,
    batch_pairs: usize,
    seed: u64,
) -> Result<Vec<TokenBatch>> {
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    let mut state = seed;
    for i in (1..order.len()).rev() {
        state = splitmix64(state);
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    order
        .chunks_exact(batch_pairs)
        .take(steps)
        .map(|chunk| {
            let mut batch = TokenBatch {
                questions: Vec::with_capacity(batch_pairs),
                answers: Vec::with_capacity(batch_pairs),
            };
            for &i in chunk {
                let mut question = tokenizer.encode_as(TextRole::Query, &pairs[i].0)?;
                question.truncate(QUESTION_MAX);
                batch.questions.push(question);
                // The tokenizer's max_len is ANSWER_MAX: answers come out cut already.
                batch
                    .answers
                    .push(tokenizer.encode_as(TextRole::Passage, &pairs[i].1)?);
            }
            Ok(batch)
        })
        .collect()
}

/// Writes the initial weights (`DIR/model/`, Hugging Face layout) and the batches with the
/// benchmark's settings (`DIR/batches.json`) for the PyTorch reference.
pub(super) fn export(
    dir: &Path,
    config: &EncoderConfig,
    batches: &[TokenBatch],
    seed: u64,
) -> Result<()> {
    let model = Encoder::<FlexBackend>::init(config, seed, &Default::default())?;
    save_hf_dir(&model, &dir.join("model"), None)
        .with_context(|| format!("--export {}", dir.display()))?;
    let json = serde_json::json!({
        "learning_rate": LEARNING_RATE,
        "weight_decay": WEIGHT_DECAY,
        "max_grad_norm": MAX_GRAD_NORM,
        "temperature": TEMPERATURE,
        "pad_token_id": config.pad_token_id,
        "batches": batches,
    });
    write_json(&dir.join("batches.json"), &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_counts_each_side_at_its_longest() {
        let batch = TokenBatch {
            questions: vec![vec![1, 2], vec![1]],
            answers: vec![vec![1, 2, 3], vec![1]],
        };
        assert_eq!(batch.tokens(), 7);
        assert_eq!(batch.padded_tokens(), 4 + 6);
    }
}
