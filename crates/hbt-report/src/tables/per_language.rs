//! Per-language tables: mono mAP, multi mAP and multi rank distance per query language.

use super::{zero_shot_note, Better, Cell, Column, Table, TableRow};
use crate::groups::RunGroup;
use crate::load::{Experiment, QaTask};
use crate::stats::Summary;

/// Which per-language measure a table shows.
#[derive(Clone, Copy)]
enum Measure {
    MonoMap,
    MultiMap,
    RankDistance,
}

impl Measure {
    fn per_language(self, task: &QaTask, lang: &str) -> Option<f64> {
        match self {
            Measure::MonoMap => task.mono.as_ref()?.per_language.get(lang).map(|m| m.map),
            Measure::MultiMap => task.multi.as_ref()?.per_language.get(lang).map(|m| m.map),
            Measure::RankDistance => task
                .multi
                .as_ref()?
                .rank_distance
                .as_ref()?
                .per_language
                .get(lang)
                .map(|r| r.mean),
        }
    }

    fn mean(self, task: &QaTask) -> Option<f64> {
        match self {
            Measure::MonoMap => task.mono.as_ref().map(|s| s.mean.map),
            Measure::MultiMap => task.multi.as_ref().map(|s| s.mean.map),
            Measure::RankDistance => task.multi.as_ref()?.rank_distance.as_ref().map(|r| r.mean),
        }
    }
}

/// Per QA dataset: monolingual mAP, multilingual mAP and rank distance per query language.
/// Rows are strategy groups (mean ± std over seeds); zero-shot languages carry a dagger.
pub fn per_language_tables(experiment: &Experiment, groups: &[RunGroup<'_>]) -> Vec<Table> {
    let mut tables = Vec::new();
    for task in experiment.qa_tasks() {
        let (langs, zero) = experiment.task_languages(&task);
        let specs = [
            (
                Measure::MonoMap,
                "mono",
                "monolingual mAP per language (queries and pool in X)",
                3,
                Better::Higher,
            ),
            (
                Measure::MultiMap,
                "multi",
                "multilingual mAP per query language (pool of all languages)",
                3,
                Better::Higher,
            ),
            (
                Measure::RankDistance,
                "rank_distance",
                "mean rank distance per query language (multi setting; lower is better)",
                1,
                Better::Lower,
            ),
        ];
        for (measure, id, what, precision, better) in specs {
            let mut columns: Vec<Column> = langs
                .iter()
                .map(|l| Column::new(l.clone(), precision, better).zero_shot(zero.contains(l)))
                .collect();
            columns.push(Column::new("mean", precision, better));
            let mut rows = Vec::new();
            let mut any_value = false;
            let mut previous_reference = None;
            for g in groups {
                let tasks: Vec<&QaTask> = g
                    .runs
                    .iter()
                    .filter_map(|r| r.metrics.qa_task(&task))
                    .collect();
                let mut cells: Vec<Cell> = langs
                    .iter()
                    .map(|l| {
                        let v: Vec<f64> = tasks
                            .iter()
                            .filter_map(|t| measure.per_language(t, l))
                            .collect();
                        Cell::from_summary(Summary::of(&v))
                    })
                    .collect();
                let means: Vec<f64> = tasks.iter().filter_map(|t| measure.mean(t)).collect();
                cells.push(Cell::from_summary(Summary::of(&means)));
                any_value |= cells.iter().any(|c| c.mean().is_some());
                let mut row = TableRow::new(g.label.clone(), cells);
                let reference = g.model.is_reference();
                row.rule_before = previous_reference.is_some_and(|p| p != reference);
                previous_reference = Some(reference);
                rows.push(row);
            }
            if !any_value {
                continue;
            }
            let mut notes = vec![
                "Mean ± sample standard deviation over seeds; `mean` is the unweighted mean over \
                 languages."
                    .to_string(),
            ];
            notes.extend(zero_shot_note(experiment, &task));
            tables.push(Table {
                id: format!("per_language_{task}_{id}"),
                title: format!("{task}: {what}"),
                stub_header: "Strategy".to_string(),
                columns,
                rows,
                notes,
            });
        }
    }
    tables
}
