//! The error type of hbt-report: every variant names the file (or folder) at fault.

use std::path::{Path, PathBuf};

use hbt_schema::SchemaError;

/// Result alias used throughout hbt-report.
pub type Result<T, E = ReportError> = std::result::Result<T, E>;

/// Everything that can go wrong while reading results folders or writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be read, written or renamed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder at fault.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A required file of a run is absent.
    #[error("{}: file not found", path.display())]
    Missing {
        /// The file that should exist.
        path: PathBuf,
    },
    /// A file exists but its content does not follow the results-folder contract.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong, in one line.
        message: String,
    },
    /// `metrics.json` declares a schema version this crate does not read.
    #[error("{}: unsupported metrics schema_version {found} (this build reads {expected})", path.display())]
    SchemaVersion {
        /// The metrics file.
        path: PathBuf,
        /// The version found in the file.
        found: u32,
        /// The version this crate reads.
        expected: u32,
    },
    /// The experiment folder holds no run with a `metrics.json`.
    #[error("{}: no run folder with a metrics.json", path.display())]
    NoRuns {
        /// The experiment folder.
        path: PathBuf,
    },
    /// A run or strategy named by the caller does not exist (or is ambiguous).
    #[error("{what}")]
    NotFound {
        /// Which name was looked up, and what was available.
        what: String,
    },
    /// Two runs (or groups) have no query in common to pair for a significance test.
    #[error("nothing to compare: {message}")]
    NothingToCompare {
        /// Why no pair could be formed.
        message: String,
    },
    /// A figure could not be drawn.
    #[error("{}: drawing failed: {message}", path.display())]
    Figure {
        /// The figure file being produced.
        path: PathBuf,
        /// The plotting error, in one line.
        message: String,
    },
}

impl ReportError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        ReportError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// An error opening `path`: [`ReportError::Missing`] when it does not exist, else
    /// [`ReportError::Io`].
    pub(crate) fn open(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            ReportError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            ReportError::io(path, source)
        }
    }

    /// A content error in `path`; multi-line messages are folded into one line.
    pub(crate) fn format(path: &Path, message: impl AsRef<str>) -> Self {
        ReportError::Format {
            path: path.to_path_buf(),
            message: one_line(message.as_ref()),
        }
    }

    /// A drawing error while producing `path`.
    pub(crate) fn figure(path: &Path, message: impl AsRef<str>) -> Self {
        ReportError::Figure {
            path: path.to_path_buf(),
            message: one_line(message.as_ref()),
        }
    }
}

impl From<SchemaError> for ReportError {
    /// Results files are read through hbt-schema; its errors already name the file in one line.
    fn from(e: SchemaError) -> Self {
        match e {
            SchemaError::Missing { path } => ReportError::Missing { path },
            SchemaError::Io { path, message } => ReportError::Io {
                path,
                source: std::io::Error::other(message),
            },
            SchemaError::Format { path, message } => ReportError::Format { path, message },
            SchemaError::Version {
                path,
                found,
                expected,
            } => ReportError::SchemaVersion {
                path,
                found,
                expected,
            },
        }
    }
}

/// Folds whitespace (including newlines) so that every error is one line.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
