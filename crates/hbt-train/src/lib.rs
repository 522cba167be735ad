//! hbt-train: the batch samplers of hybrid batch training (mono / mixed / cross / hybrid)
//! and the contrastive InfoNCE loss. The training loop, checkpoints and resume build on these.
//!
//! Nothing here prints or exits: every failure is a [`TrainError`].

#![warn(missing_docs)]

pub mod error;
pub mod loss;
pub mod sampler;

pub use error::{Result, TrainError};
pub use loss::{info_nce, InfoNceConfig};
pub use sampler::{
    Batch, BatchComposition, BatchKind, BatchSampler, LanguageWeighting, Pair, SamplerConfig,
    SamplerState, Strategy, TrainingSource,
};
