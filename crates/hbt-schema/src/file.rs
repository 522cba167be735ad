//! Reading and writing results files: the one atomic write (temporary file in the same folder,
//! fsync, rename; the temporary file is removed on any error), JSON with a `schema_version`
//! check, and errors that name the file in one line.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What went wrong with a results file.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The file is absent.
    #[error("{}: missing", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// Reading or writing failed.
    #[error("{}: {message}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        message: String,
    },
    /// The contents do not fit the file's schema.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the field path where known.
        message: String,
    },
    /// The file was written with another layout version.
    #[error("{}: schema_version {found}, this hbt reads version {expected} (re-run or re-evaluate the run with this hbt)", path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
}

impl SchemaError {
    /// A format error of `path`, on one line.
    pub fn format(path: &Path, message: impl std::fmt::Display) -> SchemaError {
        SchemaError::Format {
            path: path.to_path_buf(),
            message: one_line(&message.to_string()),
        }
    }

    fn io(path: &Path, error: impl std::fmt::Display) -> SchemaError {
        SchemaError::Io {
            path: path.to_path_buf(),
            message: one_line(&error.to_string()),
        }
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes `path` through a temporary file in its own folder: `write` fills it, it is flushed,
/// synced to disk and renamed into place. On any error the temporary file is removed and
/// `path` is untouched, so readers never see half a file.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), SchemaError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let temp = tempfile::Builder::new()
        .prefix(".hbt-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| {
            if dir.is_dir() {
                // tempfile's message ends with its random name: the kind says what matters.
                SchemaError::io(
                    path,
                    format!(
                        "cannot write in {}: {}",
                        dir.display(),
                        std::io::Error::from(e.kind())
                    ),
                )
            } else {
                SchemaError::io(path, format!("the folder {} does not exist", dir.display()))
            }
        })?;
    {
        let mut out = BufWriter::new(temp.as_file());
        write(&mut out).map_err(|e| SchemaError::io(path, e))?;
        out.flush().map_err(|e| SchemaError::io(path, e))?;
    }
    // tempfile creates files readable by the owner only; results are for everyone to read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| SchemaError::io(path, e))?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| SchemaError::io(path, e))?;
    temp.persist(path)
        .map_err(|e| SchemaError::io(path, e.error))?;
    Ok(())
}

/// Writes `bytes` to `path` atomically (see [`write_atomic_with`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SchemaError> {
    write_atomic_with(path, |out| out.write_all(bytes))
}

/// Reads a whole text file; an absent file is [`SchemaError::Missing`].
pub fn read_text(path: &Path) -> Result<String, SchemaError> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SchemaError::Missing {
            path: path.to_path_buf(),
        },
        _ => SchemaError::io(path, e),
    })
}

/// Parses JSON text into `T`; errors name `path` and the field.
pub fn parse_json<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, SchemaError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        if at == "." {
            SchemaError::format(path, e.into_inner())
        } else {
            SchemaError::format(path, format!("at `{at}`: {}", e.into_inner()))
        }
    })
}

/// Parses JSON text that carries a `schema_version`: a missing or different version is an
/// error before any other field is looked at.
pub fn parse_versioned_json<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    expected: u32,
) -> Result<T, SchemaError> {
    #[derive(Deserialize)]
    struct Version {
        schema_version: Option<u32>,
    }
    let version: Version = serde_json::from_str(text)
        .map_err(|e| SchemaError::format(path, format!("invalid JSON: {e}")))?;
    match version.schema_version {
        Some(found) if found == expected => parse_json(path, text),
        Some(found) => Err(SchemaError::Version {
            path: path.to_path_buf(),
            found,
            expected,
        }),
        None => Err(SchemaError::format(path, "missing `schema_version`")),
    }
}

/// The pretty-printed JSON of `value` with a final newline.
pub fn to_json_text<T: Serialize>(path: &Path, value: &T) -> Result<String, SchemaError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| SchemaError::format(path, e))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_writes_leave_neither_the_file_nor_a_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"old").unwrap();
        let err = write_atomic_with(&path, |out| {
            out.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("a.json") && err.to_string().contains("disk full"));
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn versions_are_checked_first() {
        #[derive(Debug, Deserialize)]
        struct File {
            #[allow(dead_code)]
            schema_version: u32,
            #[allow(dead_code)]
            x: u32,
        }
        let p = Path::new("m.json");
        assert!(parse_versioned_json::<File>(p, r#"{"schema_version": 1, "x": 2}"#, 1).is_ok());
        let err = parse_versioned_json::<File>(p, r#"{"schema_version": 2}"#, 1).unwrap_err();
        assert!(
            matches!(err, SchemaError::Version { found: 2, .. }),
            "{err}"
        );
        let err = parse_versioned_json::<File>(p, r#"{"schema_version": 1, "x": "y"}"#, 1)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("m.json: at `x`"), "{err}");
    }
}
