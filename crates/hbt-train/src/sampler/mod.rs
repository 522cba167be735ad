//! Batch samplers of hybrid batch training.
//!
//! # Strategies
//! - [`Strategy::Mono`] (X-X-mono): one language for the whole batch, question and answer in it.
//!   The language is drawn in proportion to the number of groups that have it (or uniformly
//!   among the source's languages with [`LanguageWeighting::Uniform`]).
//! - [`Strategy::Mixed`] (X-X): each pair in one language, drawn uniformly among its group's
//!   languages; languages vary inside the batch.
//! - [`Strategy::Cross`] (X-Y): each pair has question language X and answer language Y ≠ X,
//!   drawn per pair uniformly among the group's ordered language pairs.
//! - [`Strategy::Hybrid`]: each batch is mono with probability α ([`SamplerConfig::alpha`]),
//!   else cross.
//!
//! With several sources, each batch's source is drawn in proportion to its size (usable groups
//! or translation pairs). A source holds either parallel groups or translation pairs. A
//! translation-pair source always yields [`BatchKind::Cross`] batches whatever the strategy
//! (its source sentence is the "question", its target the "answer"): it has no monolingual
//! pairs to give. Under strategies that draw cross batches (`cross`, `hybrid` with α < 1)
//! groups with a single language are dropped, since they cannot form a cross pair
//! ([`BatchSampler::dropped`] counts them).
//!
//! # Epochs (the visiting rule)
//! Every source has its own epochs. Epoch `e` of source `s` is a shuffled order of its units
//! that depends only on `(seed, s, e)`. A batch takes the *first unvisited units of the
//! current epoch order* that fit it (any unit for mixed and cross batches; units having the
//! batch language for a mono batch) and marks them visited. No unit is visited twice in an
//! epoch, and the next epoch starts only when every unit of the current one has been visited,
//! so **every group is visited once before any repeats**. Batches stay full:
//! - a mono batch draws its language only among the languages that still have at least
//!   `batch_size` unvisited groups in this epoch (weights renormalised);
//! - when none has (the epoch's tail), the language is drawn among those with any unvisited
//!   group, and the batch takes all of them — smaller than `batch_size`, because this epoch's
//!   data cannot fill it; each such batch exhausts its language, so an epoch has at most one
//!   short batch per language;
//! - a batch that visits the last unit of an epoch is topped up from the next epoch's order
//!   (skipping units already in the batch), so mixed and cross batches are always full.
//!
//! Restricting the mono draw to languages that can still fill a batch makes the share of mono
//! batches per language slightly differ from the data share when groups overlap in languages
//! (a rare language runs out first inside an epoch); when languages do not overlap the shares
//! are exact per epoch.
//!
//! # Determinism and resume
//! Batch `i` is a pure function of the seed, `i` and the epoch positions: its random draws
//! (source, kind, languages) come from a ChaCha8 stream keyed by `(seed, i)`, and epoch orders
//! from a stream keyed by `(seed, source, epoch)`. [`SamplerState`] therefore only holds the
//! step counter and, per source, the epoch number and the visited set; restoring it continues
//! the identical batch sequence.

mod batch;
mod composition;
mod core;
mod epoch;
mod source;
#[cfg(test)]
mod tests;

pub use self::core::BatchSampler;
pub use batch::{Batch, BatchKind, Pair};
pub use composition::record;
pub use epoch::{SamplerState, SourceState};
pub use hbt_schema::BatchComposition;
pub use source::TrainingSource;

use serde::{Deserialize, Serialize};

pub use hbt_schema::{LanguageWeighting, Strategy};

/// Settings of a [`BatchSampler`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplerConfig {
    /// The batch strategy.
    pub strategy: Strategy,
    /// [`Strategy::Hybrid`] only: probability that a batch is mono, in [0, 1].
    pub alpha: f64,
    /// Pairs per batch.
    pub batch_size: usize,
    /// How mono batch languages are drawn.
    #[serde(default)]
    pub language_weighting: LanguageWeighting,
    /// The seed every draw derives from.
    pub seed: u64,
}
