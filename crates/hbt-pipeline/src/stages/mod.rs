//! The stages of an experiment run, in order. Each stage reads the previous stage's output
//! and writes its files into the run folder.

pub mod data;
pub mod eval;
pub mod model;
pub mod train;
