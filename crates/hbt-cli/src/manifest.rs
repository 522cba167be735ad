//! `manifest.json`: what produced a run — code version, dates, seed, backend, data checksums
//! and the wall time of each stage.

use std::time::SystemTime;

use serde::Serialize;

use crate::datasets::DataFile;

/// Version of the manifest.json layout.
pub const MANIFEST_SCHEMA: u32 = 1;

/// Wall time of one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageTime {
    /// Stage name (data, train, eval, report).
    pub stage: String,
    /// Seconds it took.
    pub seconds: f64,
}

/// The contents of a run's manifest.json.
#[derive(Debug, Clone, Serialize)]
pub struct RunManifest {
    /// Layout version of this file.
    pub schema_version: u32,
    /// hbt version that made the run.
    pub hbt_version: &'static str,
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
    pub backend: String,
    /// The command line that made the run.
    pub command: Vec<String>,
    /// Every data file read, with its sha256.
    pub data: Vec<DataFile>,
    /// Stages run, with wall times.
    pub stages: Vec<StageTime>,
}

/// Formats a time as RFC 3339 in UTC, to the second.
pub fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// The current git commit and whether the tree is dirty, or `None` outside a git checkout.
pub fn git_state() -> (Option<String>, Option<bool>) {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = run(&["rev-parse", "HEAD"]);
    let dirty = commit
        .as_ref()
        .and_then(|_| run(&["status", "--porcelain", "--untracked-files=no"]))
        .map(|s| !s.is_empty());
    (commit, dirty)
}
