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
//! its own (keyed by the chunk's first row in the batch) in both passes, so the second pass
//! recomputes exactly the embeddings of the first (sentence-transformers' `RandContext` does
//! the same with saved RNG states).
//!
//! The same three steps train a data-parallel peer ([`shard_loss_gradients`]): it embeds only
//! its shard of the batch; with cross-device negatives step 2 runs on the embeddings of the
//! whole batch, gathered from every peer, and each peer keeps the gradient of its own rows
//! (the gather's backward); without, each peer's loss covers its shard, weighted by the
//! shard's share of the batch. Without `mini_batch` a peer keeps the graph of its one forward
//! pass per side instead of recomputing it.

use burn::optim::{GradientsAccumulator, GradientsParams};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};
use hbt_data::split::splitmix64;
use hbt_model::{embed_bucketed, Encoder};

use crate::trainer::step::StepEncoder;

use crate::error::{Result, TrainError};
use crate::loss::{info_nce, InfoNceConfig};
use crate::parallel::{with_random_source, Peer};

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
    /// The dropout seed of the chunk starting at row `first_row` of the batch on side `side`
    /// (0: questions, 1: answers), set in both passes over that chunk.
    pub fn chunk_seed(&self, side: usize, first_row: usize) -> u64 {
        splitmix64(self.dropout_seed ^ splitmix64(((side as u64) << 32) | first_row as u64))
    }
}

/// How a data-parallel peer computes its part of a batch's loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardLoss {
    /// Chunking and dropout seeds; `mini_batch` 0 embeds the shard in one pass per side and
    /// keeps its graph (no second pass).
    pub cached: CachedLoss,
    /// Score each question against the answers of the whole batch (every peer's), not only
    /// its shard's.
    pub cross_device_negatives: bool,
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
    let settings = ShardLoss {
        cached: CachedLoss {
            mini_batch: cached.mini_batch.max(1),
            ..cached
        },
        cross_device_negatives: true,
    };
    shard_loss_gradients(
        model.into(),
        questions,
        answers,
        loss,
        settings,
        scale,
        &Peer::solo(),
        device,
    )
}

/// Peer `peer`'s part of a batch's training step: the batch's loss (the same on every peer)
/// and the gradients of `scale` times that loss with respect to `model.trained`'s parameters from
/// this peer's rows only (summing them over the peers gives the whole batch's). `questions`
/// and `answers` are the whole batch's token ids.
///
/// # Errors
/// [`TrainError`] when a sequence cannot be embedded, the shapes do not match or a peer left
/// the session.
#[allow(clippy::too_many_arguments)]
pub fn shard_loss_gradients<B: AutodiffBackend>(
    model: StepEncoder<'_, B>,
    questions: &[Vec<u32>],
    answers: &[Vec<u32>],
    loss: &InfoNceConfig,
    settings: ShardLoss,
    scale: f64,
    peer: &Peer,
    device: &B::Device,
) -> Result<(f64, GradientsParams)> {
    let n = questions.len();
    if answers.len() != n {
        return Err(TrainError::Shape(format!(
            "{n} questions but {} answers",
            answers.len()
        )));
    }
    let cached = settings.cached;
    let recompute = cached.mini_batch > 0;
    let rows = peer.rows(n, cached.mini_batch.max(1));
    let chunk_len = if recompute {
        cached.mini_batch
    } else {
        n.max(1)
    };
    let sides = [&questions[rows.clone()], &answers[rows.clone()]];
    let embed = |side: usize, first_row: usize, ids: &[Vec<u32>]| {
        with_random_source(|| {
            B::seed(device, cached.chunk_seed(side, first_row));
            embed_bucketed(model.compute, ids, cached.length_buckets, device)
        })
        .map_err(TrainError::model)
    };

    // 1. This peer's embeddings: without graphs (recomputed in step 3), or with them kept.
    let mut kept: Vec<Vec<Tensor<B, 2>>> = vec![Vec::new(), Vec::new()];
    let mut leaves = Vec::with_capacity(2);
    for (side, ids) in sides.iter().enumerate() {
        let mut chunks = Vec::new();
        for (chunk, chunk_ids) in ids.chunks(chunk_len).enumerate() {
            let embeddings = embed(side, rows.start + chunk * chunk_len, chunk_ids)?;
            chunks.push(embeddings.clone().inner());
            if recompute {
                drop(embeddings);
                with_random_source(|| release_dropped_graphs(model.compute, device));
            } else {
                kept[side].push(embeddings);
            }
        }
        leaves.push(Tensor::cat(chunks, 0));
    }

    // 2. The loss and its gradients with respect to the embeddings.
    let across = settings.cross_device_negatives && !peer.is_solo();
    let (leaves, offset, weight) = if across {
        let gathered = leaves
            .into_iter()
            .map(|local| peer.gather(local, rows.clone(), n))
            .collect::<Result<Vec<_>>>()?;
        (gathered, rows.start, 1.0)
    } else {
        (leaves, 0, rows.len() as f64 / n as f64)
    };
    let [q_leaf, a_leaf]: [Tensor<B, 2>; 2] = leaves
        .into_iter()
        .map(|leaf| Tensor::<B, 2>::from_inner(leaf).require_grad())
        .collect::<Vec<_>>()
        .try_into()
        .expect("two sides");
    let value = info_nce(q_leaf.clone(), a_leaf.clone(), loss)?.mul_scalar(weight);
    let loss_value = if across {
        value.clone().into_scalar().elem::<f64>()
    } else {
        peer.sum(value.clone().inner())?.into_scalar().elem::<f64>()
    };
    let embedding_grads = with_random_source(|| value.mul_scalar(scale).backward());
    let side_grads = [&q_leaf, &a_leaf].map(|leaf| {
        leaf.grad(&embedding_grads)
            .expect("the loss depends on every embedding")
            .slice(offset..offset + rows.len())
    });

    // 3. Each chunk's cached gradient back-propagated through its graph.
    let mut total = GradientsAccumulator::<Encoder<B>>::new();
    for (side, ids) in sides.iter().enumerate() {
        let mut kept_chunks = std::mem::take(&mut kept[side]).into_iter();
        for (chunk, chunk_ids) in ids.chunks(chunk_len).enumerate() {
            let start = chunk * chunk_len;
            let embeddings = match kept_chunks.next() {
                Some(embeddings) => embeddings,
                None => embed(side, rows.start + start, chunk_ids)?,
            };
            let grad = side_grads[side]
                .clone()
                .slice(start..start + chunk_ids.len());
            let surrogate = (embeddings * Tensor::<B, 2>::from_inner(grad)).sum();
            let backward = with_random_source(|| surrogate.backward());
            total.accumulate(
                model.trained,
                GradientsParams::from_grads(backward, model.trained),
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
