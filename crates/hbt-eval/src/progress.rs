//! Progress events. Library code never prints: long evaluations report through a callback,
//! and the CLI decides how to show them.

/// Something an evaluation reports while it runs.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalEvent<'a> {
    /// A search starts: `label` names the task and pool (e.g. `xquad-r pool de`).
    SearchStarted {
        /// What is being searched.
        label: &'a str,
        /// Number of queries.
        queries: usize,
        /// Number of pool items.
        pool: usize,
    },
    /// One more block of queries has been ranked.
    BlockDone {
        /// What is being searched.
        label: &'a str,
        /// Queries ranked so far.
        done: usize,
        /// Queries in all.
        total: usize,
    },
}

/// The progress callback taken by the evaluation functions; pass `&mut |_| {}` to ignore.
pub type Progress<'p> = dyn FnMut(&EvalEvent<'_>) + 'p;
