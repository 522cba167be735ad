//! A run's results folder, written atomically: everything goes into a hidden staging folder
//! beside the final one, which replaces `results/EXPERIMENT/RUN/` only when the run succeeds.
//! A failed run leaves nothing behind.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hbt_schema::file::{to_json_text, write_atomic};

use crate::names::check_inside;

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
        let target = experiment_dir.join(run);
        check_inside(results_dir, &staging)?;
        check_inside(results_dir, &target)?;
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .with_context(|| format!("{}: cannot remove", staging.display()))?;
        }
        crate::folders::create_folder(&staging)?;
        Ok(RunDir {
            staging,
            target,
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

    /// Writes a file inside the run folder atomically.
    pub fn write(&self, name: &str, contents: &[u8]) -> Result<()> {
        Ok(write_atomic(&self.staging.join(name), contents)?)
    }

    /// Writes a JSON file inside the run folder (pretty-printed, final newline).
    pub fn write_json<T: serde::Serialize>(&self, name: &str, value: &T) -> Result<()> {
        let path = self.staging.join(name);
        Ok(write_atomic(&path, to_json_text(&path, value)?.as_bytes())?)
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

/// Removes what killed processes left under `experiment_dir`: hidden `*.partial` folders and
/// files (run staging folders, `.report.partial/`, checkpoint folders being written, atomic
/// writes' temporary files), down to `results/NAME/checkpoints/RUN/`. Only to be called while
/// holding the experiment's lock, when no other process can be writing there.
pub fn remove_stale_partials(experiment_dir: &Path) -> Result<()> {
    fn sweep(dir: &Path, depth: usize) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if name.starts_with('.') && name.ends_with(".partial") {
                let removed = if is_dir {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.with_context(|| format!("{}: cannot remove", path.display()))?;
            } else if is_dir && depth > 0 {
                sweep(&path, depth - 1)?;
            }
        }
        Ok(())
    }
    sweep(experiment_dir, 2)
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
    fn stale_partials_are_removed_and_results_kept() {
        let results = tempfile::tempdir().unwrap();
        let exp = results.path().join("exp");
        for dir in [
            ".main.partial/sub",
            ".report.partial",
            "main",
            "checkpoints/main/.step-00000020.partial",
            "checkpoints/main/step-00000010",
            "tables",
        ] {
            std::fs::create_dir_all(exp.join(dir)).unwrap();
        }
        for file in [
            "main/.hbt-x1.partial",
            "main/metrics.json",
            "tables/main.csv",
        ] {
            std::fs::write(exp.join(file), b"x").unwrap();
        }
        remove_stale_partials(&exp).unwrap();
        let mut left = Vec::new();
        for dir in ["", "main", "checkpoints/main", "tables"] {
            for entry in std::fs::read_dir(exp.join(dir)).unwrap() {
                left.push(format!(
                    "{dir}/{}",
                    entry.unwrap().file_name().to_string_lossy()
                ));
            }
        }
        left.sort();
        assert_eq!(
            left,
            [
                "/checkpoints",
                "/main",
                "/tables",
                "checkpoints/main/step-00000010",
                "main/metrics.json",
                "tables/main.csv"
            ]
        );
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
