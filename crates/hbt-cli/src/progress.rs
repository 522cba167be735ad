//! Progress on the terminal: stage lines on stderr, a training bar with loss, steps/s and ETA,
//! and a byte bar for downloads. Without a terminal, bars become plain lines.

use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::Instant;

use hbt_data::fetch::FetchEvent;
use hbt_pipeline::Progress;
use hbt_train::TrainEvent;
use indicatif::{ProgressBar, ProgressStyle};

/// The terminal display of the pipeline's [`Progress`].
pub struct Terminal {
    tty: bool,
    train: RefCell<TrainBar>,
    fetch: RefCell<Option<ProgressBar>>,
}

/// State of the training display.
struct TrainBar {
    bar: Option<ProgressBar>,
    started: Instant,
    first_step: u64,
}

impl Terminal {
    /// A display on stderr.
    pub fn new() -> Terminal {
        Terminal {
            tty: std::io::stderr().is_terminal(),
            train: RefCell::new(TrainBar {
                bar: None,
                started: Instant::now(),
                first_step: 0,
            }),
            fetch: RefCell::new(None),
        }
    }

    fn bar(&self, len: u64, template: &str) -> ProgressBar {
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    }
}

impl Default for Terminal {
    fn default() -> Self {
        Terminal::new()
    }
}

impl Progress for Terminal {
    fn line(&self, stage: &str, message: &str) {
        // A line after training ends the training bar.
        if let Some(bar) = self.train.borrow_mut().bar.take() {
            bar.finish_and_clear();
        }
        if stage == "run" {
            eprintln!("== {message} ==");
        } else {
            eprintln!("[{stage}] {message}");
        }
    }

    fn train(&self, event: &TrainEvent) {
        let mut state = self.train.borrow_mut();
        match event {
            TrainEvent::Started {
                step,
                total,
                resumed,
            } => {
                state.first_step = *step;
                state.started = Instant::now();
                if *resumed {
                    eprintln!("[train] resumed from the checkpoint of step {step}");
                }
                if self.tty {
                    let bar = self.bar(*total, "[train] {bar:30} {pos}/{len} {msg} eta {eta}");
                    bar.set_position(*step);
                    state.bar = Some(bar);
                }
            }
            TrainEvent::Step {
                step,
                total,
                loss,
                learning_rate,
            } => {
                let rate = (step - state.first_step) as f64 / state.started.elapsed().as_secs_f64();
                let message = format!("loss {loss:.4} lr {learning_rate:.2e} {rate:.2} steps/s");
                if let Some(bar) = &state.bar {
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
                match &state.bar {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
        }
    }

    fn fetch(&self, dataset: &str, event: &FetchEvent) {
        let mut bar = self.fetch.borrow_mut();
        match event {
            FetchEvent::FileStarted { name, total_bytes } => {
                if self.tty {
                    let b = self.bar(
                        total_bytes.unwrap_or(0),
                        "{msg:24} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    );
                    b.set_message(format!("{dataset}/{name}"));
                    *bar = Some(b);
                } else {
                    let size = total_bytes
                        .map(|b| format!(" ({b} bytes)"))
                        .unwrap_or_default();
                    eprintln!("[fetch] {dataset}/{name}{size}");
                }
            }
            FetchEvent::Bytes { read, .. } => {
                if let Some(b) = bar.as_ref() {
                    b.set_position(*read);
                }
            }
            FetchEvent::FileSkipped { name } => {
                eprintln!("[fetch] {dataset}/{name}: present, sha256 ok")
            }
            FetchEvent::FileDone { name } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
                eprintln!("[fetch] {dataset}/{name}: checksum verified");
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if let Some(bar) = self.train.get_mut().bar.take() {
            bar.finish_and_clear();
        }
    }
}
