//! One module per subcommand; each turns its arguments into library calls and prints.

pub mod bench;
pub mod data;
pub mod encode;
pub mod eval;
pub mod experiment;
pub mod model;
pub mod report;
