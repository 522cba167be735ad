//! Experiment files: the TOML schema, loading with `extends` and `[sweep]`, and validation.
//! An experiment file becomes a list of validated runs before any work starts.

mod load;
mod schema;
mod validate;

pub use load::{find_experiment, load_experiment, Experiment, RunSpec};
pub use schema::{
    DataConfig, ExperimentConfig, TokenizerConfig, TrainConfig, BACKENDS, SENTENCE_SOURCES,
    STRATEGIES,
};
