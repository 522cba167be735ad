//! The cross-lingual X→Y mAP matrix (queries in X, pool in Y) per strategy group.

use hbt_schema::metrics::QaMetrics;
use hbt_schema::Lang;

use super::{zero_shot_note, Better, Cell, Column, Table, TableRow};
use crate::groups::RunGroup;
use crate::load::Experiment;
use crate::stats::{mean, Summary};

/// Mean over a group's runs of the cross mAP of X→Y (`None` when no run has the pair); on the
/// diagonal, the monolingual mAP of X.
fn pair_value(tasks: &[&QaMetrics], x: Lang, y: Lang) -> Option<f64> {
    let v: Vec<f64> = tasks
        .iter()
        .filter_map(|t| {
            if x == y {
                t.mono.per_language.get(&x).map(|m| m.map)
            } else {
                t.cross_pair(x, y).map(|m| m.map)
            }
        })
        .filter(|v| !v.is_nan())
        .collect();
    (!v.is_empty()).then(|| mean(&v))
}

fn value(v: Option<f64>) -> Cell {
    Cell::from_summary(v.and_then(|v| Summary::of(&[v])))
}

/// One matrix per QA dataset and strategy group: rows are query languages X, columns pool
/// languages Y; the diagonal (in parentheses) is the monolingual mAP; the last column and row
/// are means over the off-diagonal pairs. Values are means over the group's seeds.
pub fn pair_tables(experiment: &Experiment, groups: &[RunGroup<'_>]) -> Vec<Table> {
    let mut tables = Vec::new();
    for task in experiment.qa_tasks() {
        let (langs, zero) = experiment.task_languages(&task);
        for g in groups {
            let tasks: Vec<&QaMetrics> = g
                .runs
                .iter()
                .filter_map(|r| r.metrics.qa_task(&task))
                .filter(|t| t.cross.as_ref().is_some_and(|c| !c.pairs.is_empty()))
                .collect();
            if tasks.is_empty() {
                continue;
            }
            let mut columns: Vec<Column> = langs
                .iter()
                .map(|l| Column::new(l.as_str(), 3, Better::Neither).zero_shot(zero.contains(l)))
                .collect();
            columns.push(Column::new("mean", 3, Better::Neither));
            let mut rows = Vec::new();
            for &x in &langs {
                let mut off = Vec::new();
                let mut cells = Vec::new();
                for &y in &langs {
                    let v = pair_value(&tasks, x, y);
                    if x == y {
                        cells.push(
                            v.and_then(|v| Summary::of(&[v]))
                                .map(Cell::Aside)
                                .unwrap_or(Cell::Empty),
                        );
                    } else {
                        off.extend(v);
                        cells.push(value(v));
                    }
                }
                cells.push(value((!off.is_empty()).then(|| mean(&off))));
                let mut row = TableRow::new(x.as_str(), cells);
                row.zero_shot = zero.contains(&x);
                rows.push(row);
            }
            let mut cells = Vec::new();
            for &y in &langs {
                let col: Vec<f64> = langs
                    .iter()
                    .filter(|&&x| x != y)
                    .filter_map(|&x| pair_value(&tasks, x, y))
                    .collect();
                cells.push(value((!col.is_empty()).then(|| mean(&col))));
            }
            let all: Vec<f64> = langs
                .iter()
                .flat_map(|&x| langs.iter().map(move |&y| (x, y)))
                .filter(|(x, y)| x != y)
                .filter_map(|(x, y)| pair_value(&tasks, x, y))
                .collect();
            cells.push(value((!all.is_empty()).then(|| mean(&all))));
            let mut mean_row = TableRow::new("mean", cells);
            mean_row.rule_before = true;
            rows.push(mean_row);
            let seeds = if tasks.len() > 1 {
                format!(" (mean over {} seeds)", tasks.len())
            } else {
                String::new()
            };
            let mut notes = vec![format!(
                "Rows: query language X; columns: candidate-pool language Y. Diagonal (in \
                 parentheses): monolingual mAP. `mean`: unweighted mean over the X ≠ Y pairs{seeds}."
            )];
            notes.extend(zero_shot_note(experiment, &task));
            tables.push(Table {
                id: format!("cross_{task}_{}", g.slug),
                title: format!("{task}: cross-lingual mAP X→Y, {}", g.label),
                stub_header: "X \\ Y".to_string(),
                columns,
                rows,
                notes,
            });
        }
    }
    tables
}
