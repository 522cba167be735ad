//! hbt-train: the batch samplers of hybrid batch training (mono / mixed / cross / hybrid),
//! the contrastive InfoNCE loss, and the training loop with checkpoints and exact resume.
//!
//! Nothing here prints or exits: every failure is a [`TrainError`].

#![warn(missing_docs)]

pub mod error;
pub mod loss;
pub mod parallel;
pub mod sampler;
pub mod schedule;
pub mod trainer;

pub use error::{Result, TrainError};
pub use loss::{info_nce, InfoNceConfig};
pub use parallel::{Nodes, Peer};
pub use sampler::{
    Batch, BatchComposition, BatchKind, BatchSampler, LanguageWeighting, Pair, SamplerConfig,
    SamplerState, Strategy, TrainingSource,
};
pub use schedule::LinearSchedule;
pub use trainer::{
    adamw, step::ids_loss, train, train_parallel, CheckpointDir, DevMetrics, DevRow, DevSet,
    StepGradients, TrainEvent, TrainInputs, TrainLogRow, TrainOutcome, TrainerConfig,
};
