//! Per-language tables: mono mAP, multi mAP and multi rank distance per query language.

use hbt_schema::metrics::QaMetrics;
use hbt_schema::Lang;

use super::{zero_shot_note, Better, Cell, Column, Table, TableRow};
use crate::groups::RunGroup;
use crate::load::Experiment;
use crate::stats::Summary;

/// Which per-language measure a table shows.
#[derive(Clone, Copy)]
enum Measure {
    MonoMap,
    MultiMap,
    RankDistance,
}

impl Measure {
    fn per_language(self, task: &QaMetrics, lang: Lang) -> Option<f64> {
        match self {
            Measure::MonoMap => task.mono.per_language.get(&lang).map(|m| m.map),
            Measure::MultiMap => task.multi.per_language.get(&lang).map(|m| m.map),
            Measure::RankDistance => task
                .multi
                .rank_distance
                .per_language
                .get(&lang)
                .map(|r| r.mean),
        }
    }

    fn mean(self, task: &QaMetrics) -> Option<f64> {
        match self {
            Measure::MonoMap => Some(task.mono.mean.map),
            Measure::MultiMap => Some(task.multi.mean.map),
            Measure::RankDistance => task.multi.rank_distance.mean,
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
                .map(|l| Column::new(l.as_str(), precision, better).zero_shot(zero.contains(l)))
                .collect();
            columns.push(Column::new("mean", precision, better));
            let mut rows = Vec::new();
            let mut any_value = false;
            let mut previous_reference = None;
            for g in groups {
                let tasks: Vec<&QaMetrics> = g
                    .runs
                    .iter()
                    .filter_map(|r| r.metrics.qa_task(&task))
                    .collect();
                let mut cells: Vec<Cell> = langs
                    .iter()
                    .map(|&l| {
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
