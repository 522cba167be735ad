//! Downloading the public datasets hbt evaluates on, with sha256 verification.
//!
//! The datasets and the sums of their files are listed in `datasets/manifest.toml`, which is
//! embedded in the library ([`manifests`], [`manifest`]). [`fetch_dataset`] downloads the files
//! of one dataset into `DATA_DIR/NAME/`, [`verify_dataset`] checks them without any network.
//!
//! Nothing here prints: progress is reported through a callback taking [`FetchEvent`]s, and
//! every failure is a one-line [`DataError`] naming the file or URL at fault.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{DataError, Result};

pub use hbt_download::DownloadLimits;
use hbt_download::RateCheck;

/// The download manifest, as shipped in the repository.
const MANIFEST_TOML: &str = include_str!("../../../datasets/manifest.toml");

/// Where [`MANIFEST_TOML`] lives in the repository, for error messages.
const MANIFEST_PATH: &str = "datasets/manifest.toml";

/// Size of the read buffer when downloading and hashing.
const CHUNK: usize = 64 * 1024;

/// One file of a dataset, with the sha256 its content must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile {
    /// File name inside the dataset folder, e.g. `ar.json`.
    pub name: String,
    /// Expected sha256 of the file, lowercase hex (64 characters).
    pub sha256: String,
}

/// A downloadable dataset: where it comes from and the files it is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetManifest {
    /// Dataset name, also the folder it lives in under the data directory (e.g. `xquad-r`).
    pub name: String,
    /// License of the data (e.g. `CC BY-SA 4.0`).
    pub license: String,
    /// Human-readable description of the source (project, repository, folder).
    pub source: String,
    /// URL of the folder holding the files at a pinned commit; a file's URL is
    /// `{base_url}/{file}`.
    pub base_url: String,
    /// Every file of the dataset, sorted by name.
    pub files: Vec<ManifestFile>,
}

impl DatasetManifest {
    /// The URL `file` is downloaded from: `{base_url}/{file}`, or `{override}/{NAME}/{file}`
    /// when `base_url_override` is given (a folder holding one sub-folder per dataset, as
    /// `HBT_DATA_URL`).
    pub fn file_url(&self, file: &str, base_url_override: Option<&str>) -> String {
        match base_url_override {
            Some(base) => format!("{}/{}/{file}", base.trim_end_matches('/'), self.name),
            None => format!("{}/{file}", self.base_url.trim_end_matches('/')),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestDoc {
    datasets: BTreeMap<String, DatasetEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatasetEntry {
    license: String,
    source: String,
    base_url: String,
    files: BTreeMap<String, String>,
}

/// The datasets hbt knows how to download, from the embedded `datasets/manifest.toml`,
/// sorted by name.
pub fn manifests() -> Result<Vec<DatasetManifest>> {
    parse_manifests(MANIFEST_TOML, Path::new(MANIFEST_PATH))
}

/// The built-in manifest of the dataset called `name`.
///
/// # Errors
/// [`DataError::Invalid`] listing the known names when `name` is not one of them.
pub fn manifest(name: &str) -> Result<DatasetManifest> {
    let all = manifests()?;
    let known: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
    let known = known.join(", ");
    all.iter().find(|m| m.name == name).cloned().ok_or_else(|| {
        DataError::Invalid(format!(
            "unknown dataset `{name}` (known datasets: {known})"
        ))
    })
}

/// Parses a download manifest in the layout of `datasets/manifest.toml`; `path` names it in
/// errors. Datasets come back sorted by name, their files sorted by name.
///
/// # Errors
/// [`DataError::Format`] on invalid TOML, unknown or missing fields, a dataset without files,
/// a file name that is not a plain name, a sum that is not 64 lowercase hex digits or a
/// `base_url` that is not an http(s) URL.
pub fn parse_manifests(text: &str, path: &Path) -> Result<Vec<DatasetManifest>> {
    let doc: ManifestDoc = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|span| {
                let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}: ")
            })
            .unwrap_or_default();
        DataError::format(path, format!("{at}{}", one_line(e.message())))
    })?;
    let mut out = Vec::with_capacity(doc.datasets.len());
    for (name, entry) in doc.datasets {
        if !is_plain_name(&name) {
            return Err(DataError::format(
                path,
                format!("dataset name `{name}` is not a plain folder name"),
            ));
        }
        if !(entry.base_url.starts_with("https://") || entry.base_url.starts_with("http://")) {
            return Err(DataError::format(
                path,
                format!(
                    "dataset {name}: base_url `{}` is not an http(s) URL",
                    entry.base_url
                ),
            ));
        }
        if entry.files.is_empty() {
            return Err(DataError::format(
                path,
                format!("dataset {name}: no files listed"),
            ));
        }
        let mut files = Vec::with_capacity(entry.files.len());
        for (file, sha256) in entry.files {
            if !is_plain_name(&file) {
                return Err(DataError::format(
                    path,
                    format!("dataset {name}: file `{file}` is not a plain file name"),
                ));
            }
            if !is_sha256_hex(&sha256) {
                return Err(DataError::format(
                    path,
                    format!("dataset {name}: file {file}: sha256 `{sha256}` is not 64 lowercase hex digits"),
                ));
            }
            files.push(ManifestFile { name: file, sha256 });
        }
        out.push(DatasetManifest {
            name,
            license: entry.license,
            source: entry.source,
            base_url: entry.base_url,
            files,
        });
    }
    Ok(out)
}

/// A name usable as one path component: not empty, no separators, not `.` or `..`.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.starts_with('.')
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Joins the lines of a message into one.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Progress of [`fetch_dataset`], reported through its callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchEvent {
    /// A file download started.
    FileStarted {
        /// File name inside the dataset folder.
        name: String,
        /// Size announced by the server (`Content-Length`), when known.
        total_bytes: Option<u64>,
    },
    /// More bytes of a file arrived.
    Bytes {
        /// File name inside the dataset folder.
        name: String,
        /// Bytes of this file read so far (cumulative).
        read: u64,
    },
    /// A file was already present with the right sha256 and was not downloaded.
    FileSkipped {
        /// File name inside the dataset folder.
        name: String,
    },
    /// A file was downloaded, its sha256 verified and it was moved into place.
    FileDone {
        /// File name inside the dataset folder.
        name: String,
    },
}

/// What [`fetch_dataset`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    /// Files downloaded (and verified), in manifest order.
    pub downloaded: Vec<String>,
    /// Files already present with the right sha256, in manifest order.
    pub skipped: Vec<String>,
}

/// Downloads every file of `manifest` into `data_dir/NAME/`, verifying each sha256.
///
/// URL of a file: `{base}/{file}` where base is `manifest.base_url`, or `{override}/{NAME}`
/// when `base_url_override` is given (`HBT_DATA_URL` semantics: the override points at a folder
/// holding `xquad-r/`, `mlqa-r/`).
///
/// A file that takes longer than `limits.deadline`, or arrives slower than `limits.min_rate`
/// over any `limits.rate_window`, is abandoned with an error. Temporary files left by killed
/// downloads (`.FILE.PID.N.part` of processes no longer running) are removed first.
///
/// Files already present with the right sum are skipped; present files with a wrong sum are
/// downloaded again and replaced. Each file is written to a temporary file in the same folder
/// and renamed only after its sum matched; on any failure the temporary file is removed and
/// nothing is left behind. The first failing file stops the download; files completed before
/// it stay (they are verified).
///
/// # Errors
/// [`DataError::Download`] naming the URL on an HTTP error status, a connection failure, an
/// interrupted or truncated body, or a sha256 mismatch (the message names the file, the
/// expected and the actual sum); [`DataError::Io`] naming the path when the folder or a file
/// cannot be written.
pub fn fetch_dataset(
    manifest: &DatasetManifest,
    data_dir: &Path,
    base_url_override: Option<&str>,
    limits: &DownloadLimits,
    progress: &mut dyn FnMut(FetchEvent),
) -> Result<FetchReport> {
    let dir = data_dir.join(&manifest.name);
    std::fs::create_dir_all(&dir).map_err(|e| DataError::io(&dir, e))?;
    remove_stale_parts(&dir, manifest)?;
    let agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30).min(limits.deadline)))
        .timeout_per_read(Some(limits.rate_window))
        .timeout_global(Some(limits.deadline))
        .user_agent(concat!("hbt/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent();
    let mut report = FetchReport::default();
    for file in &manifest.files {
        let dest = dir.join(&file.name);
        if dest.is_file() && sha256_file(&dest)? == file.sha256 {
            progress(FetchEvent::FileSkipped {
                name: file.name.clone(),
            });
            report.skipped.push(file.name.clone());
            continue;
        }
        let url = manifest.file_url(&file.name, base_url_override);
        download_file(&agent, &url, file, &dest, limits, progress)?;
        progress(FetchEvent::FileDone {
            name: file.name.clone(),
        });
        report.downloaded.push(file.name.clone());
    }
    Ok(report)
}

/// Removes `.FILE.PID.N.part` files of `manifest`'s files in `dir` left by processes that
/// no longer run (Linux: no `/proc/PID`; elsewhere nothing is removed).
fn remove_stale_parts(dir: &Path, manifest: &DatasetManifest) -> Result<()> {
    if !Path::new("/proc/self").exists() {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = manifest
            .files
            .iter()
            .find_map(|f| part_file_pid(&name, &f.name))
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| DataError::io(&path, e))?;
        }
    }
    Ok(())
}

/// The process id in `name` when it is `.FILE.PID.N.part` for `file`.
fn part_file_pid(name: &str, file: &str) -> Option<u32> {
    let rest = name
        .strip_prefix('.')?
        .strip_prefix(file)?
        .strip_prefix('.')?;
    let rest = rest.strip_suffix(".part")?;
    let (pid, n) = rest.split_once('.')?;
    n.parse::<u32>().ok()?;
    pid.parse().ok()
}

/// A temporary file removed on drop unless [`TempFile::persist`] moved it into place.
struct TempFile {
    path: PathBuf,
    file: Option<File>,
    keep: bool,
}

impl TempFile {
    /// Creates a fresh temporary file beside `dest`, named `.FILE.PID.N.part`.
    fn beside(dest: &Path) -> Result<TempFile> {
        let dir = dest.parent().unwrap_or(Path::new("."));
        let stem = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let pid = std::process::id();
        let mut n = 0u32;
        loop {
            let path = dir.join(format!(".{stem}.{pid}.{n}.part"));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file: Some(file),
                        keep: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(DataError::io(&path, e)),
            }
        }
    }

    /// Flushes the file to disk and renames it to `dest`.
    fn persist(mut self, dest: &Path) -> Result<()> {
        if let Some(file) = self.file.take() {
            file.sync_all().map_err(|e| DataError::io(&self.path, e))?;
        }
        std::fs::rename(&self.path, dest).map_err(|e| DataError::io(dest, e))?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.file.take();
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Downloads `url` to `dest` through a temporary file, checking `file.sha256`.
fn download_file(
    agent: &ureq::Agent,
    url: &str,
    file: &ManifestFile,
    dest: &Path,
    limits: &DownloadLimits,
    progress: &mut dyn FnMut(FetchEvent),
) -> Result<()> {
    let download_error = |message: String| DataError::Download {
        url: url.to_string(),
        message,
    };
    let mut rate = RateCheck::start(*limits);
    let mut response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::StatusCode(code) => download_error(format!("HTTP status {code}")),
        other => download_error(
            rate.stalled(0)
                .unwrap_or_else(|| one_line(&other.to_string())),
        ),
    })?;
    let total_bytes = response.body().content_length();
    progress(FetchEvent::FileStarted {
        name: file.name.clone(),
        total_bytes,
    });

    let mut temp = TempFile::beside(dest)?;
    let mut hasher = Sha256::new();
    let mut read = 0u64;
    let mut buf = vec![0u8; CHUNK];
    // `as_reader` has no size limit (unlike `read_to_vec`) and fails when the connection
    // closes before `Content-Length` bytes arrived.
    let mut reader = response.body_mut().as_reader();
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(download_error(rate.stalled(read).unwrap_or_else(|| {
                    format!(
                        "download interrupted after {read} bytes: {}",
                        one_line(&e.to_string())
                    )
                })))
            }
        };
        hasher.update(&buf[..n]);
        if let Some(out) = temp.file.as_mut() {
            out.write_all(&buf[..n])
                .map_err(|e| DataError::io(&temp.path, e))?;
        }
        read += n as u64;
        progress(FetchEvent::Bytes {
            name: file.name.clone(),
            read,
        });
        rate.after(n as u64, read).map_err(download_error)?;
    }
    drop(reader);
    if let Some(total) = total_bytes {
        if read != total {
            return Err(download_error(format!(
                "download truncated: got {read} of {total} bytes"
            )));
        }
    }
    let actual = hex(&hasher.finalize());
    if actual != file.sha256 {
        return Err(download_error(format!(
            "sha256 mismatch for {}: expected {}, got {actual}",
            file.name, file.sha256
        )));
    }
    temp.persist(dest)
}

/// State of one dataset file on disk, from [`verify_dataset`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Present with the expected sha256.
    Ok,
    /// Not present.
    Missing,
    /// Present with another sha256.
    Corrupt {
        /// The sha256 the file has (lowercase hex).
        actual: String,
    },
}

/// Checks presence and sums of the dataset's files in `data_dir/NAME` (no network).
///
/// Returns one entry per manifest file, in manifest order. A missing dataset folder reports
/// every file as [`FileStatus::Missing`].
///
/// # Errors
/// [`DataError::Io`] naming the file when a present file cannot be read.
pub fn verify_dataset(
    manifest: &DatasetManifest,
    data_dir: &Path,
) -> Result<Vec<(String, FileStatus)>> {
    let dir = data_dir.join(&manifest.name);
    manifest
        .files
        .iter()
        .map(|file| {
            let path = dir.join(&file.name);
            let status = match std::fs::metadata(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileStatus::Missing,
                Err(e) => return Err(DataError::io(&path, e)),
                Ok(_) => {
                    let actual = sha256_file(&path)?;
                    if actual == file.sha256 {
                        FileStatus::Ok
                    } else {
                        FileStatus::Corrupt { actual }
                    }
                }
            };
            Ok((file.name.clone(), status))
        })
        .collect()
}

/// The sha256 of the file at `path`, lowercase hex, read in chunks (never whole in memory).
///
/// # Errors
/// [`DataError::Io`] naming `path` when it cannot be opened or read.
pub fn sha256_file(path: &Path) -> Result<String> {
    let file = crate::files::open_regular(path)?;
    let mut reader = BufReader::with_capacity(CHUNK, file);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(DataError::io(path, e)),
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_builtin_manifests_parse() {
        let all = manifests().unwrap();
        let names: Vec<&str> = all.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["mlqa-r", "xquad-r"]);
        let xquad = manifest("xquad-r").unwrap();
        assert_eq!(xquad.files.len(), 11);
        assert!(xquad
            .base_url
            .contains("9bc8c7fb6dd8d01d72a05a93c2cb96882b0d299c"));
        let mlqa = manifest("mlqa-r").unwrap();
        assert_eq!(mlqa.files.len(), 7);
        assert!(mlqa
            .base_url
            .contains("354d67d1cd066854cdfbf5ad0e6105528976141d"));
    }

    #[test]
    fn fetch_file_urls() {
        let m = manifest("xquad-r").unwrap();
        assert_eq!(
            m.file_url("ar.json", None),
            "https://raw.githubusercontent.com/google-research-datasets/lareqa/9bc8c7fb6dd8d01d72a05a93c2cb96882b0d299c/xquad-r/ar.json"
        );
        assert_eq!(
            m.file_url("ar.json", Some("http://127.0.0.1:8000/")),
            "http://127.0.0.1:8000/xquad-r/ar.json"
        );
        assert_eq!(
            m.file_url("ar.json", Some("http://h/d")),
            "http://h/d/xquad-r/ar.json"
        );
    }

    #[test]
    fn fetch_manifest_errors_are_one_line() {
        let path = Path::new("m.toml");
        let sum = "a".repeat(64);
        let cases = [
            ("[datasets.x]\nlicense = \"L\"\nsource = \"S\"\nbase_url = \"https://h\"\nextra = 1\n[datasets.x.files]\n\"a.json\" = \"SUM\"\n", "extra"),
            ("[datasets.x]\nlicense = \"L\"\nsource = \"S\"\nbase_url = \"https://h\"\n[datasets.x.files]\n\"a.json\" = \"abc\"\n", "abc"),
            ("[datasets.x]\nlicense = \"L\"\nsource = \"S\"\nbase_url = \"https://h\"\n[datasets.x.files]\n\"../a.json\" = \"SUM\"\n", "../a.json"),
            ("[datasets.x]\nlicense = \"L\"\nsource = \"S\"\nbase_url = \"ftp://h\"\n[datasets.x.files]\n\"a.json\" = \"SUM\"\n", "ftp://h"),
            ("[datasets.x]\nlicense = \"L\"\nsource = \"S\"\nbase_url = \"https://h\"\n[datasets.x.files]\n", "no files"),
            ("[datasets.x]\nlicense = \"L\"\n", "source"),
            ("[datasets.x\n", "line 1"),
        ];
        for (text, needle) in cases {
            let text = text.replace("SUM", &sum);
            let err = parse_manifests(&text, path).unwrap_err().to_string();
            assert!(!err.contains('\n'), "{err}");
            assert!(err.starts_with("m.toml: "), "{err}");
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn fetch_sha256_of_known_content() {
        let dir = std::env::temp_dir().join(format!("hbt-fetch-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("abc.txt");
        std::fs::write(&path, b"abc").unwrap();
        let sum = sha256_file(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            sum,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let err = sha256_file(&dir.join("nope")).unwrap_err().to_string();
        assert!(err.contains("nope") && !err.contains('\n'), "{err}");
    }
}
