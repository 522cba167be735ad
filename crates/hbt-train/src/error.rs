//! Errors of the trainer crate.

use thiserror::Error;

/// A failure of the samplers or the loss; every message is one line naming the value at fault.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum TrainError {
    /// The sampler was given no training source.
    #[error("no training source given")]
    NoSources,
    /// The batch size is zero.
    #[error("batch size must be at least 1, got 0")]
    ZeroBatchSize,
    /// The hybrid mixing probability is outside [0, 1].
    #[error("hybrid alpha must be in [0, 1], got {0}")]
    BadAlpha(f64),
    /// A source has fewer usable units than one batch needs.
    #[error("training source `{name}` has {usable} usable groups/pairs, fewer than the batch size {batch_size}")]
    SourceTooSmall {
        /// The source's name.
        name: String,
        /// Usable groups (or translation pairs) in it.
        usable: usize,
        /// The batch size asked for.
        batch_size: usize,
    },
    /// A source holds both parallel groups and translation pairs.
    #[error("training source `{0}` holds both parallel groups and translation pairs; give them as two sources")]
    MixedSource(String),
    /// A translation pair has the same language on both sides.
    #[error(
        "translation pair `{id}` in source `{source_name}` has the same language on both sides"
    )]
    SameLanguagePair {
        /// The source's name.
        source_name: String,
        /// The pair's id.
        id: String,
    },
    /// A source has more languages than the sampler supports.
    #[error("training source `{name}` has {count} languages; at most 64 are supported")]
    TooManyLanguages {
        /// The source's name.
        name: String,
        /// Its number of languages.
        count: usize,
    },
    /// A saved sampler state does not belong to this sampler.
    #[error("sampler state does not match this sampler: {0}")]
    StateMismatch(String),
    /// Tensors given to the loss have incompatible shapes.
    #[error("loss inputs have incompatible shapes: {0}")]
    Shape(String),
    /// The loss temperature is not a positive finite number.
    #[error("temperature must be positive and finite, got {0}")]
    BadTemperature(f64),
    /// A training setting is out of range.
    #[error("training setting `{key}`: {message}")]
    BadSetting {
        /// The setting's name.
        key: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Tokenizing training or dev text failed.
    #[error("tokenizer: {0}")]
    Data(String),
    /// The encoder refused an input or a tensor conversion failed.
    #[error("encoder: {0}")]
    Model(String),
    /// A checkpoint file could not be read or written.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The file or folder at fault.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The loss became NaN or infinite.
    #[error("loss became {loss} at step {step}; stopped, last good checkpoint: {last_checkpoint}")]
    NonFiniteLoss {
        /// The optimizer step (from 1).
        step: u64,
        /// The loss value.
        loss: f64,
        /// The newest checkpoint kept, or "none".
        last_checkpoint: String,
    },
    /// A data-parallel session failed (a peer left it, or it could not start).
    #[error("data-parallel training: {0}")]
    Collective(String),
    /// The other peers of a data-parallel session did not answer within the timeout.
    #[error("data-parallel training: the other nodes did not answer within {0} s (did one stop?)")]
    PeerTimeout(f64),
    /// A data-parallel session ended during a step: a peer or node stopped.
    #[error("step {step}: {cause}; the last checkpoint ({last_checkpoint}) resumes with --resume once every node runs again")]
    SessionLost {
        /// The optimizer step (from 1) that could not finish.
        step: u64,
        /// What ended the session.
        cause: Box<TrainError>,
        /// The newest checkpoint kept, or "none".
        last_checkpoint: String,
    },
}

impl TrainError {
    /// Wraps a data-crate error.
    pub fn data(error: hbt_data::DataError) -> TrainError {
        TrainError::Data(error.to_string())
    }

    /// Wraps a model-crate error.
    pub fn model(error: hbt_model::ModelError) -> TrainError {
        TrainError::Model(error.to_string())
    }

    /// Whether this error only reports that another peer left the session (the session's
    /// failure is then that peer's own error).
    pub fn is_session_echo(&self) -> bool {
        match self {
            TrainError::Collective(_) | TrainError::PeerTimeout(_) => true,
            TrainError::SessionLost { cause, .. } => cause.is_session_echo(),
            _ => false,
        }
    }

    /// A checkpoint error at `path`.
    pub fn checkpoint(path: &std::path::Path, message: impl std::fmt::Display) -> TrainError {
        TrainError::Checkpoint {
            path: path.display().to_string(),
            message: message.to_string(),
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = TrainError> = std::result::Result<T, E>;
