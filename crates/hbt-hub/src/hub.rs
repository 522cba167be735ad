//! Hub repo files: taken from the hf-hub cache, or downloaded with hf-hub and verified.

use std::error::Error as _;
use std::fs;
use std::path::{Path, PathBuf};

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use hbt_download::{DownloadLimits, RateCheck};
use hf_hub::api::sync::{Api, ApiBuilder, ApiError};
use hf_hub::api::Progress;
use hf_hub::{Cache, Repo, RepoType};

use crate::error::one_line;
use crate::verify::Checksum;
use crate::{DownloadEvent, HubError, HubSettings, MODEL_FILES};

/// The snapshot folder holding [`MODEL_FILES`] of `repo_id` at `revision` (default `main`),
/// from the cache when all are there (no request), else completed by downloads.
pub(crate) fn fetch(
    repo_id: &str,
    revision: Option<&str>,
    settings: &HubSettings,
    progress: &mut dyn FnMut(DownloadEvent),
) -> Result<PathBuf, HubError> {
    let label = match revision {
        Some(revision) => format!("{repo_id}@{revision}"),
        None => repo_id.to_string(),
    };
    let repo = Repo::with_revision(
        repo_id.to_string(),
        RepoType::Model,
        revision.unwrap_or("main").to_string(),
    );
    let cache = Cache::new(settings.cache_dir.clone());

    let mut paths: Vec<Option<PathBuf>> = MODEL_FILES
        .iter()
        .map(|file| cached(&cache, &repo, file))
        .collect();
    let missing = MODEL_FILES
        .iter()
        .zip(&paths)
        .find_map(|(file, path)| path.is_none().then_some(*file));
    let Some(missing) = missing else {
        for file in MODEL_FILES {
            progress(DownloadEvent::Cached { file: file.into() });
        }
        return snapshot_folder(&label, paths.into_iter().flatten());
    };
    if settings.offline {
        return Err(HubError::Offline {
            repo: label,
            file: missing.to_string(),
            cache: settings.cache_dir.clone(),
        });
    }

    let api = ApiBuilder::from_cache(cache.clone())
        .with_endpoint(settings.endpoint.clone())
        .with_token(settings.token.clone())
        .with_progress(false)
        .build()
        .map_err(|err| HubError::Client {
            endpoint: settings.endpoint.clone(),
            cause: describe(&err),
        })?;
    let downloader = Downloader {
        api,
        repo: repo.clone(),
        repo_dir: settings.cache_dir.join(repo.folder_name()),
        label: &label,
        limits: settings.limits,
    };

    let was_cached: Vec<bool> = paths.iter().map(Option::is_some).collect();
    let mut snapshot: Option<PathBuf> = None;
    for (file, path) in MODEL_FILES.iter().zip(paths.iter_mut()) {
        if path.is_none() {
            let downloaded = downloader.download(file, progress)?;
            snapshot.get_or_insert_with(|| parent(&downloaded));
            *path = Some(downloaded);
        }
    }
    // The downloads went into the snapshot of the revision's current commit, which the
    // revision's ref now names. A file found in the cache under an older commit is taken from
    // that snapshot too, or downloaded into it, so that the folder is one commit's.
    let snapshot = snapshot.expect("a file was missing, so one was downloaded");
    for ((file, path), was_cached) in MODEL_FILES.iter().zip(paths.iter_mut()).zip(was_cached) {
        if !was_cached {
            continue;
        }
        if path.as_deref().map(parent).as_ref() != Some(&snapshot) {
            *path = cached(&cache, &repo, file).filter(|found| parent(found) == snapshot);
        }
        match path {
            Some(_) => progress(DownloadEvent::Cached {
                file: file.to_string(),
            }),
            None => *path = Some(downloader.download(file, progress)?),
        }
    }
    snapshot_folder(&label, paths.into_iter().flatten())
}

/// The cache's copy of `file`: the snapshot the revision's ref names (hf-hub's lookup), or,
/// for a revision that is a commit hash, that commit's snapshot (`huggingface_hub` writes no
/// ref for those).
fn cached(cache: &Cache, repo: &Repo, file: &str) -> Option<PathBuf> {
    if let Some(path) = cache.repo(repo.clone()).get(file) {
        return Some(path);
    }
    let revision = repo.revision();
    if revision.len() == 40 && revision.chars().all(|c| c.is_ascii_hexdigit()) {
        let path = cache
            .path()
            .join(repo.folder_name())
            .join("snapshots")
            .join(revision)
            .join(file);
        return path.exists().then_some(path);
    }
    None
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The one folder holding all `paths`.
fn snapshot_folder(
    label: &str,
    paths: impl IntoIterator<Item = PathBuf>,
) -> Result<PathBuf, HubError> {
    let mut folders = paths.into_iter().map(|path| parent(&path));
    let first = folders.next().unwrap_or_default();
    match folders.find(|folder| *folder != first) {
        Some(second) => Err(HubError::MixedCommits {
            repo: label.to_string(),
            first,
            second,
        }),
        None => Ok(first),
    }
}

struct Downloader<'a> {
    api: Api,
    repo: Repo,
    /// `{cache}/models--ORG--NAME`
    repo_dir: PathBuf,
    /// The repo id, with `@REVISION` when one was given.
    label: &'a str,
    limits: DownloadLimits,
}

/// How often a download in progress is checked against its limits when no bytes arrive.
const WATCH_TICK: Duration = Duration::from_millis(200);

impl Downloader<'_> {
    /// Downloads `file` into the cache with hf-hub, verifies it, and returns its path in the
    /// snapshot folder.
    fn download(
        &self,
        file: &str,
        progress: &mut dyn FnMut(DownloadEvent),
    ) -> Result<PathBuf, HubError> {
        self.remove_dangling_links(file);
        let download_error = |cause: String| HubError::Download {
            repo: self.label.to_string(),
            file: file.to_string(),
            url: self.api.repo(self.repo.clone()).url(file),
            cause,
        };
        let path = self
            .watched_download(file, progress)
            .map_err(download_error)?;
        self.verify(file, &path)?;
        progress(DownloadEvent::Done { file: file.into() });
        Ok(path)
    }

    /// hf-hub's download of `file`, run on a worker thread and watched here against the
    /// limits: hf-hub's HTTP client has no timeouts, so a server that stalls or trickles would
    /// hold it forever. A download that breaks a limit is abandoned: its thread is left to end
    /// with the process (hf-hub's lock on the blob is an OS file lock, released then, and its
    /// `.part` file is resumed by the next attempt).
    fn watched_download(
        &self,
        file: &str,
        progress: &mut dyn FnMut(DownloadEvent),
    ) -> Result<PathBuf, String> {
        let (sender, events) = mpsc::channel();
        let repo = self.api.repo(self.repo.clone());
        let name = file.to_string();
        let worker = Forward {
            sender: sender.clone(),
        };
        std::thread::Builder::new()
            .name(format!("hub download {file}"))
            .spawn(move || {
                let result = repo.download_with_progress(&name, worker);
                let _ = sender.send(WorkerEvent::Finished(result));
            })
            .map_err(|err| format!("cannot start the download thread: {err}"))?;

        let mut rate = RateCheck::start(self.limits);
        let mut started = false;
        let mut read = 0u64;
        loop {
            match events.recv_timeout(WATCH_TICK) {
                Ok(WorkerEvent::Init { total_bytes }) => {
                    read = 0;
                    if !started {
                        started = true;
                        progress(DownloadEvent::Started {
                            file: file.to_string(),
                            total_bytes,
                        });
                    }
                }
                Ok(WorkerEvent::Bytes(0)) => {}
                Ok(WorkerEvent::Bytes(bytes)) => {
                    read += bytes;
                    progress(DownloadEvent::Bytes {
                        file: file.to_string(),
                        read,
                    });
                    rate.after(bytes, read)?;
                }
                Ok(WorkerEvent::Finished(result)) => return result.map_err(|err| describe(&err)),
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(message) = rate.stalled(read) {
                        return Err(message);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err("the download thread stopped without a result".into())
                }
            }
        }
    }

    /// hf-hub links a snapshot entry to its blob only when the entry does not exist, and a
    /// dangling link (its blob deleted) counts as not existing but blocks the new link: such
    /// links to `file` are removed first, so that a deleted blob is simply downloaded again.
    fn remove_dangling_links(&self, file: &str) {
        let Ok(snapshots) = fs::read_dir(self.repo_dir.join("snapshots")) else {
            return;
        };
        for snapshot in snapshots.flatten() {
            let link = snapshot.path().join(file);
            if link.symlink_metadata().is_ok() && !link.exists() {
                let _ = fs::remove_file(&link);
            }
        }
    }

    /// Checks the blob behind the snapshot entry `path` against its ETag (the blob's name); on
    /// failure removes the blob and the entry, so that the next run downloads it again.
    fn verify(&self, file: &str, path: &Path) -> Result<(), HubError> {
        let blob = fs::read_link(path)
            .ok()
            .map(|target| parent(path).join(target));
        let outcome = self.check(file, path, blob.as_deref());
        if outcome.is_err() {
            let _ = fs::remove_file(path);
            if let Some(blob) = &blob {
                let _ = fs::remove_file(blob);
            }
        }
        outcome
    }

    fn check(&self, file: &str, path: &Path, blob: Option<&Path>) -> Result<(), HubError> {
        let unverifiable = |reason: String| HubError::Unverifiable {
            repo: self.label.to_string(),
            file: file.to_string(),
            reason: one_line(&reason),
        };
        let Some(blob) = blob else {
            return Err(unverifiable(format!(
                "{} is not a link to a blob named by the hub's checksum (no symlinks here?)",
                path.display()
            )));
        };
        let etag = blob
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(checksum) = Checksum::from_etag(&etag) else {
            return Err(unverifiable(format!(
                "the hub's ETag `{etag}` is neither a sha256 (64 hex digits) nor a git blob sha1 \
                 (40 hex digits)"
            )));
        };
        let actual = checksum
            .digest_file(blob)
            .map_err(|err| unverifiable(format!("cannot read {}: {err}", blob.display())))?;
        if actual == checksum.expected() {
            return Ok(());
        }
        Err(HubError::ChecksumMismatch {
            repo: self.label.to_string(),
            file: file.to_string(),
            algorithm: checksum.algorithm(),
            expected: checksum.expected().to_string(),
            actual,
        })
    }
}

/// What the download thread reports to the thread watching it.
enum WorkerEvent {
    /// hf-hub starts (or restarts) a download of this many bytes.
    Init { total_bytes: u64 },
    /// This many more bytes arrived (the first report of a resumed download counts the bytes
    /// already in its `.part` file).
    Bytes(u64),
    /// hf-hub returned.
    Finished(Result<PathBuf, ApiError>),
}

/// Sends hf-hub's progress calls to the watching thread.
///
/// hf-hub 0.4.3 calls `init` twice per download (before opening the `.part` file and before
/// the request), then `update` with the bytes already in the `.part` file (a resumed
/// download), then with each read: the watcher sends `Started` once, and counts bytes from
/// each `init`.
struct Forward {
    sender: Sender<WorkerEvent>,
}

impl Progress for Forward {
    fn init(&mut self, size: usize, _filename: &str) {
        let _ = self.sender.send(WorkerEvent::Init {
            total_bytes: size as u64,
        });
    }

    fn update(&mut self, size: usize) {
        let _ = self.sender.send(WorkerEvent::Bytes(size as u64));
    }

    fn finish(&mut self) {}
}

/// hf-hub's error as one line, without the URL (the caller names it).
fn describe(err: &ApiError) -> String {
    let text = match err {
        ApiError::RequestError(err) => match err.as_ref() {
            ureq::Error::Status(code, response) => {
                let mut text = format!("HTTP {code} {}", response.status_text());
                if let Some(message) = response.header("x-error-message") {
                    text = format!("{text}: {message}");
                }
                match code {
                    401 => format!(
                        "{text} (the repo or revision does not exist, or it is private or gated \
                         and needs a token: set HF_TOKEN)"
                    ),
                    403 => format!("{text} (for a gated repo, accept its conditions on the hub)"),
                    _ => text,
                }
            }
            ureq::Error::Transport(transport) => {
                let mut text = transport.kind().to_string();
                if let Some(message) = transport.message() {
                    text = format!("{text}: {message}");
                }
                if let Some(source) = transport.source() {
                    text = format!("{text}: {source}");
                }
                text
            }
        },
        ApiError::MissingHeader(header) => {
            format!("the answer lacks the {header} header that a Hugging Face hub sends")
        }
        ApiError::InvalidHeader(header) => format!("the answer's {header} header is malformed"),
        ApiError::ParseIntError(_) => "the answer's Content-Range header gives no size".into(),
        ApiError::IoError(err) => format!("I/O error while downloading into the cache: {err}"),
        ApiError::TooManyRetries(err) => format!("{} (retries exhausted)", describe(err)),
        ApiError::InvalidResume => "a partial download (a .part file in the cache's blobs folder) \
                                    is larger than the file; delete it and run again"
            .into(),
        ApiError::LockAcquisition(lock) => format!(
            "another process is downloading it (the lock {} is held)",
            lock.display()
        ),
        // Variants behind hf-hub features this crate does not enable (native-tls).
        #[allow(unreachable_patterns)]
        other => other.to_string(),
    };
    one_line(&text)
}
