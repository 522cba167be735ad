//! Ranking metrics of one query, and their means over queries.
//!
//! A query is described by the 1-based ranks of its relevant items over the **whole** pool
//! (ties already broken, so ranks are distinct) and by |R|, the number of relevant items.
//! Relevant items absent from the pool have no rank but still count in |R|: they lower AP and
//! recall (and the ideal DCG) as if ranked past the end of the pool.
//!
//! * AP = (1/|R|) Σ over the ranks r_i (sorted, i = 1, 2, ...) of precision@r_i = i / r_i;
//!   no cut-off.
//! * RR = 1 / (best rank), 0 without ranked relevant item; RR@10 is RR when that rank is ≤ 10,
//!   else 0.
//! * Recall@k = |{r_i ≤ k}| / |R| for k = 1, 5, 10, 100.
//! * nDCG@10 with binary gains: Σ_{r_i ≤ 10} 1/log2(r_i + 1) over the ideal
//!   Σ_{i=1}^{min(|R|, 10)} 1/log2(i + 1). [`ndcg_at_k`] takes graded gains (used for BEIR).
//!
//! **Queries without relevant items** (|R| = 0) have no defined AP, RR or recall:
//! [`QueryMetrics::from_ranks`] returns `None` for them, and [`MetricsSum`] counts them apart
//! ([`MetricsSum::empty_queries`]) without letting them into any mean or into `queries`.

use hbt_schema::Measures;

use crate::error::{EvalError, Result};

/// The rank cut-off of MRR@10 and nDCG@10.
pub const CUTOFF: u32 = 10;

/// The metrics of one query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryMetrics {
    /// Average precision over the full ranking.
    pub ap: f64,
    /// Reciprocal rank of the first relevant item (full ranking).
    pub rr: f64,
    /// Reciprocal rank when the first relevant item is in the top 10, else 0.
    pub rr_at_10: f64,
    /// Share of the relevant items in the top 1.
    pub recall_at_1: f64,
    /// Share of the relevant items in the top 5.
    pub recall_at_5: f64,
    /// Share of the relevant items in the top 10.
    pub recall_at_10: f64,
    /// Share of the relevant items in the top 100.
    pub recall_at_100: f64,
    /// nDCG@10 (binary gains unless replaced by a graded value).
    pub ndcg_at_10: f64,
}

impl QueryMetrics {
    /// The metrics of a query whose relevant items present in the pool have `ranks` (1-based,
    /// distinct, any order) and whose relevant set has `num_relevant` items in all (absent ones
    /// included). `Ok(None)` when `num_relevant` is 0. Errors: a rank 0, a repeated rank, or
    /// more ranks than relevant items.
    pub fn from_ranks(ranks: &[u32], num_relevant: usize) -> Result<Option<QueryMetrics>> {
        if ranks.len() > num_relevant {
            return Err(EvalError::Invalid(format!(
                "{} ranks given for a query with {num_relevant} relevant items",
                ranks.len()
            )));
        }
        if num_relevant == 0 {
            return Ok(None);
        }
        let mut sorted = ranks.to_vec();
        sorted.sort_unstable();
        if sorted.first() == Some(&0) {
            return Err(EvalError::Invalid("ranks are 1-based, found rank 0".into()));
        }
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(EvalError::Invalid(format!(
                "rank {} given twice: ranks of distinct items must differ",
                w[0]
            )));
        }
        let n = num_relevant as f64;
        let ap = sorted
            .iter()
            .enumerate()
            .map(|(i, &r)| (i + 1) as f64 / f64::from(r))
            .sum::<f64>()
            / n;
        let rr = sorted.first().map_or(0.0, |&r| 1.0 / f64::from(r));
        let rr_at_10 = match sorted.first() {
            Some(&r) if r <= CUTOFF => rr,
            _ => 0.0,
        };
        let recall = |k: u32| sorted.iter().filter(|&&r| r <= k).count() as f64 / n;
        let gains: Vec<(u32, f64)> = sorted.iter().map(|&r| (r, 1.0)).collect();
        let ideal = vec![1.0; num_relevant.min(CUTOFF as usize)];
        Ok(Some(QueryMetrics {
            ap,
            rr,
            rr_at_10,
            recall_at_1: recall(1),
            recall_at_5: recall(5),
            recall_at_10: recall(10),
            recall_at_100: recall(100),
            ndcg_at_10: ndcg_at_k(&gains, &ideal, CUTOFF),
        }))
    }
}

/// nDCG@k with graded gains: `ranked` holds (1-based rank, gain) of the judged items present
/// in the pool, `ideal` the gains of every relevant item (present or not, any order). DCG uses
/// the linear gain / log2(rank + 1) (as trec_eval's `ndcg_cut` and BEIR); 0 when the ideal DCG
/// is 0.
pub fn ndcg_at_k(ranked: &[(u32, f64)], ideal: &[f64], k: u32) -> f64 {
    let discount = |rank: u32| 1.0 / (f64::from(rank) + 1.0).log2();
    let dcg: f64 = ranked
        .iter()
        .filter(|(r, _)| *r >= 1 && *r <= k)
        .map(|&(r, g)| g * discount(r))
        .sum();
    let mut best = ideal.to_vec();
    best.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = best
        .iter()
        .take(k as usize)
        .enumerate()
        .map(|(i, &g)| g * discount(i as u32 + 1))
        .sum();
    if idcg > 0.0 {
        dcg / idcg
    } else {
        0.0
    }
}

/// Running sums of query metrics, in query order (deterministic).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsSum {
    queries: usize,
    empty: usize,
    sums: [f64; 7],
}

impl MetricsSum {
    /// Adds one query; `None` (a query without relevant items) is counted apart.
    pub fn add(&mut self, metrics: Option<&QueryMetrics>) {
        let Some(m) = metrics else {
            self.empty += 1;
            return;
        };
        self.queries += 1;
        let values = [
            m.ap,
            m.rr_at_10,
            m.recall_at_1,
            m.recall_at_5,
            m.recall_at_10,
            m.recall_at_100,
            m.ndcg_at_10,
        ];
        for (s, v) in self.sums.iter_mut().zip(values) {
            *s += v;
        }
    }

    /// Queries added with at least one relevant item.
    pub fn queries(&self) -> usize {
        self.queries
    }

    /// Queries added without relevant items (left out of the means).
    pub fn empty_queries(&self) -> usize {
        self.empty
    }

    /// The means, or `None` when no query with relevant items was added.
    pub fn mean(&self) -> Option<Measures> {
        if self.queries == 0 {
            return None;
        }
        let n = self.queries as f64;
        let [map, mrr_at_10, recall_at_1, recall_at_5, recall_at_10, recall_at_100, ndcg_at_10] =
            self.sums.map(|s| s / n);
        Some(Measures {
            queries: self.queries,
            map,
            mrr_at_10,
            recall_at_1,
            recall_at_5,
            recall_at_10,
            recall_at_100,
            ndcg_at_10,
        })
    }
}

/// Mean and median of a list of values (the median of an even count is the mean of the two
/// middle values); `None` for an empty list.
pub fn mean_median(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some((mean, median))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn m(ranks: &[u32], n: usize) -> QueryMetrics {
        QueryMetrics::from_ranks(ranks, n).unwrap().unwrap()
    }

    #[test]
    fn one_relevant_item() {
        let q = m(&[3], 1);
        assert!(close(q.ap, 1.0 / 3.0));
        assert!(close(q.rr, 1.0 / 3.0) && close(q.rr_at_10, 1.0 / 3.0));
        assert_eq!(
            (
                q.recall_at_1,
                q.recall_at_5,
                q.recall_at_10,
                q.recall_at_100
            ),
            (0.0, 1.0, 1.0, 1.0)
        );
        // DCG = 1/log2(4) = 0.5; ideal = 1.
        assert!(close(q.ndcg_at_10, 0.5));

        let top = m(&[1], 1);
        assert_eq!(
            (top.ap, top.rr, top.recall_at_1, top.ndcg_at_10),
            (1.0, 1.0, 1.0, 1.0)
        );

        let far = m(&[11], 1);
        assert!(close(far.rr, 1.0 / 11.0));
        assert_eq!(
            (far.rr_at_10, far.recall_at_10, far.ndcg_at_10),
            (0.0, 0.0, 0.0)
        );
        assert_eq!(far.recall_at_100, 1.0);
        let very_far = m(&[101], 1);
        assert_eq!(very_far.recall_at_100, 0.0);
        assert!(close(very_far.ap, 1.0 / 101.0));
    }

    #[test]
    fn several_relevant_items_in_any_order() {
        // Relevant at ranks 1, 3, 6 (given unsorted): P@1 = 1, P@3 = 2/3, P@6 = 3/6.
        let q = m(&[6, 1, 3], 3);
        assert!(close(q.ap, (1.0 + 2.0 / 3.0 + 0.5) / 3.0));
        assert_eq!((q.rr, q.rr_at_10), (1.0, 1.0));
        assert!(close(q.recall_at_1, 1.0 / 3.0));
        assert!(close(q.recall_at_5, 2.0 / 3.0));
        assert_eq!(q.recall_at_10, 1.0);
        let dcg = 1.0 + 1.0 / 4f64.log2() + 1.0 / 7f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!(close(q.ndcg_at_10, dcg / idcg));
    }

    #[test]
    fn eleven_relevant_items_cap_the_ideal_dcg_at_ten() {
        // Ranks 1..=11: the top 10 are all relevant, so nDCG@10 is 1 although one relevant item
        // is outside the top 10; recall@10 is 10/11; AP is 1.
        let ranks: Vec<u32> = (1..=11).collect();
        let q = m(&ranks, 11);
        assert!(close(q.ndcg_at_10, 1.0));
        assert!(close(q.recall_at_10, 10.0 / 11.0));
        assert!(close(q.recall_at_5, 5.0 / 11.0));
        assert!(close(q.recall_at_1, 1.0 / 11.0));
        assert!(close(q.ap, 1.0));
        assert_eq!(q.recall_at_100, 1.0);

        // Ranks 2..=12: DCG over ranks 2..=10, ideal over 1..=10.
        let shifted: Vec<u32> = (2..=12).collect();
        let q = m(&shifted, 11);
        let disc = |r: u32| 1.0 / (f64::from(r) + 1.0).log2();
        let dcg: f64 = (2..=10).map(disc).sum();
        let idcg: f64 = (1..=10).map(disc).sum();
        assert!(close(q.ndcg_at_10, dcg / idcg));
        assert!(close(q.rr, 0.5));
        let ap: f64 = (1..=11)
            .map(|i| f64::from(i) / f64::from(i + 1))
            .sum::<f64>()
            / 11.0;
        assert!(close(q.ap, ap));
    }

    #[test]
    fn absent_relevant_items_count_in_the_denominators() {
        // Two relevant items, one in the pool at rank 2, one not in the pool at all.
        let q = m(&[2], 2);
        assert!(close(q.ap, 0.5 * 0.5));
        assert!(close(q.recall_at_10, 0.5));
        assert!(close(q.rr, 0.5));
        let idcg = 1.0 + 1.0 / 3f64.log2();
        assert!(close(q.ndcg_at_10, (1.0 / 3f64.log2()) / idcg));

        // None of the relevant items is in the pool.
        let q = m(&[], 3);
        assert_eq!(
            (q.ap, q.rr, q.rr_at_10, q.recall_at_100, q.ndcg_at_10),
            (0.0, 0.0, 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn tied_scores_give_distinct_ranks_and_repeated_ranks_are_refused() {
        // Ties are broken before metrics: two relevant items tied at the top hold ranks 1 and
        // 2, never 1 and 1.
        let q = m(&[1, 2], 2);
        assert_eq!((q.ap, q.ndcg_at_10, q.recall_at_1), (1.0, 1.0, 0.5));
        let err = QueryMetrics::from_ranks(&[1, 1], 2)
            .unwrap_err()
            .to_string();
        assert!(err.contains("rank 1 given twice"), "{err}");
        assert!(QueryMetrics::from_ranks(&[0], 1).is_err());
        assert!(QueryMetrics::from_ranks(&[1, 2], 1).is_err());
    }

    #[test]
    fn empty_queries_are_counted_apart_from_the_means() {
        assert_eq!(QueryMetrics::from_ranks(&[], 0).unwrap(), None);
        let mut sum = MetricsSum::default();
        assert_eq!(sum.mean(), None);
        sum.add(Some(&m(&[1], 1)));
        sum.add(None);
        sum.add(Some(&m(&[2], 1)));
        assert_eq!((sum.queries(), sum.empty_queries()), (2, 1));
        let mean = sum.mean().unwrap();
        assert_eq!(mean.queries, 2);
        assert!(close(mean.map, 0.75));
        assert!(close(mean.mrr_at_10, 0.75));
        assert!(close(mean.recall_at_1, 0.5));
    }

    #[test]
    fn means_of_languages_are_unweighted() {
        let a = Measures {
            queries: 1,
            map: 1.0,
            mrr_at_10: 1.0,
            recall_at_1: 1.0,
            recall_at_5: 1.0,
            recall_at_10: 1.0,
            recall_at_100: 1.0,
            ndcg_at_10: 1.0,
        };
        let b = Measures {
            queries: 3,
            map: 0.0,
            ..a
        };
        let mean = Measures::mean_of([&a, &b]).unwrap();
        assert_eq!((mean.queries, mean.map, mean.ndcg_at_10), (4, 0.5, 1.0));
        assert_eq!(Measures::mean_of([]), None);
    }

    #[test]
    fn graded_ndcg_uses_linear_gains() {
        // Grades 2 at rank 2 and 1 at rank 1; ideal order is 2 then 1.
        let ndcg = ndcg_at_k(&[(1, 1.0), (2, 2.0)], &[1.0, 2.0], 10);
        let dcg = 1.0 + 2.0 / 3f64.log2();
        let idcg = 2.0 + 1.0 / 3f64.log2();
        assert!(close(ndcg, dcg / idcg));
        assert_eq!(ndcg_at_k(&[], &[], 10), 0.0);
    }

    #[test]
    fn mean_and_median() {
        assert_eq!(mean_median(&[]), None);
        assert_eq!(mean_median(&[3.0, 1.0, 2.0]), Some((2.0, 2.0)));
        assert_eq!(mean_median(&[4.0, 1.0, 2.0, 9.0]), Some((4.0, 3.0)));
    }
}
