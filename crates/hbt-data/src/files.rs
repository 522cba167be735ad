//! Opening input files: only regular files are read. A named pipe would block the reader
//! until some other process writes to it (forever, usually); a folder or device cannot hold
//! data. Each refusal is one line naming the path and what it is.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{DataError, Result};

/// What a non-regular file is, for the message.
fn kind(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Opens `path` for reading when it is a regular file (links followed).
///
/// # Errors
/// [`DataError::Io`] naming `path` when it is missing, unreadable or not a regular file.
pub fn open_regular(path: &Path) -> Result<File> {
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    if !meta.is_file() {
        return Err(DataError::Io {
            path: path.to_path_buf(),
            message: format!("is {}, not a regular file", kind(meta.file_type())),
        });
    }
    File::open(path).map_err(|e| DataError::io(path, e))
}

/// The bytes of the regular file `path` (see [`open_regular`]).
pub fn read_regular(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_regular(path)?
        .read_to_end(&mut bytes)
        .map_err(|e| DataError::io(path, e))?;
    Ok(bytes)
}

/// The text of the regular file `path` (see [`open_regular`]); not UTF-8 is an error.
pub fn read_regular_to_string(path: &Path) -> Result<String> {
    let mut text = String::new();
    open_regular(path)?
        .read_to_string(&mut text)
        .map_err(|e| DataError::io(path, e))?;
    Ok(text)
}

/// The lines of the regular file `path`, numbered from 1.
///
/// # Errors
/// [`DataError::Io`] naming `path` when it is missing, unreadable or not a regular file.
pub(crate) fn numbered_lines(
    path: &Path,
) -> Result<impl Iterator<Item = (usize, std::io::Result<String>)>> {
    use std::io::BufRead;
    let file = open_regular(path)?;
    Ok(std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_opened() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "text").unwrap();
        assert_eq!(read_regular_to_string(&file).unwrap(), "text");
        let err = open_regular(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with("is a folder, not a regular file"), "{err}");
        let missing = open_regular(&dir.path().join("none"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("none"), "{missing}");
        #[cfg(target_os = "linux")]
        {
            let fifo = dir.path().join("pipe");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                let err = read_regular(&fifo).unwrap_err().to_string();
                assert!(
                    err.ends_with("is a named pipe, not a regular file"),
                    "{err}"
                );
            }
        }
    }
}
