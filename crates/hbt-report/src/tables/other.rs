//! Retrieval (BEIR/MIRACL layout) and bitext tasks, when an experiment evaluates them.

use hbt_schema::metrics::TaskMetrics;

use super::{Better, Cell, Column, Table, TableRow};
use crate::groups::RunGroup;
use crate::load::Run;
use crate::stats::Summary;

const RETRIEVAL: [(&str, &str); 4] = [
    ("nDCG@10", "ndcg_at_10"),
    ("MAP", "map"),
    ("MRR@10", "mrr_at_10"),
    ("R@100", "recall_at_100"),
];
const BITEXT: [(&str, &str); 2] = [
    ("fwd acc@1", "forward_accuracy_at_1"),
    ("bwd acc@1", "backward_accuracy_at_1"),
];

/// The value of `field` of the retrieval or bitext task `name` of a run.
fn task_value(run: &Run, name: &str, field: &str) -> Option<f64> {
    run.metrics.tasks.iter().find_map(|t| match t {
        TaskMetrics::Retrieval(r) if r.task == name => match field {
            "ndcg_at_10" => Some(r.ndcg_at_10),
            "map" => Some(r.map),
            "mrr_at_10" => Some(r.mrr_at_10),
            "recall_at_100" => Some(r.recall_at_100),
            _ => None,
        },
        TaskMetrics::Bitext(b) if b.task == name => match field {
            "forward_accuracy_at_1" => Some(b.forward_accuracy_at_1),
            "backward_accuracy_at_1" => Some(b.backward_accuracy_at_1),
            _ => None,
        },
        _ => None,
    })
}

/// One row per strategy group; per retrieval task nDCG@10, MAP, MRR@10 and Recall@100, per
/// bitext task forward and backward accuracy@1. `None` when no run has such a task.
pub fn other_tasks_table(groups: &[RunGroup<'_>]) -> Option<Table> {
    let mut cols: Vec<(Column, String, &'static str)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for run in groups.iter().flat_map(|g| g.runs.iter()) {
        for task in &run.metrics.tasks {
            let (name, fields): (&str, &[(&str, &'static str)]) = match task {
                TaskMetrics::Retrieval(r) => (&r.task, &RETRIEVAL),
                TaskMetrics::Bitext(b) => (&b.task, &BITEXT),
                _ => continue,
            };
            if seen.iter().any(|s| s == name) {
                continue;
            }
            seen.push(name.to_string());
            for (header, field) in fields {
                cols.push((
                    Column::new(*header, 3, Better::Higher).in_group(name),
                    name.to_string(),
                    field,
                ));
            }
        }
    }
    if cols.is_empty() {
        return None;
    }
    let rows = groups
        .iter()
        .map(|g| {
            let cells = cols
                .iter()
                .map(|(_, task, field)| {
                    let v: Vec<f64> = g
                        .runs
                        .iter()
                        .filter_map(|r| task_value(r, task, field))
                        .collect();
                    Cell::from_summary(Summary::of(&v))
                })
                .collect();
            TableRow::new(g.label.clone(), cells)
        })
        .collect();
    Some(Table {
        id: "other_tasks".to_string(),
        title: "Monolingual retrieval and bitext tasks".to_string(),
        stub_header: "Strategy".to_string(),
        columns: cols.into_iter().map(|(c, _, _)| c).collect(),
        rows,
        notes: vec!["Mean ± sample standard deviation over seeds.".to_string()],
    })
}
