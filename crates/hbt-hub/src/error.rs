//! The crate's error type.

use std::path::PathBuf;

/// Why a model reference could not be parsed or turned into local files.
///
/// Every message is one line and names what it is about (the text, the folder, the repo id,
/// the file, the URL or the cache folder).
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The text is none of the accepted forms of a model reference.
    #[error(
        "model `{text}` is neither an existing folder nor a hub id ORG/NAME \
         (accepted: FOLDER, ORG/NAME[@REVISION], hf:ORG/NAME[@REVISION], q4:PATH)"
    )]
    UnknownSource {
        /// The text as given.
        text: String,
    },
    /// `hf:` followed by something that is not `ORG/NAME[@REVISION]`.
    #[error(
        "model `{text}` is not a hub id: expected hf:ORG/NAME[@REVISION], each name of letters, \
         digits, `.`, `_`, `-`, the revision of those and `/`"
    )]
    InvalidHubId {
        /// The text as given.
        text: String,
    },
    /// `q4:` followed by nothing.
    #[error("model `{text}` names no file: expected q4:PATH")]
    EmptyQ4Path {
        /// The text as given.
        text: String,
    },
    /// Neither `HF_HUB_CACHE`, `HF_HOME` nor a home directory says where the cache is.
    #[error(
        "cannot locate the Hugging Face cache: no home directory; set HF_HUB_CACHE or HF_HOME"
    )]
    NoCacheDir,
    /// A folder source that is a file (or something else) on disk.
    #[error("model {path} is not a folder (a 4-bit weights file is given as q4:PATH)")]
    NotAFolder {
        /// The path of the source.
        path: PathBuf,
    },
    /// Files a model needs are missing from its folder.
    #[error("model folder {folder} lacks {}", .missing.join(", "))]
    MissingFiles {
        /// The folder looked in.
        folder: PathBuf,
        /// The names of the missing files.
        missing: Vec<String>,
    },
    /// Offline mode is set and a file of a hub repo is not in the cache.
    #[error(
        "{file} of {repo} is not in the Hugging Face cache {cache} and offline mode is set \
         (HF_HUB_OFFLINE): download it once without offline mode"
    )]
    Offline {
        /// The repo id, with `@REVISION` when one was given.
        repo: String,
        /// The missing file.
        file: String,
        /// The cache folder looked in.
        cache: PathBuf,
    },
    /// A download failed: HTTP status, connection, headers the hub always sends, disk.
    #[error("cannot download {file} of {repo} from {url}: {cause}")]
    Download {
        /// The repo id, with `@REVISION` when one was given.
        repo: String,
        /// The file.
        file: String,
        /// The URL asked.
        url: String,
        /// What went wrong, one line.
        cause: String,
    },
    /// The downloaded content does not have the checksum the hub published for it.
    #[error(
        "{file} of {repo} failed verification: the hub published {algorithm} {expected}, the \
         downloaded content has {actual}; the download was removed from the cache"
    )]
    ChecksumMismatch {
        /// The repo id, with `@REVISION` when one was given.
        repo: String,
        /// The file.
        file: String,
        /// `sha256` (LFS files) or `git blob sha1` (regular files).
        algorithm: &'static str,
        /// The checksum the hub published (the ETag).
        expected: String,
        /// The checksum of the bytes received.
        actual: String,
    },
    /// A download whose checksum cannot be checked (an ETag that is no checksum).
    #[error("cannot verify {file} of {repo}: {reason}; the download was removed from the cache")]
    Unverifiable {
        /// The repo id, with `@REVISION` when one was given.
        repo: String,
        /// The file.
        file: String,
        /// Why, one line.
        reason: String,
    },
    /// The revision moved to another commit while its files were being downloaded.
    #[error(
        "files of {repo} came from different commits ({first} and {second}): the revision \
         moved during the download; run again"
    )]
    MixedCommits {
        /// The repo id, with `@REVISION` when one was given.
        repo: String,
        /// One snapshot folder.
        first: PathBuf,
        /// Another snapshot folder.
        second: PathBuf,
    },
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client for {endpoint}: {cause}")]
    Client {
        /// The hub endpoint.
        endpoint: String,
        /// What went wrong, one line.
        cause: String,
    },
    /// The file of a `q4:FILE` source does not exist.
    #[error("q4:{}: no such file", file.display())]
    Q4Missing {
        /// The 4-bit weights file named.
        file: PathBuf,
    },
    /// A `q4:FILE` source has no `tokenizer.json` beside it.
    #[error("q4:{}: no tokenizer.json beside it in {}", file.display(), folder.display())]
    Q4WithoutTokenizer {
        /// The 4-bit weights file named.
        file: PathBuf,
        /// Its folder, where the tokenizer must be.
        folder: PathBuf,
    },
    /// A download limit variable has a bad value.
    #[error(transparent)]
    Limits(#[from] hbt_download::LimitsError),
}

/// Flattens a message to one line: line breaks and other control characters become spaces.
pub(crate) fn one_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    flat.split_whitespace().collect::<Vec<_>>().join(" ")
}
