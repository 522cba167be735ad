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

/// Notes on how far a long piece of work is, with an ETA from the rate so far: at most one
/// every [`EtaNotes::EVERY`] seconds, and one when it completes.
pub struct EtaNotes<'a> {
    log: &'a StageLog<'a>,
    label: String,
    started: Instant,
    last: Option<Instant>,
}

impl<'a> EtaNotes<'a> {
    /// Seconds between two notes.
    pub const EVERY: f64 = 10.0;

    /// Notes of `label` in `log`'s stage.
    pub fn new(log: &'a StageLog<'a>, label: &str) -> Self {
        EtaNotes {
            log,
            label: label.to_string(),
            started: Instant::now(),
            last: None,
        }
    }

    /// Reports `done` (e.g. `1200/26104 texts`) at `fraction` of the work (0 to 1).
    pub fn update(&mut self, done: &str, fraction: f64) {
        let now = Instant::now();
        let due = self
            .last
            .is_none_or(|last| now.duration_since(last).as_secs_f64() >= Self::EVERY);
        if fraction < 1.0 && !due {
            return;
        }
        self.last = Some(now);
        let elapsed = now.duration_since(self.started).as_secs_f64();
        let message = if fraction >= 1.0 {
            format!("{}: {done} in {elapsed:.0}s", self.label)
        } else if fraction > 0.0 {
            let eta = elapsed * (1.0 - fraction) / fraction;
            format!(
                "{}: {done} ({:.0}%), eta {}",
                self.label,
                fraction * 100.0,
                format_seconds(eta)
            )
        } else {
            format!("{}: {done}", self.label)
        };
        self.log.note(&message);
    }
}

/// `75s`, `12m05s` or `3h07m`.
pub fn format_seconds(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..=99 => format!("{s}s"),
        100..=5999 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(format_seconds(75.2), "75s");
        assert_eq!(format_seconds(125.0), "2m05s");
        assert_eq!(format_seconds(11_220.0), "3h07m");
        assert_eq!(format_seconds(-3.0), "0s");
    }
}
