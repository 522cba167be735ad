//! [`ModelSource`]: what a user's model reference names.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::HubError;

const Q4_PREFIX: &str = "q4:";
const HF_PREFIX: &str = "hf:";

/// Where a model comes from, as parsed from a user's reference by [`ModelSource::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A Hugging Face folder on disk: `config.json`, `model.safetensors`, `tokenizer.json`.
    Folder(PathBuf),
    /// A model repo on the Hugging Face hub.
    Hub {
        /// The repo id, `ORG/NAME`.
        repo: String,
        /// A branch, tag or commit; `None` means `main`.
        revision: Option<String>,
    },
    /// A 4-bit weights file; its `tokenizer.json` lies in the same folder.
    Q4(PathBuf),
}

impl ModelSource {
    /// Parses a model reference, in this order:
    /// * `q4:PATH` is [`ModelSource::Q4`];
    /// * `hf:ORG/NAME[@REVISION]` is [`ModelSource::Hub`], even if a folder of that name exists;
    /// * a path that exists on disk is [`ModelSource::Folder`];
    /// * `ORG/NAME[@REVISION]` is [`ModelSource::Hub`]: each name is `[A-Za-z0-9][A-Za-z0-9._-]*`,
    ///   the revision is `[A-Za-z0-9._/-]+` without empty, `.` or `..` segments (`refs/pr/1`);
    /// * anything else is an error naming the text.
    pub fn parse(text: &str) -> Result<ModelSource, HubError> {
        if let Some(path) = text.strip_prefix(Q4_PREFIX) {
            if path.is_empty() {
                return Err(HubError::EmptyQ4Path { text: text.into() });
            }
            return Ok(ModelSource::Q4(PathBuf::from(path)));
        }
        if let Some(id) = text.strip_prefix(HF_PREFIX) {
            return split_hub_id(id).ok_or_else(|| HubError::InvalidHubId { text: text.into() });
        }
        if !text.is_empty() && Path::new(text).exists() {
            return Ok(ModelSource::Folder(PathBuf::from(text)));
        }
        split_hub_id(text).ok_or_else(|| HubError::UnknownSource { text: text.into() })
    }
}

impl FromStr for ModelSource {
    type Err = HubError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ModelSource::parse(text)
    }
}

impl fmt::Display for ModelSource {
    /// A text that [`ModelSource::parse`] turns back into the same source: `q4:PATH`,
    /// `hf:ORG/NAME[@REVISION]`, or the folder's path (which parses back while it exists).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSource::Folder(path) => write!(f, "{}", path.display()),
            ModelSource::Q4(path) => write!(f, "{Q4_PREFIX}{}", path.display()),
            ModelSource::Hub {
                repo,
                revision: None,
            } => write!(f, "{HF_PREFIX}{repo}"),
            ModelSource::Hub {
                repo,
                revision: Some(revision),
            } => write!(f, "{HF_PREFIX}{repo}@{revision}"),
        }
    }
}

/// `ORG/NAME[@REVISION]` as a [`ModelSource::Hub`], or `None` when the text is not one.
fn split_hub_id(text: &str) -> Option<ModelSource> {
    let (repo, revision) = match text.split_once('@') {
        Some((repo, revision)) => (repo, Some(revision)),
        None => (text, None),
    };
    let (org, name) = repo.split_once('/')?;
    if !is_name(org) || !is_name(name) {
        return None;
    }
    if let Some(revision) = revision {
        if !is_revision(revision) {
            return None;
        }
    }
    Some(ModelSource::Hub {
        repo: repo.to_string(),
        revision: revision.map(str::to_string),
    })
}

/// `[A-Za-z0-9][A-Za-z0-9._-]*`
fn is_name(part: &str) -> bool {
    let mut chars = part.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `[A-Za-z0-9._/-]+` with no empty, `.` or `..` segment: the revision becomes a path under
/// the cache's `refs/` folder.
fn is_revision(revision: &str) -> bool {
    !revision.is_empty()
        && revision
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && revision
            .split('/')
            .all(|segment| !matches!(segment, "" | "." | ".."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_revisions() {
        assert!(is_name("intfloat"));
        assert!(is_name("multilingual-e5-small"));
        assert!(is_name("a.b_c-d"));
        assert!(!is_name(""));
        assert!(!is_name("-a"));
        assert!(!is_name(".a"));
        assert!(!is_name("a b"));
        assert!(is_revision("main"));
        assert!(is_revision("refs/pr/1"));
        assert!(is_revision("v1.0"));
        assert!(!is_revision(""));
        assert!(!is_revision("../x"));
        assert!(!is_revision("a//b"));
        assert!(!is_revision("/a"));
        assert!(!is_revision("a b"));
    }
}
