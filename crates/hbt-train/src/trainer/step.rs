//! One training step: each batch through the encoder (tokenize questions and answers, embed
//! both sides, the contrastive loss), the gradients of the step's batches averaged, clipped
//! and applied by the optimizer. The training loop and the training benchmark both use it.

use burn::optim::{GradientsAccumulator, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::Tensor;
use hbt_data::tokenize::TextTokenizer;
use hbt_model::{embed_bucketed, Encoder};
use hbt_schema::TextRole;

use crate::error::{Result, TrainError};
use crate::loss::{info_nce, InfoNceConfig};
use crate::parallel::Peer;
use crate::sampler::Batch;
use crate::trainer::clip::{clip_global_norm, global_norm, scale_gradients};
use crate::trainer::precision::LossScale;

/// The encoder a step computes with and the encoder whose parameters it trains: one encoder,
/// or (mixed precision) a low-precision copy of the trained encoder through which the
/// gradients flow back to it ([`crate::trainer::precision`]).
#[derive(Debug)]
pub struct StepEncoder<'a, B: Backend> {
    /// Embeds the batch.
    pub compute: &'a Encoder<B>,
    /// Holds the parameters the gradients are read for.
    pub trained: &'a Encoder<B>,
}

impl<B: Backend> Clone for StepEncoder<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B: Backend> Copy for StepEncoder<'_, B> {}

impl<'a, B: Backend> From<&'a Encoder<B>> for StepEncoder<'a, B> {
    /// The encoder computing and trained.
    fn from(model: &'a Encoder<B>) -> Self {
        StepEncoder {
            compute: model,
            trained: model,
        }
    }
}

/// Token ids of some texts in one role (the role's prefix first).
pub fn tokenize<'a>(
    tokenizer: &TextTokenizer,
    role: TextRole,
    texts: impl Iterator<Item = &'a str>,
) -> Result<Vec<Vec<u32>>> {
    texts
        .map(|t| tokenizer.encode_as(role, t).map_err(TrainError::data))
        .collect()
}

/// Token ids of some sequences, one vector per text.
pub type TokenIds = Vec<Vec<u32>>;

/// Token ids of a batch's questions (query role) and answers (passage role).
pub fn batch_ids(tokenizer: &TextTokenizer, batch: &Batch) -> Result<(TokenIds, TokenIds)> {
    let questions = tokenize(
        tokenizer,
        TextRole::Query,
        batch.pairs.iter().map(|p| p.question.as_str()),
    )?;
    let answers = tokenize(
        tokenizer,
        TextRole::Passage,
        batch.pairs.iter().map(|p| p.answer.as_str()),
    )?;
    Ok((questions, answers))
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
    let (questions, answers) = batch_ids(tokenizer, batch)?;
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

/// The gradients of one optimizer step over `batches` batches: each batch's loss is divided by
/// the number of batches (their gradients are averaged), then clipped and applied once.
pub struct StepGradients<B: AutodiffBackend> {
    accumulated: GradientsAccumulator<Encoder<B>>,
    batches: usize,
    /// The f16 loss scale the losses are multiplied by (1 otherwise).
    loss_scale: f64,
}

impl<B: AutodiffBackend> StepGradients<B> {
    /// An empty step over `batches` batches (at least 1).
    pub fn new(batches: usize) -> Self {
        StepGradients {
            accumulated: GradientsAccumulator::new(),
            batches: batches.max(1),
            loss_scale: 1.0,
        }
    }

    /// The same, with each loss also multiplied by `loss_scale` before its backward pass
    /// (f16 training; [`StepGradients::apply`] divides it out again).
    pub fn with_loss_scale(mut self, loss_scale: Option<&LossScale>) -> Self {
        self.loss_scale = loss_scale.map_or(1.0, |s| s.scale);
        self
    }

    /// Back-propagates one batch's loss (scaled by [`StepGradients::loss_scale`]) and adds
    /// its gradients to those of `model`'s parameters.
    pub fn add(&mut self, model: &Encoder<B>, loss: Tensor<B, 1>) {
        let loss = loss.div_scalar(self.batches as f64);
        let loss = if self.loss_scale == 1.0 {
            loss
        } else {
            loss.mul_scalar(self.loss_scale)
        };
        let grads = GradientsParams::from_grads(loss.backward(), model);
        self.accumulated.accumulate(model, grads);
    }

    /// The factor of each batch's loss: 1 / batches, times the f16 loss scale.
    pub fn loss_scale(&self) -> f64 {
        self.loss_scale / self.batches as f64
    }

    /// Adds gradients computed elsewhere (already scaled by [`StepGradients::loss_scale`]),
    /// e.g. by the cached loss.
    pub fn add_gradients(&mut self, model: &Encoder<B>, grads: GradientsParams) {
        self.accumulated.accumulate(model, grads);
    }

    /// Sums the gradients over the peers of a data-parallel session (nothing for a lone peer).
    ///
    /// # Errors
    /// [`TrainError::Collective`] when a peer left the session.
    pub fn sum_across(&mut self, model: &Encoder<B>, peer: &Peer) -> Result<()> {
        if !peer.is_solo() {
            let summed = peer.sum_gradients(model, self.accumulated.grads())?;
            self.accumulated.accumulate(model, summed);
        }
        Ok(())
    }

    /// Clips the summed gradients to `max_grad_norm` (when given) and applies the update. With
    /// an f16 `loss_scale`, the gradients are first divided by it, and a step whose gradients
    /// overflowed is skipped (the model returned as it was) and recorded in the scale.
    pub fn apply<O: Optimizer<Encoder<B>, B>>(
        mut self,
        model: Encoder<B>,
        optimizer: &mut O,
        learning_rate: f64,
        max_grad_norm: Option<f64>,
        loss_scale: Option<&mut LossScale>,
    ) -> Encoder<B> {
        let mut grads = self.accumulated.grads();
        if let Some(loss_scale) = loss_scale {
            scale_gradients::<B, _>(&model, &mut grads, 1.0 / self.loss_scale);
            if !loss_scale.update(global_norm::<B, _>(&model, &grads).is_finite()) {
                return model;
            }
        }
        if let Some(max_norm) = max_grad_norm {
            clip_global_norm::<B, _>(&model, &mut grads, max_norm);
        }
        optimizer.step(learning_rate, model, grads)
    }
}
