//! Evaluation of a BEIR / MIRACL ad-hoc retrieval task.
//!
//! Graded qrels are used as BEIR does: nDCG@10 takes the grades as linear gains (trec_eval's
//! `ndcg_cut_10`), while mAP, MRR@10 and recall@100 count every document of grade > 0 as
//! relevant. Queries without a relevant document (the loader already drops them) would be
//! left out of the means.

use std::collections::HashMap;
use std::sync::Arc;

use hbt_data::beir::{Document, RetrievalTask};

use crate::bm25::{Bm25Index, Bm25Params, Bm25Scorer};
use crate::error::{EvalError, Result};
use crate::metrics::{ndcg_at_k, MetricsSum, QueryMetrics, CUTOFF};
use crate::progress::Progress;
use crate::rows::{PerQueryRow, Setting, UNKNOWN_LANGUAGE};
use crate::search::{search, Scorer, SearchOptions};
use crate::trec::{TrecQuery, TrecRun};
use hbt_schema::metrics::{RetrievalKind, RetrievalMetrics};

/// Everything a retrieval evaluation produces.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievalEvaluation {
    /// The task object of `metrics.json`.
    pub metrics: RetrievalMetrics,
    /// One row per query.
    pub rows: Vec<PerQueryRow>,
    /// The TREC run (none unless `options.top_k` > 0).
    pub runs: Vec<TrecRun>,
}

/// The text a document is indexed or embedded as: the title, a space and the body (the body
/// alone without title).
pub fn document_text(doc: &Document) -> String {
    if doc.title.is_empty() {
        doc.text.clone()
    } else {
        format!("{} {}", doc.title, doc.text)
    }
}

/// A BM25 scorer for `task`: an index over [`document_text`] of the corpus, queries in task
/// order.
pub fn bm25_retrieval_scorer(task: &RetrievalTask, params: Bm25Params) -> Result<Bm25Scorer> {
    let index = Bm25Index::build(task.corpus.iter().map(document_text), params)?;
    Ok(Bm25Scorer::new(
        index,
        task.queries.iter().map(|q| q.text.as_str()),
    ))
}

/// Evaluates `task` with `scorer`, whose queries are `task.queries` and whose pool is
/// `task.corpus`, both in order (else an error).
pub fn evaluate_retrieval(
    task: &RetrievalTask,
    scorer: &mut dyn Scorer,
    options: &SearchOptions,
    progress: &mut Progress<'_>,
) -> Result<RetrievalEvaluation> {
    if scorer.num_queries() != task.queries.len() || scorer.pool_size() != task.corpus.len() {
        return Err(EvalError::Shape(format!(
            "{}: the scorer has {} queries × {} documents, the task {} × {}",
            task.name,
            scorer.num_queries(),
            scorer.pool_size(),
            task.queries.len(),
            task.corpus.len()
        )));
    }
    let index: HashMap<&str, usize> = task
        .corpus
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    // Per query: every judged document (index, grade) present in the corpus.
    let mut judged: Vec<Vec<(usize, i32)>> = Vec::with_capacity(task.queries.len());
    for q in &task.queries {
        let docs = task.qrels.get(&q.id);
        let mut list = Vec::new();
        for (doc, &grade) in docs.into_iter().flatten() {
            let i = index.get(doc.as_str()).ok_or_else(|| {
                EvalError::Invalid(format!(
                    "{}: query {}: judged document {doc} is not in the corpus",
                    task.name, q.id
                ))
            })?;
            list.push((*i, grade));
        }
        judged.push(list);
    }
    let relevant: Vec<Vec<usize>> = judged
        .iter()
        .map(|list| {
            list.iter()
                .filter(|(_, g)| *g > 0)
                .map(|(i, _)| *i)
                .collect()
        })
        .collect();
    let label = format!("{} retrieval", task.name);
    let ranked = search(scorer, &relevant, options, &label, progress)?;
    let lang = task
        .lang
        .map_or(UNKNOWN_LANGUAGE.to_string(), |l| l.to_string());
    let mut sum = MetricsSum::default();
    let mut rows = Vec::new();
    let mut trec = Vec::new();
    for (((q, rel), list), ranking) in task.queries.iter().zip(&relevant).zip(&judged).zip(ranked) {
        let mut m = QueryMetrics::from_ranks(&ranking.relevant_ranks, rel.len())?;
        if let Some(m) = &mut m {
            let grades: Vec<f64> = list
                .iter()
                .filter(|(_, g)| *g > 0)
                .map(|(_, g)| f64::from(*g))
                .collect();
            let ranked_gains: Vec<(u32, f64)> = ranking
                .relevant_ranks
                .iter()
                .copied()
                .zip(grades.iter().copied())
                .collect();
            m.ndcg_at_10 = ndcg_at_k(&ranked_gains, &grades, CUTOFF);
            rows.push(PerQueryRow::new(
                &task.name,
                Setting::Retrieval,
                &lang,
                &lang,
                &q.id,
                m,
                &ranking.relevant_ranks,
            ));
        }
        sum.add(m.as_ref());
        if options.top_k > 0 {
            trec.push(TrecQuery {
                id: q.id.clone(),
                hits: ranking.top,
                qrels: list.iter().map(|&(i, g)| (i as u32, g)).collect(),
            });
        }
    }
    let mean = sum.mean().ok_or_else(|| {
        EvalError::Invalid(format!("{}: no query has a relevant document", task.name))
    })?;
    let runs = if options.top_k > 0 {
        vec![TrecRun {
            dataset: task.name.clone(),
            setting: Setting::Retrieval,
            query_lang: lang.clone(),
            pool_lang: lang,
            doc_ids: task
                .corpus
                .iter()
                .map(|d| d.id.clone())
                .collect::<Arc<[String]>>(),
            queries: trec,
        }]
    } else {
        Vec::new()
    };
    Ok(RetrievalEvaluation {
        metrics: RetrievalMetrics {
            task: task.name.clone(),
            kind: RetrievalKind::Kind,
            queries: mean.queries,
            ndcg_at_10: mean.ndcg_at_10,
            recall_at_100: mean.recall_at_100,
            map: mean.map,
            mrr_at_10: mean.mrr_at_10,
        },
        rows,
        runs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::MatrixScorer;
    use hbt_data::beir::Query;

    fn task() -> RetrievalTask {
        let doc = |id: &str, title: &str, text: &str| Document {
            id: id.into(),
            title: title.into(),
            text: text.into(),
        };
        let mut qrels = hbt_data::beir::Qrels::new();
        qrels.insert(
            "q1".into(),
            [
                ("d0".to_string(), 0),
                ("d1".to_string(), 2),
                ("d3".to_string(), 1),
            ]
            .into(),
        );
        qrels.insert("q2".into(), [("d2".to_string(), 1)].into());
        RetrievalTask {
            name: "toy".into(),
            lang: Some(hbt_data::Lang::parse("en").unwrap()),
            corpus: vec![
                doc("d0", "", "Cats purr."),
                doc("d1", "Rivers", "The Rhine is a long river."),
                doc("d2", "", "Mountains are high."),
                doc("d3", "", "Some rivers are short."),
            ],
            queries: vec![
                Query {
                    id: "q1".into(),
                    text: "long river".into(),
                },
                Query {
                    id: "q2".into(),
                    text: "high mountains".into(),
                },
            ],
            qrels,
            dropped_queries: 0,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn graded_qrels_give_the_hand_computed_metrics() {
        let task = task();
        // q1 ranks d0, d1, d3, d2; q2 ties everything, so d2 (pool index 2) ranks 3rd.
        let mut scorer =
            MatrixScorer::new(vec![0.9, 0.8, 0.1, 0.5, 0.0, 0.0, 0.0, 0.0], 2, 4).unwrap();
        let options = SearchOptions {
            block_size: 1,
            top_k: 2,
        };
        let eval = evaluate_retrieval(&task, &mut scorer, &options, &mut |_| {}).unwrap();
        let m = &eval.metrics;
        assert_eq!(m.queries, 2);
        let ap = ((0.5 + 2.0 / 3.0) / 2.0 + 1.0 / 3.0) / 2.0;
        assert!(close(m.map, ap));
        assert!(close(m.mrr_at_10, (0.5 + 1.0 / 3.0) / 2.0));
        assert_eq!(m.recall_at_100, 1.0);
        // q1: gains 2 at rank 2 and 1 at rank 3; ideal 2 then 1. q2: gain 1 at rank 3.
        let q1 = (2.0 / 3f64.log2() + 0.5) / (2.0 + 1.0 / 3f64.log2());
        assert!(close(m.ndcg_at_10, (q1 + 0.5) / 2.0));
        assert_eq!(eval.rows[0].relevant_ranks, vec![2, 3]);
        assert_eq!(
            (eval.rows[0].query_lang.as_str(), eval.rows[0].setting),
            ("en", Setting::Retrieval)
        );
        assert!(close(eval.rows[0].ndcg_at_10, q1));

        let run = &eval.runs[0];
        assert_eq!(run.file_stem(), "toy.retrieval.en-en");
        let mut qrels = Vec::new();
        run.write_qrels(&mut qrels).unwrap();
        assert_eq!(
            String::from_utf8(qrels).unwrap(),
            "q1 0 d0 0\nq1 0 d1 2\nq1 0 d3 1\nq2 0 d2 1\n"
        );
        let mut lines = Vec::new();
        run.write_run(&mut lines, "x").unwrap();
        assert!(String::from_utf8(lines)
            .unwrap()
            .starts_with("q1 Q0 d0 1 0.9 x\nq1 Q0 d1 2 0.8 x\n"));

        let mut wrong = MatrixScorer::new(vec![0.0; 3], 1, 3).unwrap();
        let err = evaluate_retrieval(&task, &mut wrong, &options, &mut |_| {}).unwrap_err();
        assert!(
            err.to_string()
                .contains("toy: the scorer has 1 queries × 3 documents"),
            "{err}"
        );
    }

    #[test]
    fn bm25_finds_the_lexical_matches() {
        let task = task();
        let mut scorer = bm25_retrieval_scorer(&task, Bm25Params::default()).unwrap();
        let eval =
            evaluate_retrieval(&task, &mut scorer, &SearchOptions::default(), &mut |_| {}).unwrap();
        // "long river" hits d1 (title "Rivers" is another token, "river" and "long" match).
        assert_eq!(eval.rows[0].relevant_ranks[0], 1);
        assert_eq!(eval.rows[1].relevant_ranks, vec![1]);
        assert!(eval.runs.is_empty());
        assert_eq!(
            document_text(&task.corpus[1]),
            "Rivers The Rhine is a long river."
        );
    }
}
