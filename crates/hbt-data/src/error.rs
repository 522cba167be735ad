//! The one error type of hbt-data. Every variant renders as a single line that names the file,
//! record or value at fault, so the CLI can print it as it is.

use std::path::{Path, PathBuf};

/// An error from reading, checking, splitting, tokenizing or downloading data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file or folder could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder at fault.
        path: PathBuf,
        /// What went wrong, from the operating system.
        message: String,
    },
    /// A file is not valid JSON / JSONL / TOML / Parquet, or does not have the expected shape.
    #[error("{path}: {message}")]
    Format {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with it (with line or byte position where known).
        message: String,
    },
    /// One record of a file is wrong (missing field, offset out of range, duplicate id...).
    #[error("{path}: {record}: {message}")]
    Record {
        /// The file holding the record.
        path: PathBuf,
        /// Which record: an id, a line number or a path inside the document.
        record: String,
        /// What is wrong with it.
        message: String,
    },
    /// A dataset or file holds no usable records.
    #[error("{path}: no {what} found")]
    Empty {
        /// The file or folder at fault.
        path: PathBuf,
        /// What was expected (questions, pairs, documents...).
        what: String,
    },
    /// A language code that hbt does not know.
    #[error(transparent)]
    UnknownLanguage(#[from] hbt_schema::UnknownLanguage),
    /// A dataset name or setting that cannot be used as asked.
    #[error("{0}")]
    Invalid(String),
    /// A download failed or a downloaded file did not match its checksum.
    #[error("{url}: {message}")]
    Download {
        /// The URL that was being fetched.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A tokenizer could not be trained, loaded, saved or applied.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
}

impl DataError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, err: std::io::Error) -> Self {
        DataError::Io {
            path: path.to_path_buf(),
            message: err.to_string(),
        }
    }

    /// A format error in `path`.
    pub fn format(path: &Path, message: impl Into<String>) -> Self {
        DataError::Format {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// An error in one record of `path`.
    pub fn record(path: &Path, record: impl Into<String>, message: impl Into<String>) -> Self {
        DataError::Record {
            path: path.to_path_buf(),
            record: record.into(),
            message: message.into(),
        }
    }

    /// `path` holds no `what`.
    pub fn empty(path: &Path, what: impl Into<String>) -> Self {
        DataError::Empty {
            path: path.to_path_buf(),
            what: what.into(),
        }
    }
}

/// Result alias for hbt-data.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
