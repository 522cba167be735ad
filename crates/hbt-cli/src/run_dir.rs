//! A run's results folder, written atomically: everything goes into a hidden staging folder
//! beside the final one, which replaces `results/EXPERIMENT/RUN/` only when the run succeeds.
//! A failed run leaves nothing behind.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The staging folder of one run; removed on drop unless committed.
pub struct RunDir {
    staging: PathBuf,
    target: PathBuf,
    created_experiment_dir: Option<PathBuf>,
    committed: bool,
}

impl RunDir {
    /// Creates `results/EXPERIMENT/.RUN.partial/` (clearing a stale one).
    pub fn create(results_dir: &Path, experiment: &str, run: &str) -> Result<RunDir> {
        let experiment_dir = results_dir.join(experiment);
        let created_experiment_dir = (!experiment_dir.exists()).then(|| experiment_dir.clone());
        let staging = experiment_dir.join(format!(".{run}.partial"));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .with_context(|| format!("{}: cannot remove", staging.display()))?;
        }
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("{}: cannot create", staging.display()))?;
        Ok(RunDir {
            staging,
            target: experiment_dir.join(run),
            created_experiment_dir,
            committed: false,
        })
    }

    /// The folder to write into while the run is going on.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Where the results will be once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes a file inside the run folder via a temporary file and a rename.
    pub fn write(&self, name: &str, contents: &[u8]) -> Result<()> {
        write_atomic(&self.staging.join(name), contents)
    }

    /// Moves the finished run into place, replacing an older result of the same run.
    pub fn commit(mut self) -> Result<PathBuf> {
        if self.target.exists() {
            std::fs::remove_dir_all(&self.target).with_context(|| {
                format!("{}: cannot replace the old result", self.target.display())
            })?;
        }
        std::fs::rename(&self.staging, &self.target).with_context(|| {
            format!(
                "{}: cannot move the finished run into place",
                self.target.display()
            )
        })?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.staging);
        if let Some(dir) = &self.created_experiment_dir {
            // Only removes the experiment folder if this run created it and it is empty.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Writes `path` via `path.tmp` in the same folder and a rename, so readers never see half a file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    std::fs::write(&tmp, contents).with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_runs_leave_nothing_behind() {
        let results = tempfile::tempdir().unwrap();
        {
            let run = RunDir::create(results.path(), "exp", "main").unwrap();
            run.write("a.txt", b"x").unwrap();
        }
        assert!(!results.path().join("exp").exists());
    }

    #[test]
    fn committed_runs_replace_older_ones() {
        let results = tempfile::tempdir().unwrap();
        for content in [b"old", b"new"] {
            let run = RunDir::create(results.path(), "exp", "main").unwrap();
            run.write("a.txt", content).unwrap();
            run.commit().unwrap();
        }
        let dir = results.path().join("exp");
        assert_eq!(std::fs::read(dir.join("main/a.txt")).unwrap(), b"new");
        let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(entries.len(), 1, "no staging folder left");
    }
}
