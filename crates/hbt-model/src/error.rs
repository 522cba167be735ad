//! The error type of the crate: every message is one line and names the file or key at fault.

use std::path::PathBuf;

/// Errors from building, importing, exporting or running an encoder.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file at fault.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file (e.g. `config.json`) is not valid JSON or lacks a required field.
    #[error("{path}: invalid JSON: {message}")]
    Json {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong, as one line.
        message: String,
    },
    /// A configuration value is out of range or unsupported.
    #[error("invalid encoder config ({origin}): {message}")]
    Config {
        /// Where the configuration came from (a file path or `"config"`).
        origin: String,
        /// What is wrong, as one line.
        message: String,
    },
    /// A safetensors file could not be parsed or written.
    #[error("{path}: invalid safetensors: {message}")]
    Safetensors {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong, as one line.
        message: String,
    },
    /// A model file is not in the layout its reader expects (truncated, corrupt, wrong kind).
    #[error("{path}: {message}")]
    Format {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong, as one line.
        message: String,
    },
    /// A checkpoint does not fit the configured encoder; lists every problem at once.
    #[error("{path}: checkpoint does not fit the encoder config: {details}")]
    CheckpointMismatch {
        /// The checkpoint file.
        path: PathBuf,
        /// Missing, unexpected and mis-shaped tensors, as one line.
        details: String,
    },
    /// A weight map given to [`crate::Encoder::from_weights`] does not fit the config.
    #[error("weight map does not fit the encoder config: {details}")]
    WeightMap {
        /// Missing and mis-shaped parameters, as one line.
        details: String,
    },
    /// An input sequence cannot be encoded (too long, bad token id).
    #[error("input sequence {index}: {message}")]
    Input {
        /// Position of the offending sequence in the input list.
        index: usize,
        /// What is wrong, as one line.
        message: String,
    },
    /// A tensor could not be read back from the backend.
    #[error("tensor `{name}`: {message}")]
    Tensor {
        /// The tensor at fault.
        name: String,
        /// What is wrong, as one line.
        message: String,
    },
}

impl ModelError {
    /// An I/O error for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }
}
