//! One module per subcommand; each is a thin driver over the library crates.

pub mod bench;
pub mod bench_eval;
pub mod bench_train;
pub mod bench_util;
pub mod data;
pub mod eval;
pub mod experiment;
pub mod report;
