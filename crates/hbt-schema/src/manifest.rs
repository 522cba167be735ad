//! `manifest.json`: what produced a run: code version, dates, seed, backend, data checksums and
//! the wall time of each stage.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::names::BackendKind;

/// Version of the manifest.json layout.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;
/// The file name in a run folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Wall time of one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageTime {
    /// Stage name (data, train, eval).
    pub stage: String,
    /// Seconds it took.
    pub seconds: f64,
}

/// A data file used by a run, with its checksum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataFile {
    /// Path as read.
    pub path: PathBuf,
    /// Lowercase hex sha256 of the file's bytes.
    pub sha256: String,
}

/// The contents of a run's manifest.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunManifest {
    /// Layout version of this file ([`MANIFEST_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// hbt version that made the run.
    pub hbt_version: String,
    /// Experiment name.
    pub experiment: String,
    /// Run name.
    pub run: String,
    /// `git rev-parse HEAD` of the working folder, when it is a git checkout.
    pub git_commit: Option<String>,
    /// Whether the checkout had uncommitted changes.
    pub git_dirty: Option<bool>,
    /// Start time (RFC 3339, UTC).
    pub started_at: String,
    /// End time (RFC 3339, UTC).
    pub finished_at: String,
    /// The experiment seed.
    pub seed: u64,
    /// The compute backend.
    pub backend: BackendKind,
    /// What computed the encoder's matrix products on the CPU backends (a BLAS library loaded
    /// at run time, e.g. `libopenblas.so.0`, or `gemm crate`); absent in older manifests and
    /// on cuda.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_library: Option<String>,
    /// The command line that made the run.
    pub command: Vec<String>,
    /// Every data file read, with its sha256.
    pub data: Vec<DataFile>,
    /// Stages run, with wall times.
    pub stages: Vec<StageTime>,
}
