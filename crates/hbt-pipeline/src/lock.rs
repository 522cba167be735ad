//! One writer per experiment: an operating-system file lock on `results/.NAME.lock`, held
//! while `hbt experiment`, `hbt train` or `hbt report` writes the experiment's folder and
//! released when the process ends, however it ends. The file holds the holder's process id
//! so that a refused second process can name it; it is removed when the holder finishes.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The lock of one experiment; released (and its file removed) on drop.
#[derive(Debug)]
pub struct ExperimentLock {
    file: File,
    path: PathBuf,
}

impl ExperimentLock {
    /// Takes the lock of `experiment` under `results_dir` (created when missing), or fails at
    /// once with one line naming the process that holds it.
    pub fn acquire(results_dir: &Path, experiment: &str) -> Result<ExperimentLock> {
        crate::folders::create_folder(results_dir)?;
        let path = results_dir.join(format!(".{experiment}.lock"));
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .with_context(|| format!("{}: cannot open the lock file", path.display()))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    let who = if holder.is_empty() {
                        "another process".to_string()
                    } else {
                        format!("process {holder}")
                    };
                    bail!(
                        "experiment `{experiment}` is in use by {who} (lock {}); wait for it to finish or stop it",
                        path.display()
                    );
                }
                Err(TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("{}: cannot lock", path.display()));
                }
            }
            // A holder that finished between our open and our lock removed the file we
            // locked: lock the file now at that path instead.
            if !same_file(&file, &path) {
                continue;
            }
            file.set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| writeln!(file, "{}", std::process::id()))
                .with_context(|| format!("{}: cannot write", path.display()))?;
            return Ok(ExperimentLock { file, path });
        }
    }

    /// Takes the lock of the experiment folder `dir` (a path such as `results/NAME`): the lock
    /// file lies beside it.
    pub fn acquire_folder(dir: &Path) -> Result<ExperimentLock> {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{}: not an experiment folder", dir.display()))?;
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        ExperimentLock::acquire(parent, name)
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

impl Drop for ExperimentLock {
    fn drop(&mut self) {
        // Removed while still held, so no other process can have locked this file.
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid() {
        let results = tempfile::tempdir().unwrap();
        let first = ExperimentLock::acquire(results.path(), "smoke").unwrap();
        let message = ExperimentLock::acquire(results.path(), "smoke")
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("experiment `smoke` is in use by process ")
                && message.contains(&std::process::id().to_string()),
            "{message}"
        );
        // Other experiments are not affected.
        let other = ExperimentLock::acquire(results.path(), "other").unwrap();
        drop((first, other));
        let entries: Vec<_> = std::fs::read_dir(results.path()).unwrap().collect();
        assert!(entries.is_empty(), "lock files are removed: {entries:?}");
        ExperimentLock::acquire(results.path(), "smoke").unwrap();
    }
}
