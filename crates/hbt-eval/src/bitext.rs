//! Evaluation of bitext retrieval: source line `i` must retrieve target line `i` among all
//! target lines (forward), and target line `i` source line `i` (backward). Accuracy@1 is the
//! share of lines whose translation ranks first (ties broken by line order).

use std::sync::Arc;

use hbt_data::bitext::BitextTask;
use hbt_data::Lang;

use crate::bm25::{Bm25Index, Bm25Params, Bm25Scorer};
use crate::error::{EvalError, Result};
use crate::metrics::{MetricsSum, QueryMetrics};
use crate::progress::Progress;
use crate::rows::{PerQueryRow, Setting};
use crate::search::{search, Scorer, SearchOptions};
use crate::trec::{TrecQuery, TrecRun};
use hbt_schema::metrics::{BitextKind, BitextMetrics};

/// Everything a bitext evaluation produces.
#[derive(Debug, Clone, PartialEq)]
pub struct BitextEvaluation {
    /// The task object of `metrics.json`.
    pub metrics: BitextMetrics,
    /// One row per line and direction.
    pub rows: Vec<PerQueryRow>,
    /// TREC runs (none unless `options.top_k` > 0): forward and backward.
    pub runs: Vec<TrecRun>,
}

/// BM25 scorers for both directions: (source lines against a target-line index, target
/// lines against a source-line index).
pub fn bm25_bitext_scorers(
    task: &BitextTask,
    params: Bm25Params,
) -> Result<(Bm25Scorer, Bm25Scorer)> {
    let forward = Bm25Scorer::new(Bm25Index::build(&task.target, params)?, &task.source);
    let backward = Bm25Scorer::new(Bm25Index::build(&task.source, params)?, &task.target);
    Ok((forward, backward))
}

/// Evaluates `task`: `forward` scores the source lines (queries) against the target lines
/// (pool), `backward` the target lines against the source lines, all in task order.
pub fn evaluate_bitext(
    task: &BitextTask,
    forward: &mut dyn Scorer,
    backward: &mut dyn Scorer,
    options: &SearchOptions,
    progress: &mut Progress<'_>,
) -> Result<BitextEvaluation> {
    let n = task.source.len();
    if task.target.len() != n {
        return Err(EvalError::Shape(format!(
            "{}: {n} source lines but {} target lines",
            task.name,
            task.target.len()
        )));
    }
    let mut rows = Vec::new();
    let mut runs = Vec::new();
    let mut evaluate_direction = |scorer: &mut dyn Scorer, setting_and_langs| {
        direction(
            task,
            scorer,
            setting_and_langs,
            options,
            progress,
            &mut rows,
            &mut runs,
        )
    };
    let forward_accuracy = evaluate_direction(
        forward,
        (Setting::BitextForward, task.source_lang, task.target_lang),
    )?;
    let backward_accuracy = evaluate_direction(
        backward,
        (Setting::BitextBackward, task.target_lang, task.source_lang),
    )?;
    Ok(BitextEvaluation {
        metrics: BitextMetrics {
            task: task.name.clone(),
            kind: BitextKind::Kind,
            lines: n,
            forward_accuracy_at_1: forward_accuracy,
            backward_accuracy_at_1: backward_accuracy,
        },
        rows,
        runs,
    })
}

/// One direction: appends its rows and run, returns its accuracy@1.
fn direction(
    task: &BitextTask,
    scorer: &mut dyn Scorer,
    (setting, qlang, plang): (Setting, Lang, Lang),
    options: &SearchOptions,
    progress: &mut Progress<'_>,
    rows: &mut Vec<PerQueryRow>,
    runs: &mut Vec<TrecRun>,
) -> Result<f64> {
    let n = task.source.len();
    if scorer.num_queries() != n || scorer.pool_size() != n {
        return Err(EvalError::Shape(format!(
            "{} {setting}: the scorer has {} queries × {} lines, the task {n} × {n}",
            task.name,
            scorer.num_queries(),
            scorer.pool_size()
        )));
    }
    let relevant: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let label = format!("{} {setting}", task.name);
    let ranked = search(scorer, &relevant, options, &label, progress)?;
    let mut sum = MetricsSum::default();
    let mut trec = Vec::new();
    for (i, ranking) in ranked.into_iter().enumerate() {
        let m = QueryMetrics::from_ranks(&ranking.relevant_ranks, 1)?;
        sum.add(m.as_ref());
        if let Some(m) = &m {
            rows.push(PerQueryRow::new(
                &task.name,
                setting,
                qlang.as_str(),
                plang.as_str(),
                &i.to_string(),
                m,
                &ranking.relevant_ranks,
            ));
        }
        if options.top_k > 0 {
            trec.push(TrecQuery {
                id: format!("{qlang}:{i}"),
                hits: ranking.top,
                qrels: vec![(i as u32, 1)],
            });
        }
    }
    if options.top_k > 0 {
        runs.push(TrecRun {
            dataset: task.name.clone(),
            setting,
            query_lang: qlang.to_string(),
            pool_lang: plang.to_string(),
            doc_ids: line_ids(plang, n),
            queries: trec,
        });
    }
    Ok(sum.mean().map_or(0.0, |m| m.recall_at_1))
}

fn line_ids(lang: Lang, n: usize) -> Arc<[String]> {
    (0..n).map(|i| format!("{lang}:{i}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::MatrixScorer;

    fn task() -> BitextTask {
        BitextTask {
            name: "toy".into(),
            source_lang: Lang::parse("en").unwrap(),
            target_lang: Lang::parse("de").unwrap(),
            source: vec![
                "Anna lives in Berlin.".into(),
                "It is 1999.".into(),
                "Good night.".into(),
            ],
            target: vec![
                "Anna wohnt in Berlin.".into(),
                "Es ist 1999.".into(),
                "Gute Nacht.".into(),
            ],
            duplicates_dropped: 0,
        }
    }

    #[test]
    fn accuracy_counts_lines_whose_translation_ranks_first() {
        let task = task();
        // Forward: line 1's best target is line 2; lines 0 and 2 are right. Backward: line 2
        // ties with line 1 at 0.5 and line 1 comes first, so line 2 ranks 2nd.
        let mut forward =
            MatrixScorer::new(vec![0.9, 0.1, 0.1, 0.2, 0.5, 0.6, 0.0, 0.1, 0.7], 3, 3).unwrap();
        let mut backward =
            MatrixScorer::new(vec![0.9, 0.1, 0.1, 0.0, 0.8, 0.0, 0.0, 0.5, 0.5], 3, 3).unwrap();
        let options = SearchOptions {
            block_size: 2,
            top_k: 1,
        };
        let eval =
            evaluate_bitext(&task, &mut forward, &mut backward, &options, &mut |_| {}).unwrap();
        let m = &eval.metrics;
        assert_eq!(m.lines, 3);
        assert!((m.forward_accuracy_at_1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.backward_accuracy_at_1 - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(eval.rows.len(), 6);
        assert_eq!(eval.rows[1].relevant_ranks, vec![2]);
        assert_eq!(eval.rows[5].relevant_ranks, vec![2]);
        assert_eq!(
            (
                eval.rows[3].setting,
                eval.rows[3].query_lang.as_str(),
                eval.rows[3].pool_lang.as_str()
            ),
            (Setting::BitextBackward, "de", "en")
        );
        assert_eq!(eval.runs.len(), 2);
        assert_eq!(eval.runs[1].file_stem(), "toy.bitext-backward.de-en");
        let mut run = Vec::new();
        eval.runs[0].write_run(&mut run, "t").unwrap();
        assert_eq!(
            String::from_utf8(run).unwrap(),
            "en:0 Q0 de:0 1 0.9 t\nen:1 Q0 de:2 1 0.6 t\nen:2 Q0 de:2 1 0.7 t\n"
        );
    }

    #[test]
    fn bm25_matches_names_and_numbers_across_languages() {
        let task = task();
        let (mut forward, mut backward) =
            bm25_bitext_scorers(&task, Bm25Params::default()).unwrap();
        let eval = evaluate_bitext(
            &task,
            &mut forward,
            &mut backward,
            &SearchOptions::default(),
            &mut |_| {},
        )
        .unwrap();
        // Lines 0 and 1 share "anna", "in", "berlin" / "1999"; line 2 shares nothing, and
        // loses the all-zero tie to line 0.
        assert!((eval.metrics.forward_accuracy_at_1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((eval.metrics.backward_accuracy_at_1 - 2.0 / 3.0).abs() < 1e-12);
    }
}
