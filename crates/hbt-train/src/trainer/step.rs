//! One batch through the encoder: tokenize questions and answers, embed both sides and apply
//! the contrastive loss.

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use hbt_data::tokenize::TextTokenizer;
use hbt_model::{embed_bucketed, Encoder};

use crate::error::{Result, TrainError};
use crate::loss::{info_nce, InfoNceConfig};
use crate::sampler::Batch;

/// Token ids of some texts.
pub fn tokenize<'a>(
    tokenizer: &TextTokenizer,
    texts: impl Iterator<Item = &'a str>,
) -> Result<Vec<Vec<u32>>> {
    texts
        .map(|t| tokenizer.encode(t).map_err(TrainError::data))
        .collect()
}

/// The InfoNCE loss of one batch (questions against their answers).
pub fn batch_loss<B: Backend>(
    model: &Encoder<B>,
    batch: &Batch,
    tokenizer: &TextTokenizer,
    length_buckets: usize,
    loss: &InfoNceConfig,
    device: &B::Device,
) -> Result<Tensor<B, 1>> {
    let questions = tokenize(tokenizer, batch.pairs.iter().map(|p| p.question.as_str()))?;
    let answers = tokenize(tokenizer, batch.pairs.iter().map(|p| p.answer.as_str()))?;
    ids_loss(model, &questions, &answers, length_buckets, loss, device)
}

/// The InfoNCE loss of tokenized questions against their answers (row i answers row i), each
/// side embedded in `length_buckets` forward passes over sequences of similar length (1: one
/// padded batch per side; see [`embed_bucketed`]).
pub fn ids_loss<B: Backend>(
    model: &Encoder<B>,
    questions: &[Vec<u32>],
    answers: &[Vec<u32>],
    length_buckets: usize,
    loss: &InfoNceConfig,
    device: &B::Device,
) -> Result<Tensor<B, 1>> {
    let embed = |ids: &[Vec<u32>]| {
        embed_bucketed(model, ids, length_buckets, device).map_err(TrainError::model)
    };
    info_nce(embed(questions)?, embed(answers)?, loss)
}
