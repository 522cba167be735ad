//! The main comparison table (one row per strategy group) and the per-run table.

use super::{zero_shot_note, Better, Cell, Column, Table, TableRow};
use crate::groups::RunGroup;
use crate::load::{Experiment, Run};
use crate::stats::Summary;

/// Reads one value of a run.
type Getter = Box<dyn Fn(&Run) -> Option<f64>>;

/// The main table's value columns for one QA dataset, with how to read each from a run.
fn dataset_columns(task: &str) -> Vec<(Column, Getter)> {
    let t = task.to_string();
    let setting = |name: &'static str| -> Getter {
        let t = t.clone();
        Box::new(move |run: &Run| {
            let task = run.metrics.qa_task(&t)?;
            let m = match name {
                "mono" => task.mono.mean,
                "cross" => task.cross.as_ref()?.mean,
                _ => task.multi.mean,
            };
            Some(m.map)
        })
    };
    let t2 = t.clone();
    vec![
        (
            Column::new("mono", 3, Better::Higher).in_group(task),
            setting("mono"),
        ),
        (
            Column::new("cross", 3, Better::Higher).in_group(task),
            setting("cross"),
        ),
        (
            Column::new("multi", 3, Better::Higher).in_group(task),
            setting("multi"),
        ),
        (
            Column::new("RD", 1, Better::Lower).in_group(task),
            Box::new(move |run: &Run| run.metrics.qa_task(&t2)?.multi.rank_distance.mean),
        ),
    ]
}

/// Summary of a value over runs (NaN and missing values are left out).
fn over_runs(runs: &[&Run], get: &dyn Fn(&Run) -> Option<f64>) -> Option<Summary> {
    let values: Vec<f64> = runs.iter().filter_map(|r| get(r)).collect();
    Summary::of(&values)
}

fn notes(experiment: &Experiment) -> Vec<String> {
    let mut notes = vec![
        "mono / cross / multi: mAP of the monolingual, cross-lingual (mean over X→Y pairs) and \
         multilingual settings; higher is better. RD: mean rank distance in the multi setting \
         (max − min rank of a query's relevant answers); lower is better."
            .to_string(),
        "Mean ± sample standard deviation over the seeds of a row (count in `runs`); best value \
         per column in bold."
            .to_string(),
    ];
    for task in experiment.qa_tasks() {
        if let Some(note) = zero_shot_note(experiment, &task) {
            notes.push(format!("{note} Means include them."));
        }
    }
    notes
}

/// The main comparison: rows are strategy groups (reference runs first), columns mono / cross /
/// multi mAP and mean rank distance per QA dataset; mean ± std over seeds.
pub fn main_table(experiment: &Experiment, groups: &[RunGroup<'_>]) -> Table {
    let cols: Vec<_> = experiment
        .qa_tasks()
        .iter()
        .flat_map(|t| dataset_columns(t))
        .collect();
    let mut columns = vec![Column::new("runs", 0, Better::Neither)];
    columns.extend(cols.iter().map(|(c, _)| c.clone()));
    let mut rows = Vec::new();
    let mut previous_reference = None;
    for g in groups {
        let mut cells = vec![Cell::Text(g.runs.len().to_string())];
        cells.extend(
            cols.iter()
                .map(|(_, get)| Cell::from_summary(over_runs(&g.runs, get.as_ref()))),
        );
        let mut row = TableRow::new(g.label.clone(), cells);
        let reference = g.model.is_reference();
        row.rule_before = previous_reference.is_some_and(|p| p != reference);
        previous_reference = Some(reference);
        rows.push(row);
    }
    Table {
        id: "main".to_string(),
        title: format!(
            "{}: retrieval quality and language bias by batch strategy",
            experiment.name
        ),
        stub_header: "Strategy".to_string(),
        columns,
        rows,
        notes: notes(experiment),
    }
}

/// One row per run (no averaging), with its group and seed.
pub fn runs_table(experiment: &Experiment, groups: &[RunGroup<'_>]) -> Table {
    let cols: Vec<_> = experiment
        .qa_tasks()
        .iter()
        .flat_map(|t| dataset_columns(t))
        .collect();
    let mut columns = vec![
        Column::new("strategy", 0, Better::Neither),
        Column::new("seed", 0, Better::Neither),
    ];
    columns.extend(cols.iter().map(|(c, _)| c.clone()));
    let mut rows = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        for (ri, run) in g.runs.iter().enumerate() {
            let mut cells = vec![
                Cell::Text(g.label.clone()),
                Cell::Text(run.seed().map(|s| s.to_string()).unwrap_or_default()),
            ];
            cells.extend(
                cols.iter()
                    .map(|(_, get)| Cell::from_summary(get(run).and_then(|v| Summary::of(&[v])))),
            );
            let mut row = TableRow::new(run.name.clone(), cells);
            row.rule_before = gi > 0 && ri == 0;
            rows.push(row);
        }
    }
    let mut notes = notes(experiment);
    notes.truncate(1);
    Table {
        id: "runs".to_string(),
        title: format!("{}: every run", experiment.name),
        stub_header: "Run".to_string(),
        columns,
        rows,
        notes,
    }
}
