//! hbt-eval: not yet written. This crate is a placeholder in the workspace layout of the design
//! card; its stage is added to `hbt experiment` by a later issue.
