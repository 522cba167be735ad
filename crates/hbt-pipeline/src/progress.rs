//! What the pipeline reports while it works. The pipeline never prints: the caller implements
//! [`Progress`] (the command line draws lines and bars on stderr).

use std::time::Instant;

use hbt_data::fetch::FetchEvent;
use hbt_train::TrainEvent;

/// Receives the pipeline's progress. Methods take `&self` so that a stage can report from
/// inside callbacks; implementations keep their state behind interior mutability.
pub trait Progress {
    /// One line of `stage` (`data`, `train`, `eval`, `report`...).
    fn line(&self, stage: &str, message: &str);
    /// An event of the training loop.
    fn train(&self, event: &TrainEvent);
    /// An event of a dataset download.
    fn fetch(&self, dataset: &str, event: &FetchEvent);
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn line(&self, _stage: &str, _message: &str) {}
    fn train(&self, _event: &TrainEvent) {}
    fn fetch(&self, _dataset: &str, _event: &FetchEvent) {}
}

/// The lines of one stage, each with the time since the stage began.
pub struct StageLog<'a> {
    progress: &'a dyn Progress,
    stage: &'static str,
    started: Instant,
}

impl<'a> StageLog<'a> {
    /// Starts a stage and reports its first line.
    pub fn start(progress: &'a dyn Progress, stage: &'static str, message: &str) -> Self {
        progress.line(stage, message);
        StageLog {
            progress,
            stage,
            started: Instant::now(),
        }
    }

    /// Reports a line of this stage with the elapsed time.
    pub fn note(&self, message: &str) {
        self.progress.line(
            self.stage,
            &format!("{message} ({:.1}s)", self.started.elapsed().as_secs_f64()),
        );
    }

    /// Seconds since the stage started.
    pub fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}
