//! Tables: one in-memory model ([`Table`]) rendered to Markdown, CSV and LaTeX (booktabs).
//!
//! - [`main_table`]: one row per strategy group, mono / cross / multi mAP and rank distance per
//!   QA dataset (mean ± std over seeds);
//! - [`runs_table`]: the same columns, one row per run;
//! - [`per_language_tables`]: mono and multi mAP and rank distance per query language;
//! - [`pair_tables`]: the cross-lingual X→Y mAP matrix per group;
//! - [`other_tasks_table`]: retrieval and bitext tasks, when evaluated.

mod main_table;
mod other;
mod pairs;
mod per_language;
mod render;

pub use main_table::{main_table, runs_table};
pub use other::other_tasks_table;
pub use pairs::pair_tables;
pub use per_language::per_language_tables;
pub(crate) use render::{fmt_num, md_escape};

use hbt_schema::Lang;
use serde::Serialize;

use crate::groups::RunGroup;
use crate::load::Experiment;
use crate::stats::Summary;

/// Whether higher or lower values of a column are better (the best is set in bold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Better {
    /// Higher is better (mAP).
    Higher,
    /// Lower is better (rank distance).
    Lower,
    /// No best value is marked.
    Neither,
}

/// A value column.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// Upper header spanning columns (the dataset), if any.
    pub group: Option<String>,
    /// Column header (setting or language).
    pub header: String,
    /// True when the column is a zero-shot language (marked with a dagger).
    pub zero_shot: bool,
    /// Digits after the decimal point.
    pub precision: usize,
    /// Which direction is better.
    pub better: Better,
}

impl Column {
    /// A value column without a group.
    pub fn new(header: impl Into<String>, precision: usize, better: Better) -> Column {
        Column {
            group: None,
            header: header.into(),
            zero_shot: false,
            precision,
            better,
        }
    }

    /// Sets the spanning group header.
    pub fn in_group(mut self, group: impl Into<String>) -> Column {
        self.group = Some(group.into());
        self
    }

    /// Marks the column as a zero-shot language.
    pub fn zero_shot(mut self, zero_shot: bool) -> Column {
        self.zero_shot = zero_shot;
        self
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Cell {
    /// A value, possibly a mean ± std over seeds.
    Value(Summary),
    /// A value shown in parentheses and never marked best (e.g. the diagonal of a pair matrix).
    Aside(Summary),
    /// Free text.
    Text(String),
    /// No value.
    Empty,
}

impl Cell {
    /// A value cell from a summary, or empty.
    pub fn from_summary(s: Option<Summary>) -> Cell {
        s.map(Cell::Value).unwrap_or(Cell::Empty)
    }

    /// The mean of a value cell.
    pub fn mean(&self) -> Option<f64> {
        match self {
            Cell::Value(s) | Cell::Aside(s) => Some(s.mean),
            _ => None,
        }
    }
}

/// One row.
#[derive(Debug, Clone, Serialize)]
pub struct TableRow {
    /// Row label (first column).
    pub label: String,
    /// True when the row label is a zero-shot language.
    pub zero_shot: bool,
    /// Cells, one per column.
    pub cells: Vec<Cell>,
    /// Draw a rule above this row (a new block: reference runs, trained runs, means).
    pub rule_before: bool,
}

impl TableRow {
    /// A row with a plain label.
    pub fn new(label: impl Into<String>, cells: Vec<Cell>) -> TableRow {
        TableRow {
            label: label.into(),
            zero_shot: false,
            cells,
            rule_before: false,
        }
    }
}

/// A table, independent of output format.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// File stem under `tables/` (`main`, `per_language_xquad-r_mono`, ...).
    pub id: String,
    /// Caption.
    pub title: String,
    /// Header of the label column.
    pub stub_header: String,
    /// Value columns.
    pub columns: Vec<Column>,
    /// Rows.
    pub rows: Vec<TableRow>,
    /// Footnotes (explanations, zero-shot marker).
    pub notes: Vec<String>,
}

impl Table {
    /// True when any column or row is a zero-shot language.
    pub fn has_zero_shot(&self) -> bool {
        self.columns.iter().any(|c| c.zero_shot) || self.rows.iter().any(|r| r.zero_shot)
    }

    /// The value of row `row_label`, column `header` (group `group`), if it is a value cell.
    pub fn value(&self, row_label: &str, group: Option<&str>, header: &str) -> Option<&Summary> {
        let col = self
            .columns
            .iter()
            .position(|c| c.header == header && c.group.as_deref() == group)?;
        let row = self.rows.iter().find(|r| r.label == row_label)?;
        match &row.cells[col] {
            Cell::Value(s) | Cell::Aside(s) => Some(s),
            _ => None,
        }
    }
}

/// Every table of the report for an experiment.
pub fn build_tables(experiment: &Experiment, groups: &[RunGroup<'_>]) -> Vec<Table> {
    let mut tables = vec![
        main_table(experiment, groups),
        runs_table(experiment, groups),
    ];
    tables.extend(per_language_tables(experiment, groups));
    tables.extend(pair_tables(experiment, groups));
    tables.extend(other_tasks_table(groups));
    tables
}

/// The footnote explaining the zero-shot marker.
pub(crate) fn zero_shot_note(experiment: &Experiment, task: &str) -> Option<String> {
    let (_, zero) = experiment.task_languages(task);
    if zero.is_empty() {
        return None;
    }
    Some(format!(
        "† zero-shot language ({task}): absent from the training data ({}).",
        zero.iter().map(Lang::as_str).collect::<Vec<_>>().join(", ")
    ))
}
