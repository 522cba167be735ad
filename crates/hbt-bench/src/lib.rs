//! hbt's benchmarks as a library, measured on the code the pipeline runs:
//!
//! * [`encode::run`]: encode throughput of a from-scratch encoder (`hbt_model::encode`) on
//!   burn-flex and burn-ndarray over the XQuAD-R English candidates;
//! * [`train::run`]: training throughput of the trainer's own step (`hbt_train::ids_loss`,
//!   `hbt_train::StepGradients`, `hbt_train::adamw`) on batches of XQuAD-R pairs;
//! * [`eval::run`]: time and peak memory of a full XQuAD-R evaluation through the evaluator
//!   (`hbt_pipeline::stages::eval::Ranker`, `hbt_eval::evaluate_qa`, `hbt_eval::DenseQa`,
//!   `hbt_eval::search`).
//!
//! Each takes a plain options struct, the [`hbt_pipeline::Locations`] of the data and a
//! [`hbt_pipeline::Progress`] for its stage lines, and returns a report: `Display` gives the
//! Markdown table the command prints, `write_json` the `--json` file that
//! `scripts/bench/compare.py` reads. `export` options write the inputs of the PyTorch
//! reference (`scripts/bench/torch_bench.py`).

pub mod encode;
pub mod eval;
pub mod measure;
pub mod shape;
pub mod train;

mod files;
mod xquad;

pub use encode::{EncodeOptions, EncodeReport};
pub use eval::{EvalOptions, EvalReport};
pub use measure::Spread;
pub use shape::BenchShape;
pub use train::{TrainOptions, TrainReport};
