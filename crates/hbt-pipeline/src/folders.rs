//! Creating output folders, with errors that say what is in the way.

use std::path::Path;

use anyhow::{bail, Result};

/// Creates `path` and its missing parents.
///
/// # Errors
/// One line naming `path` and the cause: a file standing where a folder must be (named), or
/// the operating system's error (permission, read-only file system, full disk).
pub fn create_folder(path: &Path) -> Result<()> {
    let Err(error) = std::fs::create_dir_all(path) else {
        return Ok(());
    };
    if let Some(file) = path
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir())
    {
        bail!(
            "{}: cannot create the folder: {} is a file",
            path.display(),
            file.display()
        );
    }
    bail!("{}: cannot create the folder: {error}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_in_the_way_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("results");
        std::fs::write(&file, "x").unwrap();
        let err = create_folder(&file.join("exp")).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{}: cannot create the folder: {} is a file",
                file.join("exp").display(),
                file.display()
            )
        );
        create_folder(&dir.path().join("a/b")).unwrap();
        assert!(dir.path().join("a/b").is_dir());
    }
}
