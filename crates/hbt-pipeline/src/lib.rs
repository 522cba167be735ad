//! What turns an experiment file into runs, as a library: the experiment file (`extends`,
//! `[sweep]`, validation) into typed [`hbt_schema::ExperimentConfig`]s, the stages of a run
//! (data → train → eval) with their wiring, the results folder of each run, and the
//! evaluation of a saved model. It never prints: progress goes through [`Progress`], which the
//! command line (or a test) implements.

pub mod config;
pub mod datasets;
pub mod encode_texts;
pub mod evaluate;
pub mod experiment;
pub mod folders;
pub mod locations;
pub mod lock;
pub mod memory;
pub mod names;
pub mod pretrained;
pub mod progress;
pub mod results;
pub mod run_dir;
pub mod stages;

mod dispatch;
mod manifest;

pub use locations::Locations;
pub use progress::{EtaNotes, Progress, Silent, StageLog};
