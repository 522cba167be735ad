//! Progress on the terminal: stage lines with elapsed time, and a byte progress bar for
//! downloads that degrades to plain lines when stderr is not a terminal.

use std::io::IsTerminal;
use std::time::Instant;

use hbt_data::fetch::FetchEvent;
use indicatif::{ProgressBar, ProgressStyle};

/// Prints `[stage] message` lines to stderr, with the time since the stage began.
pub struct StageLog {
    stage: &'static str,
    started: Instant,
}

impl StageLog {
    /// Starts a stage and prints its first line.
    pub fn start(stage: &'static str, message: &str) -> StageLog {
        eprintln!("[{stage}] {message}");
        StageLog {
            stage,
            started: Instant::now(),
        }
    }

    /// Prints a line of this stage with the elapsed time.
    pub fn note(&self, message: &str) {
        eprintln!(
            "[{}] {message} ({:.1}s)",
            self.stage,
            self.started.elapsed().as_secs_f64()
        );
    }

    /// Seconds since the stage started.
    pub fn seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// A download progress reporter for [`hbt_data::fetch::fetch_dataset`].
pub fn fetch_reporter(dataset: &str) -> impl FnMut(FetchEvent) {
    let dataset = dataset.to_string();
    let tty = std::io::stderr().is_terminal();
    let mut bar: Option<ProgressBar> = None;
    move |event| match event {
        FetchEvent::FileStarted { name, total_bytes } => {
            if tty {
                let b = ProgressBar::new(total_bytes.unwrap_or(0));
                b.set_style(
                    ProgressStyle::with_template(
                        "{msg:24} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b.set_message(format!("{dataset}/{name}"));
                bar = Some(b);
            } else {
                let size = total_bytes
                    .map(|b| format!(" ({b} bytes)"))
                    .unwrap_or_default();
                eprintln!("[fetch] {dataset}/{name}{size}");
            }
        }
        FetchEvent::Bytes { read, .. } => {
            if let Some(b) = &bar {
                b.set_position(read);
            }
        }
        FetchEvent::FileSkipped { name } => {
            eprintln!("[fetch] {dataset}/{name}: present, sha256 ok")
        }
        FetchEvent::FileDone { name } => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            eprintln!("[fetch] {dataset}/{name}: sha256 ok");
        }
    }
}
