//! The one error type of hbt-eval. Every variant renders as a single line that names the file,
//! task or value at fault, so the CLI can print it as it is.

use std::path::{Path, PathBuf};

/// An error from searching, scoring, evaluating or writing results.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Embeddings, scores or relevance lists whose sizes do not fit together.
    #[error("{0}")]
    Shape(String),
    /// A score that is not a number: the embeddings (or the model) produced NaN.
    #[error("{label}: query {query} has a NaN score (check the embeddings for NaN values)")]
    NotANumber {
        /// The search at fault (task and setting).
        label: String,
        /// Index of the query within that search.
        query: usize,
    },
    /// A tensor could not be built on, or read back from, the backend.
    #[error("backend: {0}")]
    Backend(String),
    /// An argument that cannot be used as given (duplicate relevant item, zero block size...).
    #[error("{0}")]
    Invalid(String),
    /// A file or folder could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder at fault.
        path: PathBuf,
        /// What went wrong, from the operating system.
        message: String,
    },
    /// A results file could not be encoded or decoded (JSON, Parquet).
    #[error("{path}: {message}")]
    Format {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl EvalError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, err: impl std::fmt::Display) -> Self {
        EvalError::Io {
            path: path.to_path_buf(),
            message: one_line(&err.to_string()),
        }
    }

    /// A format error in `path`.
    pub fn format(path: &Path, err: impl std::fmt::Display) -> Self {
        EvalError::Format {
            path: path.to_path_buf(),
            message: one_line(&err.to_string()),
        }
    }
}

/// The result type of hbt-eval.
pub type Result<T, E = EvalError> = std::result::Result<T, E>;

/// Polars and serde errors can span lines; hbt errors are one line.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
