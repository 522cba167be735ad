//! One batch through the encoder: tokenize questions and answers, embed both sides and apply
//! the contrastive loss.

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use hbt_data::tokenize::TextTokenizer;
use hbt_model::{Encoder, EncoderBatch};

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
    loss: &InfoNceConfig,
    device: &B::Device,
) -> Result<Tensor<B, 1>> {
    let questions = tokenize(tokenizer, batch.pairs.iter().map(|p| p.question.as_str()))?;
    let answers = tokenize(tokenizer, batch.pairs.iter().map(|p| p.answer.as_str()))?;
    let embed = |ids: &[Vec<u32>]| -> Result<Tensor<B, 2>> {
        let input =
            EncoderBatch::from_sequences(ids, model.config(), device).map_err(TrainError::model)?;
        Ok(model.embed(&input))
    };
    info_nce(embed(&questions)?, embed(&answers)?, loss)
}
