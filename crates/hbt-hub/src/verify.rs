//! Checking a downloaded blob against the checksum the hub published for it.
//!
//! The hub names each file's content by its ETag, and hf-hub names the cache blob after it:
//! * 64 hex digits (`X-Linked-Etag` of an LFS file): the sha256 of the content;
//! * 40 hex digits (`ETag` of a regular git file): the git blob sha1, that is
//!   sha1(`"blob {len}\0"` + content).
//!
//! Any other form cannot be checked.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The checksum an ETag stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Checksum {
    /// sha256 of the content (LFS files).
    Sha256(String),
    /// sha1 of `"blob {len}\0"` + content (regular git files).
    GitSha1(String),
}

impl Checksum {
    /// The checksum an ETag (quotes already stripped) stands for, or `None` for an ETag that
    /// is no checksum.
    pub(crate) fn from_etag(etag: &str) -> Option<Checksum> {
        if !etag.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let etag = etag.to_ascii_lowercase();
        match etag.len() {
            64 => Some(Checksum::Sha256(etag)),
            40 => Some(Checksum::GitSha1(etag)),
            _ => None,
        }
    }

    /// The name of the algorithm, for messages.
    pub(crate) fn algorithm(&self) -> &'static str {
        match self {
            Checksum::Sha256(_) => "sha256",
            Checksum::GitSha1(_) => "git blob sha1",
        }
    }

    /// The hex digest expected.
    pub(crate) fn expected(&self) -> &str {
        match self {
            Checksum::Sha256(hex) | Checksum::GitSha1(hex) => hex,
        }
    }

    /// The same algorithm's hex digest of the file at `path`, read in 1 MiB pieces.
    pub(crate) fn digest_file(&self, path: &Path) -> io::Result<String> {
        let mut file = File::open(path)?;
        match self {
            Checksum::Sha256(_) => digest_reader(Sha256::new(), &mut file),
            Checksum::GitSha1(_) => {
                let len = file.metadata()?.len();
                let mut hasher = Sha1::new();
                hasher.update(format!("blob {len}\0").as_bytes());
                digest_reader(hasher, &mut file)
            }
        }
    }
}

fn digest_reader<D: Digest>(mut hasher: D, reader: &mut impl Read) -> io::Result<String> {
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_bytes(checksum: &Checksum, bytes: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        std::fs::write(&path, bytes).unwrap();
        checksum.digest_file(&path).unwrap()
    }

    #[test]
    fn etag_forms() {
        let sha256 = "A".repeat(64);
        assert_eq!(
            Checksum::from_etag(&sha256),
            Some(Checksum::Sha256("a".repeat(64)))
        );
        assert_eq!(
            Checksum::from_etag(&"0".repeat(40)),
            Some(Checksum::GitSha1("0".repeat(40)))
        );
        assert_eq!(Checksum::from_etag("W/abc"), None);
        assert_eq!(Checksum::from_etag(&"0".repeat(32)), None);
        assert_eq!(Checksum::from_etag(&"g".repeat(64)), None);
    }

    #[test]
    fn git_blob_sha1_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`, and the empty blob.
        let git = Checksum::GitSha1(String::new());
        assert_eq!(
            digest_bytes(&git, b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            digest_bytes(&git, b""),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
    }

    #[test]
    fn sha256_matches_known_digest() {
        let sha = Checksum::Sha256(String::new());
        assert_eq!(
            digest_bytes(&sha, b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
