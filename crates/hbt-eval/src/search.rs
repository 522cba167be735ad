//! Exact search by blocks of queries: scores of a block against the whole pool, then the rank
//! of every relevant item and the top-k of each query.
//!
//! **Ranking rule**: score descending, ties broken by pool order. The 1-based rank of item `i`
//! is `1 + |{j : s_j > s_i}| + |{j < i : s_j = s_i}|`; it is found by counting, never by sorting
//! the pool. Scores come from a [`Scorer`] (dense embeddings in [`crate::dense`], BM25 in
//! [`crate::bm25`]), so every model goes through the same ranking and metric code. Memory is
//! bounded by `block_size × pool` scores.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::Range;

use crate::error::{EvalError, Result};
use crate::progress::{EvalEvent, Progress};

/// Scores a fixed list of queries against a fixed pool, a block of queries at a time.
pub trait Scorer {
    /// Number of queries.
    fn num_queries(&self) -> usize;
    /// Number of pool items.
    fn pool_size(&self) -> usize;
    /// Writes the scores of the queries in `queries` against every pool item into `out`
    /// (row-major, `queries.len() × pool_size()` values; higher is better).
    fn score_block(&mut self, queries: Range<usize>, out: &mut [f32]) -> Result<()>;
}

/// How a search runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchOptions {
    /// Queries scored at once; memory holds `block_size × pool` scores (256 by default).
    pub block_size: usize,
    /// Length of the ranked list kept per query (100 for TREC runs; 0 keeps none).
    pub top_k: usize,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            block_size: 256,
            top_k: 0,
        }
    }
}

/// One retrieved pool item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Index in the pool.
    pub index: u32,
    /// Its score.
    pub score: f32,
}

/// The outcome of one query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRanking {
    /// 1-based rank of each relevant item, in the order the relevant items were given.
    pub relevant_ranks: Vec<u32>,
    /// The best `top_k` pool items, best first.
    pub top: Vec<Hit>,
}

/// Ranks every query of `scorer`: `relevant[q]` lists the pool indices relevant to query `q`
/// (distinct, possibly empty). `label` names the search in progress events and errors.
///
/// Errors: a relevant list per query missing, a relevant index outside the pool or repeated,
/// a block size of 0, a NaN score, or an error of the scorer.
pub fn search(
    scorer: &mut dyn Scorer,
    relevant: &[Vec<usize>],
    options: &SearchOptions,
    label: &str,
    progress: &mut Progress<'_>,
) -> Result<Vec<QueryRanking>> {
    let (nq, np) = (scorer.num_queries(), scorer.pool_size());
    check_relevant(relevant, nq, np, label)?;
    if options.block_size == 0 {
        return Err(EvalError::Invalid(format!(
            "{label}: block size must be at least 1"
        )));
    }
    if np > u32::MAX as usize {
        return Err(EvalError::Invalid(format!(
            "{label}: pool of {np} items is too large"
        )));
    }
    progress(&EvalEvent::SearchStarted {
        label,
        queries: nq,
        pool: np,
    });
    let mut out = Vec::with_capacity(nq);
    let mut scores = Vec::new();
    let mut start = 0;
    while start < nq {
        let end = (start + options.block_size).min(nq);
        scores.clear();
        scores.resize((end - start) * np, 0.0);
        scorer.score_block(start..end, &mut scores)?;
        let rank = |q: usize| -> Result<QueryRanking> {
            let row = &scores[(q - start) * np..(q - start + 1) * np];
            if row.iter().any(|s| s.is_nan()) {
                return Err(EvalError::NotANumber {
                    label: label.to_string(),
                    query: q,
                });
            }
            Ok(QueryRanking {
                relevant_ranks: ranks_of(row, &relevant[q]),
                top: top_k(row, options.top_k),
            })
        };
        for ranking in rank_in_parallel(start..end, &rank) {
            out.push(ranking?);
        }
        progress(&EvalEvent::BlockDone {
            label,
            done: end,
            total: nq,
        });
        start = end;
    }
    Ok(out)
}

fn check_relevant(relevant: &[Vec<usize>], nq: usize, np: usize, label: &str) -> Result<()> {
    if relevant.len() != nq {
        return Err(EvalError::Shape(format!(
            "{label}: {} relevant lists for {nq} queries",
            relevant.len()
        )));
    }
    for (q, items) in relevant.iter().enumerate() {
        if let Some(&bad) = items.iter().find(|&&i| i >= np) {
            return Err(EvalError::Shape(format!(
                "{label}: query {q}: relevant item {bad} is outside the pool of {np}"
            )));
        }
        let mut sorted = items.clone();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(EvalError::Invalid(format!(
                "{label}: query {q}: relevant item {} is listed twice",
                w[0]
            )));
        }
    }
    Ok(())
}

/// Whether item `(a, i)` ranks before item `(b, j)`: higher score, or equal score and smaller
/// pool index.
#[inline]
fn before(a: f32, i: usize, b: f32, j: usize) -> bool {
    a > b || (a == b && i < j)
}

/// `rank(q)` for every query of `queries`, in query order, computed on up to as many threads
/// as the process may use (each thread takes a contiguous share of the queries).
fn rank_in_parallel<F>(queries: Range<usize>, rank: &F) -> Vec<Result<QueryRanking>>
where
    F: Fn(usize) -> Result<QueryRanking> + Sync,
{
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(queries.len());
    if threads <= 1 {
        return queries.map(rank).collect();
    }
    let share = queries.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let lo = (queries.start + t * share).min(queries.end);
                let hi = (lo + share).min(queries.end);
                scope.spawn(move || (lo..hi).map(rank).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// The 1-based rank of pool item `item` given the scores of the whole pool (see the module
/// docs for the tie rule). Panics when `item` is out of range.
pub fn rank_of(scores: &[f32], item: usize) -> u32 {
    let s = scores[item];
    // Items before `item` in pool order beat it on ties; items after it need a higher score.
    let ahead: u32 = scores[..item]
        .iter()
        .map(|&x| u32::from(x >= s))
        .sum::<u32>()
        + scores[item + 1..]
            .iter()
            .map(|&x| u32::from(x > s))
            .sum::<u32>();
    1 + ahead
}

/// Relevant lists up to this size are ranked by one counting pass each; longer ones by a
/// single pass over the pool with a binary search among the relevant scores.
const DIRECT_LIMIT: usize = 16;

/// The ranks of `items` (in the given order) in the ranking of `scores`.
pub fn ranks_of(scores: &[f32], items: &[usize]) -> Vec<u32> {
    if items.len() <= DIRECT_LIMIT {
        return items.iter().map(|&i| rank_of(scores, i)).collect();
    }
    // Relevant items in ranking order; an item `x` beats a suffix of them, starting after
    // those that rank at or before `x`. Count, per start position, how many items beat from
    // there, then prefix sums give the ranks.
    let mut order: Vec<usize> = items.to_vec();
    order.sort_by(|&a, &b| {
        if before(scores[a], a, scores[b], b) {
            Ordering::Less
        } else if a == b {
            Ordering::Equal
        } else {
            Ordering::Greater
        }
    });
    let mut starts = vec![0u32; order.len() + 1];
    for (j, &s) in scores.iter().enumerate() {
        let p = order.partition_point(|&k| !before(s, j, scores[k], k));
        starts[p] += 1;
    }
    let mut rank_by_item = std::collections::HashMap::with_capacity(order.len());
    let mut ahead = 0u32;
    for (pos, &item) in order.iter().enumerate() {
        ahead += starts[pos];
        rank_by_item.insert(item, 1 + ahead);
    }
    items.iter().map(|i| rank_by_item[i]).collect()
}

/// A kept hit, ordered so that the heap's top is the worst one kept.
#[derive(PartialEq)]
struct Worst(Hit);

impl Eq for Worst {}

impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.0, &other.0);
        // Greater = worse: lower score, or equal score and larger index.
        // NaN scores are refused before ranking; -0 and +0 tie as they do in `rank_of`.
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.index.cmp(&b.index))
    }
}

impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best `k` items of `scores`, best first (ties by pool order), in one pass with a heap
/// of size `k`.
pub fn top_k(scores: &[f32], k: usize) -> Vec<Hit> {
    if k == 0 {
        return Vec::new();
    }
    let mut heap: BinaryHeap<Worst> = BinaryHeap::with_capacity(k + 1);
    for (i, &score) in scores.iter().enumerate() {
        if heap.len() < k {
            heap.push(Worst(Hit {
                index: i as u32,
                score,
            }));
        } else if let Some(mut worst) = heap.peek_mut() {
            // Items come in pool order, so an equal score never displaces a kept item.
            if score > worst.0.score {
                *worst = Worst(Hit {
                    index: i as u32,
                    score,
                });
            }
        }
    }
    heap.into_sorted_vec().into_iter().map(|w| w.0).collect()
}

/// A scorer over a precomputed `queries × pool` score matrix (row-major); for tests and for
/// scores computed elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixScorer {
    scores: Vec<f32>,
    queries: usize,
    pool: usize,
}

impl MatrixScorer {
    /// Wraps `queries × pool` scores; an error when the length does not match.
    pub fn new(scores: Vec<f32>, queries: usize, pool: usize) -> Result<MatrixScorer> {
        if queries.checked_mul(pool) != Some(scores.len()) {
            return Err(EvalError::Shape(format!(
                "a {queries} × {pool} score matrix needs {} values, got {}",
                queries.saturating_mul(pool),
                scores.len()
            )));
        }
        Ok(MatrixScorer {
            scores,
            queries,
            pool,
        })
    }
}

impl Scorer for MatrixScorer {
    fn num_queries(&self) -> usize {
        self.queries
    }

    fn pool_size(&self) -> usize {
        self.pool
    }

    fn score_block(&mut self, queries: Range<usize>, out: &mut [f32]) -> Result<()> {
        out.copy_from_slice(&self.scores[queries.start * self.pool..queries.end * self.pool]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ranks by a full sort, as a reference.
    fn sorted_ranks(scores: &[f32], items: &[usize]) -> Vec<u32> {
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        items
            .iter()
            .map(|i| order.iter().position(|j| j == i).unwrap() as u32 + 1)
            .collect()
    }

    #[test]
    fn ties_are_broken_by_pool_order() {
        let scores = [0.5, 0.9, 0.5, 0.1, 0.9];
        // Order: 1 (0.9), 4 (0.9), 0 (0.5), 2 (0.5), 3 (0.1).
        let ranks: Vec<u32> = (0..5).map(|i| rank_of(&scores, i)).collect();
        assert_eq!(ranks, vec![3, 1, 4, 5, 2]);
        let top = top_k(&scores, 3);
        let ids: Vec<u32> = top.iter().map(|h| h.index).collect();
        assert_eq!(ids, vec![1, 4, 0]);
        assert_eq!(top_k(&scores, 10).len(), 5);
        assert!(top_k(&scores, 0).is_empty());
    }

    #[test]
    fn long_relevant_lists_rank_like_a_full_sort() {
        // Scores with many ties (multiples of 0.25) and a relevant list past the direct limit.
        let scores: Vec<f32> = (0..300).map(|i| ((i * 37 % 11) as f32) * 0.25).collect();
        let items: Vec<usize> = (0..300).step_by(7).rev().collect();
        assert!(items.len() > DIRECT_LIMIT);
        assert_eq!(ranks_of(&scores, &items), sorted_ranks(&scores, &items));
        let few = [5, 100, 299];
        assert_eq!(ranks_of(&scores, &few), sorted_ranks(&scores, &few));
        let top = top_k(&scores, 40);
        for (r, hit) in top.iter().enumerate() {
            assert_eq!(rank_of(&scores, hit.index as usize), r as u32 + 1);
        }
    }

    #[test]
    fn bad_relevant_lists_and_nan_scores_are_errors() {
        let mut scorer = MatrixScorer::new(vec![0.1, 0.2, f32::NAN, 0.0], 2, 2).unwrap();
        let opts = SearchOptions::default();
        let err = search(&mut scorer, &[vec![0]], &opts, "t", &mut |_| {}).unwrap_err();
        assert!(
            err.to_string().contains("1 relevant lists for 2 queries"),
            "{err}"
        );
        let err = search(&mut scorer, &[vec![2], vec![]], &opts, "t", &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("outside the pool of 2"), "{err}");
        let err = search(&mut scorer, &[vec![1, 1], vec![]], &opts, "t", &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("listed twice"), "{err}");
        let err = search(&mut scorer, &[vec![1], vec![0]], &opts, "t", &mut |_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t: query 1 has a NaN score (check the embeddings for NaN values)"
        );
        assert!(MatrixScorer::new(vec![0.0; 3], 2, 2).is_err());
    }

    #[test]
    fn search_reports_progress_per_block() {
        let mut scorer = MatrixScorer::new(vec![1.0, 0.0, 0.0, 1.0, 0.5, 0.5], 3, 2).unwrap();
        let mut events = Vec::new();
        let opts = SearchOptions {
            block_size: 2,
            top_k: 1,
        };
        let ranked = search(
            &mut scorer,
            &[vec![0], vec![0], vec![1, 0]],
            &opts,
            "t",
            &mut |e| events.push(format!("{e:?}")),
        )
        .unwrap();
        assert_eq!(ranked[0].relevant_ranks, vec![1]);
        assert_eq!(ranked[1].relevant_ranks, vec![2]);
        assert_eq!(ranked[2].relevant_ranks, vec![2, 1]);
        assert_eq!(
            ranked[1].top,
            vec![Hit {
                index: 1,
                score: 1.0
            }]
        );
        assert_eq!(events.len(), 3, "{events:?}");
        assert!(events[2].contains("done: 3, total: 3"), "{events:?}");
    }
}
