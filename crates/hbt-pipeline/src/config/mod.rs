//! Experiment files: loading with `extends` and `[sweep]` into typed
//! [`hbt_schema::ExperimentConfig`]s, and validation of every run before any work starts.

mod load;
mod validate;

pub use load::{find_experiment, load_experiment, Experiment, RunSpec};
pub use validate::validate;
