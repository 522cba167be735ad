//! Checkpoints for exact resume: the model, the optimizer state and the trainer state
//! (step, sampler position, logs, best checkpoint) in `step-NNNNNNNN/` folders, plus the best
//! model so far in `best-step-NNNNNNNN/`.
//!
//! Every folder is written as `.NAME.partial/` and renamed when complete, and older folders are
//! removed only after the new one is in place, so a run killed at any moment leaves at least
//! one complete checkpoint once the first has been written. Each folder lists its files with
//! their sizes and sha256 sums in `files.json`, checked before anything is loaded from it, and
//! a resumed state must agree with its folder's step and its own logs.

use std::path::{Path, PathBuf};

use burn::module::{AutodiffModule, Module};
use burn::optim::Optimizer;
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use hbt_model::Encoder;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::sampler::{BatchComposition, SamplerState};
use crate::trainer::precision::LossScale;
use hbt_data::fetch::sha256_file;
use hbt_schema::{DevRow, TrainLogRow};

/// The recorder of model and optimizer files (full-precision MessagePack).
type FileRecorder = NamedMpkFileRecorder<FullPrecisionSettings>;

/// The best checkpoint so far by dev recall@1 (ties: lower dev loss, then the earlier one).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BestCheckpoint {
    /// Its optimizer step.
    pub step: u64,
    /// Its dev loss.
    pub dev_loss: f64,
    /// Its dev recall@1.
    pub dev_recall_at_1: f64,
}

impl BestCheckpoint {
    /// Whether a checkpoint with these dev figures beats this one.
    pub fn is_beaten_by(&self, recall: f64, loss: f64) -> bool {
        recall > self.dev_recall_at_1 || (recall == self.dev_recall_at_1 && loss < self.dev_loss)
    }
}

/// Everything besides tensors that a resumed run needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainerState {
    /// Optimizer steps done.
    pub step: u64,
    /// What the run was made from (the caller's resolved settings); a resume must match it.
    pub fingerprint: String,
    /// The sampler position after `step` steps.
    pub sampler: SamplerState,
    /// Batches drawn so far.
    pub composition: BatchComposition,
    /// `train_log.csv` rows so far.
    pub log: Vec<TrainLogRow>,
    /// `dev_log.csv` rows so far.
    pub dev: Vec<DevRow>,
    /// The best checkpoint so far.
    pub best: Option<BestCheckpoint>,
    /// The f16 loss scale (`None` in other precisions, and in checkpoints made before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss_scale: Option<LossScale>,
}

/// The file listing a checkpoint folder's files.
const FILES_LIST: &str = "files.json";

/// One file of a checkpoint folder, as listed in `files.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ListedFile {
    name: String,
    bytes: u64,
    sha256: String,
}

/// Writes `files.json` listing every file in `dir` (sorted by name).
fn write_files_list(dir: &Path) -> Result<()> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::metadata(&path).map_err(io(&path))?.len();
        let sha256 = sha256_file(&path).map_err(|e| TrainError::checkpoint(&path, e))?;
        files.push(ListedFile {
            name,
            bytes,
            sha256,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    write_json(&dir.join(FILES_LIST), &files)
}

/// Checks the files of `dir` against its `files.json`: present, of the listed size and sum.
/// Folders written before the list existed (no `files.json`) are accepted as they are.
fn verify_files(dir: &Path) -> Result<()> {
    let list_path = dir.join(FILES_LIST);
    if !list_path.exists() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&list_path).map_err(io(&list_path))?;
    let files: Vec<ListedFile> =
        serde_json::from_str(&text).map_err(|e| TrainError::checkpoint(&list_path, e))?;
    let remedy = format!("the checkpoint is damaged; {}", remedy(dir));
    for file in files {
        let path = dir.join(&file.name);
        let bytes = match std::fs::metadata(&path) {
            Ok(meta) => meta.len(),
            Err(_) => return Err(TrainError::checkpoint(&path, format!("missing; {remedy}"))),
        };
        if bytes != file.bytes {
            return Err(TrainError::checkpoint(
                &path,
                format!("{bytes} bytes, {} expected; {remedy}", file.bytes),
            ));
        }
        let sha256 = sha256_file(&path).map_err(|e| TrainError::checkpoint(&path, e))?;
        if sha256 != file.sha256 {
            return Err(TrainError::checkpoint(
                &path,
                format!("sha256 differs from files.json; {remedy}"),
            ));
        }
    }
    Ok(())
}

/// Why writes to `probe` (a new file) fail, when it is the disk or the permissions: writes
/// 1 MiB there, removes what it created, and names the cause (see [`write_error_cause`]).
fn write_failure_cause(probe: &Path) -> Option<String> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(probe)
        .map_err(|e| write_error_cause(&e, probe))
        .ok()?;
    let written = file
        .write_all(&vec![0u8; 1 << 20])
        .and_then(|()| file.sync_all());
    drop(file);
    let _ = std::fs::remove_file(probe);
    write_error_cause(&written.err()?, probe)
}

/// A full disk, a read-only file system or a permission error, named for the folder of `at`.
fn write_error_cause(error: &std::io::Error, at: &Path) -> Option<String> {
    use std::io::ErrorKind;
    let folder = at.parent().unwrap_or(at).display();
    match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Some(format!(
            "cannot write the checkpoint: no space left on the device of {folder}"
        )),
        ErrorKind::ReadOnlyFilesystem => Some(format!(
            "cannot write the checkpoint: {folder} is on a read-only file system"
        )),
        ErrorKind::PermissionDenied => Some(format!(
            "cannot write the checkpoint: permission denied in {folder}"
        )),
        _ => None,
    }
}

/// burn's error on a file it cannot decode, replaced (its hint about format versions
/// misleads for a truncated or damaged file).
fn unreadable(path: &Path, dir: &Path) -> TrainError {
    TrainError::checkpoint(
        path,
        format!("cannot be decoded (truncated or damaged); {}", remedy(dir)),
    )
}

/// What to do about a damaged checkpoint folder `dir`: the one wording of every such error.
fn remedy(dir: &Path) -> String {
    format!(
        "remove {} to resume from an earlier checkpoint or start over",
        dir.display()
    )
}

/// The checkpoint folder of one run.
#[derive(Debug, Clone)]
pub struct CheckpointDir {
    root: PathBuf,
}

fn step_name(prefix: &str, step: u64) -> String {
    format!("{prefix}{step:08}")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |e| TrainError::checkpoint(path, e)
}

impl CheckpointDir {
    /// The checkpoints under `root` (created on first save).
    pub fn new(root: impl Into<PathBuf>) -> CheckpointDir {
        CheckpointDir { root: root.into() }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Complete folders whose name starts with `prefix`, with their step, oldest first.
    fn folders(&self, prefix: &str) -> Result<Vec<(u64, PathBuf)>> {
        if !self.root.exists() {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.root).map_err(io(&self.root))? {
            let entry = entry.map_err(io(&self.root))?;
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(step) = name.strip_prefix(prefix).and_then(|s| s.parse().ok()) {
                found.push((step, entry.path()));
            }
        }
        found.sort();
        Ok(found)
    }

    /// The newest complete checkpoint, if any.
    pub fn latest(&self) -> Result<Option<PathBuf>> {
        Ok(self.folders("step-")?.pop().map(|(_, p)| p))
    }

    /// Removes every checkpoint (a fresh run starts from nothing).
    pub fn clear(&self) -> Result<()> {
        if self.root.exists() {
            std::fs::remove_dir_all(&self.root).map_err(io(&self.root))?;
        }
        Ok(())
    }

    /// Writes `name` by filling `.name.partial/` with `fill` and renaming it, then removes the
    /// other folders with the same prefix.
    fn write_folder(
        &self,
        prefix: &str,
        step: u64,
        fill: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<PathBuf> {
        let name = step_name(prefix, step);
        let partial = self.root.join(format!(".{name}.partial"));
        let target = self.root.join(&name);
        if partial.exists() {
            std::fs::remove_dir_all(&partial).map_err(io(&partial))?;
        }
        std::fs::create_dir_all(&partial).map_err(io(&partial))?;
        if let Err(e) = fill(&partial).and_then(|()| write_files_list(&partial)) {
            // A write that failed: name the cause the encoder's message hides (a full disk
            // reads as "error while writing multi-byte MessagePack value"), leave nothing.
            let cause = write_failure_cause(&partial.join(".probe"));
            let _ = std::fs::remove_dir_all(&partial);
            return Err(match cause {
                Some(cause) => TrainError::checkpoint(&partial, cause),
                None => e,
            });
        }
        if target.exists() {
            std::fs::remove_dir_all(&target).map_err(io(&target))?;
        }
        std::fs::rename(&partial, &target).map_err(io(&target))?;
        for (old, path) in self.folders(prefix)? {
            if old != step {
                std::fs::remove_dir_all(&path).map_err(io(&path))?;
            }
        }
        Ok(target)
    }

    /// Saves a resumable checkpoint after `state.step` steps.
    pub fn save<B, O>(
        &self,
        model: &Encoder<B>,
        optimizer: &O,
        state: &TrainerState,
    ) -> Result<PathBuf>
    where
        B: AutodiffBackend,
        O: Optimizer<Encoder<B>, B>,
    {
        self.write_folder("step-", state.step, |dir| {
            let recorder = FileRecorder::new();
            let model_path = dir.join("model");
            model
                .clone()
                .save_file(&model_path, &recorder)
                .map_err(|e| TrainError::checkpoint(&model_path, format!("{e:?}")))?;
            let optim_path = dir.join("optimizer");
            Recorder::<B>::record(&recorder, optimizer.to_record(), optim_path.clone())
                .map_err(|e| TrainError::checkpoint(&optim_path, format!("{e:?}")))?;
            write_json(&dir.join("state.json"), state)
        })
    }

    /// Loads the checkpoint in `dir` into `model` and `optimizer`.
    pub fn load<B, O>(
        &self,
        dir: &Path,
        model: Encoder<B>,
        optimizer: O,
        device: &B::Device,
    ) -> Result<(Encoder<B>, O, TrainerState)>
    where
        B: AutodiffBackend,
        O: Optimizer<Encoder<B>, B>,
    {
        verify_files(dir)?;
        let state_path = dir.join("state.json");
        let text = std::fs::read_to_string(&state_path).map_err(io(&state_path))?;
        let state: TrainerState =
            serde_json::from_str(&text).map_err(|e| TrainError::checkpoint(&state_path, e))?;
        let folder_step = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("step-"))
            .and_then(|n| n.parse::<u64>().ok());
        if folder_step != Some(state.step) || state.log.len() as u64 != state.step {
            return Err(TrainError::checkpoint(
                &state_path,
                format!(
                    "says step {} with {} training log rows, in the folder of step {}; {}",
                    state.step,
                    state.log.len(),
                    folder_step.map_or("?".to_string(), |s| s.to_string()),
                    remedy(dir)
                ),
            ));
        }
        let recorder = FileRecorder::new();
        let model_path = dir.join("model.mpk");
        let model = model
            .load_file(&model_path, &recorder, device)
            .map_err(|_| unreadable(&model_path, dir))?;
        let optim_path = dir.join("optimizer.mpk");
        let record = Recorder::<B>::load(&recorder, optim_path.clone(), device)
            .map_err(|_| unreadable(&optim_path, dir))?;
        let optimizer = optimizer.load_record(record);
        Ok((model, optimizer, state))
    }

    /// Saves the inference weights of `model` as the best model (of step `step`).
    pub fn save_best<B: AutodiffBackend>(&self, model: &Encoder<B>, step: u64) -> Result<()> {
        self.write_folder("best-step-", step, |dir| {
            let path = dir.join("model");
            model
                .valid()
                .save_file(&path, &FileRecorder::new())
                .map_err(|e| TrainError::checkpoint(&path, format!("{e:?}")))
        })?;
        Ok(())
    }

    /// Loads the best model of step `step` into `model`.
    pub fn load_best<B: Backend>(
        &self,
        model: Encoder<B>,
        step: u64,
        device: &B::Device,
    ) -> Result<Encoder<B>> {
        let dir = self.root.join(step_name("best-step-", step));
        verify_files(&dir)?;
        let path = dir.join("model.mpk");
        model
            .load_file(&path, &FileRecorder::new(), device)
            .map_err(|_| unreadable(&path, &dir))
    }
}

/// Writes JSON via a temporary file and a rename.
fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string(value).map_err(|e| TrainError::checkpoint(path, e))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_named_as_such() {
        use std::io::Write;
        // /dev/full answers every write with "no space left on device".
        let error = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
            .write_all(&[0u8; 4096])
            .unwrap_err();
        let cause = write_error_cause(&error, Path::new("/ckpt/.step-00000004.partial/model"));
        assert_eq!(
            cause.as_deref(),
            Some("cannot write the checkpoint: no space left on the device of /ckpt/.step-00000004.partial")
        );
    }

    #[test]
    fn a_probe_that_can_be_written_names_nothing_and_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let probe = dir.path().join(".probe");
        assert_eq!(write_failure_cause(&probe), None);
        assert!(!probe.exists(), "the probe is removed");
    }
}
