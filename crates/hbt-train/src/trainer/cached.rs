//! The cached contrastive loss (GradCache; Gao et al. 2021, as sentence-transformers'
//! `CachedMultipleNegativesRankingLoss` and Tevatron's `--grad_cache`): a large batch trains in
//! the memory of a small chunk, with the loss and gradients of the whole batch.
//!
//! 1. Embed the questions and the answers chunk by chunk, keeping no graph (each chunk's
//!    graph is dropped as soon as its embeddings are copied out).
//! 2. Compute the InfoNCE loss of the whole batch on those embeddings as leaves of a small
//!    graph, and its gradient with respect to every embedding.
//! 3. Embed each chunk again, this time with its graph, and back-propagate the cached
//!    embedding gradients through it (the surrogate `sum(embedding * gradient)` has exactly
//!    those gradients); the parameter gradients of the chunks add up to the whole batch's.
//!
//! Dropout draws its masks from the backend's generator: each chunk reseeds it with a seed of
//! its own in both passes, so the second pass recomputes exactly the embeddings of the first
//! (sentence-transformers' `RandContext` does the same with saved RNG states).

use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};
use hbt_data::split::splitmix64;
use hbt_model::{embed_bucketed, Encoder};

use crate::error::{Result, TrainError};
use crate::loss::{info_nce, InfoNceConfig};

/// How one batch is split and seeded for the cached loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachedLoss {
    /// Sequences per forward pass (at least 1).
    pub mini_batch: usize,
    /// Forward passes per chunk over sequences of similar length (see [`embed_bucketed`]).
    pub length_buckets: usize,
    /// Seed of this batch's dropout masks; each chunk's seed derives from it.
    pub dropout_seed: u64,
}

impl CachedLoss {
    /// The dropout seed of chunk `chunk` of side `side` (0: questions, 1: answers), set in
    /// both passes over that chunk.
    pub fn chunk_seed(&self, side: usize, chunk: usize) -> u64 {
        splitmix64(self.dropout_seed ^ splitmix64(((side as u64) << 32) | chunk as u64))
    }
}

/// The loss of a batch (questions against their answers, row i answers row i) and the
/// gradients of `scale` times that loss with respect to `model`'s parameters, computed with
/// the cached loss: memory of one chunk of `cached.mini_batch` sequences, not of the batch.
///
/// # Errors
/// [`TrainError`] when a sequence cannot be embedded or the shapes do not match.
pub fn cached_loss_gradients<B: AutodiffBackend>(
    model: &Encoder<B>,
    questions: &[Vec<u32>],
    answers: &[Vec<u32>],
    loss: &InfoNceConfig,
    cached: CachedLoss,
    scale: f64,
    device: &B::Device,
) -> Result<(f64, GradientsParams)> {
    let mini_batch = cached.mini_batch.max(1);
    let sides = [questions, answers];
    let embed = |side: usize, chunk: usize, ids: &[Vec<u32>]| {
        B::seed(device, cached.chunk_seed(side, chunk));
        embed_bucketed(model, ids, cached.length_buckets, device).map_err(TrainError::model)
    };

    // 1. Embeddings without graphs.
    let mut leaves = Vec::with_capacity(2);
    for (side, ids) in sides.iter().enumerate() {
        let chunks: Vec<Tensor<B::InnerBackend, 2>> = ids
            .chunks(mini_batch)
            .enumerate()
            .map(|(chunk, ids)| {
                let embeddings = embed(side, chunk, ids).map(|e| e.inner());
                release_dropped_graphs(model, device);
                embeddings
            })
            .collect::<Result<_>>()?;
        leaves.push(Tensor::<B, 2>::from_inner(Tensor::cat(chunks, 0)).require_grad());
    }
    let [cached_questions, cached_answers]: [Tensor<B, 2>; 2] =
        leaves.try_into().expect("two sides");

    // 2. The whole batch's loss and its gradients with respect to the embeddings.
    let value = info_nce(cached_questions.clone(), cached_answers.clone(), loss)?;
    let loss_value = value.clone().into_scalar().elem::<f64>();
    let embedding_grads = value.mul_scalar(scale).backward();
    let side_grads = [&cached_questions, &cached_answers].map(|leaf| {
        leaf.grad(&embedding_grads)
            .expect("the loss depends on every embedding")
    });

    // 3. Each chunk again, with its graph, back-propagating its cached gradient.
    let mut total = GradientsAccumulator::<Encoder<B>>::new();
    for (side, ids) in sides.iter().enumerate() {
        for (chunk, chunk_ids) in ids.chunks(mini_batch).enumerate() {
            let start = chunk * mini_batch;
            let grad = side_grads[side]
                .clone()
                .slice(start..start + chunk_ids.len());
            let embeddings = embed(side, chunk, chunk_ids)?;
            let surrogate = (embeddings * Tensor::<B, 2>::from_inner(grad)).sum();
            total.accumulate(
                model,
                GradientsParams::from_grads(surrogate.backward(), model),
            );
        }
    }
    Ok((loss_value, total.grads()))
}

/// Frees the saved activations of graph nodes nothing refers to any more (a chunk's, once its
/// embeddings were copied out). burn's autodiff frees them only when a backward pass runs in
/// the same graph (the one the model's parameters are in), so without this the first pass
/// would keep every chunk's activations until the loss's backward: as much memory as the
/// uncached batch. The probe is one one-token sequence through the model, and its backward.
fn release_dropped_graphs<B: AutodiffBackend>(model: &Encoder<B>, device: &B::Device) {
    if let Ok(probe) = embed_bucketed(model, &[[PROBE_TOKEN]], 1, device) {
        let _ = probe.sum().backward();
    }
}

/// The token of the probe sequence (any id the vocabulary has).
const PROBE_TOKEN: u32 = 5;
