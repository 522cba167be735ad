//! [`resolve`]: a [`ModelSource`] turned into local files.

use std::path::{Path, PathBuf};

use crate::{hub, HubError, HubSettings, ModelSource};

/// The files of a Hugging Face model folder that hbt needs, in the order they are fetched.
pub const MODEL_FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];

const TOKENIZER: &str = "tokenizer.json";

/// A model's files on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    /// The weights.
    pub weights: ModelWeights,
    /// The `tokenizer.json`.
    pub tokenizer: PathBuf,
    /// The folder holding them: the source folder, the 4-bit file's folder, or the hub cache's
    /// snapshot folder (`.../models--ORG--NAME/snapshots/COMMIT/`), a Hugging Face folder.
    pub folder: PathBuf,
}

/// A model's weights on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelWeights {
    /// A Hugging Face folder holding `config.json` and `model.safetensors`.
    HfFolder(PathBuf),
    /// A 4-bit weights file.
    Q4(PathBuf),
}

/// What [`resolve`] is doing with a hub file, for progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadEvent {
    /// A download begins.
    Started {
        /// The file, e.g. `model.safetensors`.
        file: String,
        /// Its size.
        total_bytes: u64,
    },
    /// Bytes arrived.
    Bytes {
        /// The file.
        file: String,
        /// Bytes of the file on disk so far (cumulative; a resumed download starts from what
        /// was already there).
        read: u64,
    },
    /// The file is downloaded, its checksum verified, and it is in the snapshot folder.
    Done {
        /// The file.
        file: String,
    },
    /// The file was found in the cache; no network used.
    Cached {
        /// The file.
        file: String,
    },
}

/// Turns a model source into local files:
/// * [`ModelSource::Folder`]: checks that `config.json`, `model.safetensors` and
///   `tokenizer.json` are there;
/// * [`ModelSource::Q4`]: checks the file and the `tokenizer.json` beside it;
/// * [`ModelSource::Hub`]: takes the three files of the repo at the revision (default `main`)
///   from the hub cache in `settings.cache_dir`, without any network request when all are
///   there, and downloads the others (never in offline mode), each verified against the
///   checksum the hub published for it. Files found in the cache are not verified: only
///   downloads are (hashing gigabytes on every run would cost seconds); a file another tool
///   (Python's `huggingface_hub`, which checks sizes, not checksums) put there is trusted.
///
/// `progress` hears about each hub file ([`DownloadEvent`]); local sources send nothing.
pub fn resolve(
    source: &ModelSource,
    settings: &HubSettings,
    progress: &mut dyn FnMut(DownloadEvent),
) -> Result<ResolvedModel, HubError> {
    match source {
        ModelSource::Folder(folder) => resolve_folder(folder),
        ModelSource::Q4(file) => resolve_q4(file),
        ModelSource::Hub { repo, revision } => {
            let folder = hub::fetch(repo, revision.as_deref(), settings, progress)?;
            Ok(ResolvedModel {
                weights: ModelWeights::HfFolder(folder.clone()),
                tokenizer: folder.join(TOKENIZER),
                folder,
            })
        }
    }
}

fn resolve_folder(folder: &Path) -> Result<ResolvedModel, HubError> {
    if !folder.is_dir() {
        return Err(HubError::NotAFolder {
            path: folder.to_path_buf(),
        });
    }
    let missing: Vec<String> = MODEL_FILES
        .iter()
        .filter(|file| !folder.join(file).is_file())
        .map(|file| file.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(HubError::MissingFiles {
            folder: folder.to_path_buf(),
            missing,
        });
    }
    Ok(ResolvedModel {
        weights: ModelWeights::HfFolder(folder.to_path_buf()),
        tokenizer: folder.join(TOKENIZER),
        folder: folder.to_path_buf(),
    })
}

fn resolve_q4(file: &Path) -> Result<ResolvedModel, HubError> {
    let folder = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tokenizer = folder.join(TOKENIZER);
    if !file.is_file() {
        return Err(HubError::Q4Missing {
            file: file.to_path_buf(),
        });
    }
    if !tokenizer.is_file() {
        return Err(HubError::Q4WithoutTokenizer {
            file: file.to_path_buf(),
            folder,
        });
    }
    Ok(ResolvedModel {
        weights: ModelWeights::Q4(file.to_path_buf()),
        tokenizer,
        folder,
    })
}
