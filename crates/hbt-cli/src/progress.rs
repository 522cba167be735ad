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

/// Training progress: a bar with step, loss, steps/s and ETA on a terminal; plain lines
/// (about twenty per run, plus one per checkpoint) otherwise.
pub struct TrainProgress {
    bar: Option<ProgressBar>,
    started: Instant,
    first_step: u64,
    loss: f64,
}

impl TrainProgress {
    /// Prints the run's first line.
    pub fn new(what: &str) -> TrainProgress {
        eprintln!("[train] {what}");
        TrainProgress {
            bar: None,
            started: Instant::now(),
            first_step: 0,
            loss: f64::NAN,
        }
    }

    /// Shows one event of the training loop.
    pub fn show(&mut self, event: &hbt_train::TrainEvent) {
        use hbt_train::TrainEvent;
        match event {
            TrainEvent::Started {
                step,
                total,
                resumed,
            } => {
                self.first_step = *step;
                self.started = Instant::now();
                if *resumed {
                    eprintln!("[train] resumed from the checkpoint of step {step}");
                }
                if std::io::stderr().is_terminal() {
                    let bar = ProgressBar::new(*total);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "[train] {bar:30} {pos}/{len} {msg} eta {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar.set_position(*step);
                    self.bar = Some(bar);
                }
            }
            TrainEvent::Step {
                step,
                total,
                loss,
                learning_rate,
            } => {
                self.loss = *loss;
                let rate = (step - self.first_step) as f64 / self.started.elapsed().as_secs_f64();
                let message = format!("loss {loss:.4} lr {learning_rate:.2e} {rate:.2} steps/s");
                if let Some(bar) = &self.bar {
                    bar.set_position(*step);
                    bar.set_message(message);
                } else if *step == *total || step % (total / 20).max(1) == 0 {
                    let eta = (total - step) as f64 / rate.max(1e-9);
                    eprintln!("[train] step {step}/{total} {message} eta {eta:.0}s");
                }
            }
            TrainEvent::Checkpoint(row) => {
                let line = format!(
                    "[train] checkpoint at step {}: dev loss {:.4}, dev recall@1 {:.4}",
                    row.step, row.dev_loss, row.dev_recall_at_1
                );
                match &self.bar {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
        }
    }

    /// Clears the bar and prints the wall time.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!(
            "[train] done in {:.1}s (last loss {:.4})",
            self.started.elapsed().as_secs_f64(),
            self.loss
        );
    }
}
