//! Dense scoring: dot products of query and pool embeddings by matrix products on a burn
//! backend. The pool is uploaded once (transposed, `dim × pool`); each block of queries is
//! uploaded, multiplied and read back. Embeddings are used as given: normalise them first
//! ([`Embeddings::normalized`]) for cosine scores.

use std::ops::Range;

use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::embeddings::Embeddings;
use crate::error::{EvalError, Result};
use crate::search::Scorer;

/// Scores queries against a pool by dot product on backend `B`.
pub struct DenseScorer<B: Backend> {
    queries: Embeddings,
    /// The pool, `dim × pool` (None for an empty pool).
    pool_t: Option<Tensor<B, 2>>,
    pool: usize,
    device: B::Device,
}

impl<B: Backend> DenseScorer<B> {
    /// A scorer of `queries` against `pool` (same width, else an error) on `device`.
    pub fn new(queries: Embeddings, pool: &Embeddings, device: &B::Device) -> Result<Self> {
        if queries.dim() != pool.dim() {
            return Err(EvalError::Shape(format!(
                "query embeddings have {} dimensions but pool embeddings have {}",
                queries.dim(),
                pool.dim()
            )));
        }
        let pool_t = (pool.rows() > 0).then(|| {
            Tensor::<B, 2>::from_data(
                TensorData::new(pool.transposed(), [pool.dim(), pool.rows()]),
                device,
            )
        });
        Ok(DenseScorer {
            queries,
            pool_t,
            pool: pool.rows(),
            device: device.clone(),
        })
    }
}

impl<B: Backend> Scorer for DenseScorer<B> {
    fn num_queries(&self) -> usize {
        self.queries.rows()
    }

    fn pool_size(&self) -> usize {
        self.pool
    }

    fn score_block(&mut self, queries: Range<usize>, out: &mut [f32]) -> Result<()> {
        let Some(pool_t) = &self.pool_t else {
            return Ok(());
        };
        let (rows, dim) = (queries.len(), self.queries.dim());
        if rows == 0 {
            return Ok(());
        }
        let block = self.queries.as_slice()[queries.start * dim..queries.end * dim].to_vec();
        let q = Tensor::<B, 2>::from_data(TensorData::new(block, [rows, dim]), &self.device);
        let scores = q.matmul(pool_t.clone()).into_data().convert::<f32>();
        let values = scores
            .as_slice::<f32>()
            .map_err(|e| EvalError::Backend(format!("reading scores back: {e:?}")))?;
        if values.len() != out.len() {
            return Err(EvalError::Backend(format!(
                "a block of {rows} queries gave {} scores, expected {}",
                values.len(),
                out.len()
            )));
        }
        out.copy_from_slice(values);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{search, SearchOptions};

    type B = burn::backend::Flex;

    /// Small integer embeddings: every dot product is exact in f32, so ties are real ties.
    fn integer_embeddings(rows: usize, dim: usize, seed: u64) -> Embeddings {
        let mut state = seed;
        let data = (0..rows * dim)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((state >> 33) % 5) as f32 - 2.0
            })
            .collect();
        Embeddings::new(data, rows, dim).unwrap()
    }

    #[test]
    fn scores_are_dot_products() {
        let q = Embeddings::new(vec![1.0, 2.0, 0.0, 1.0], 2, 2).unwrap();
        let p = Embeddings::new(vec![3.0, 4.0, 1.0, 0.0, 0.0, -1.0], 3, 2).unwrap();
        let mut scorer = DenseScorer::<B>::new(q, &p, &Default::default()).unwrap();
        let mut out = vec![0.0; 6];
        scorer.score_block(0..2, &mut out).unwrap();
        assert_eq!(out, vec![11.0, 1.0, -2.0, 4.0, 0.0, -1.0]);
        let wide = Embeddings::new(vec![0.0; 3], 1, 3).unwrap();
        let err = DenseScorer::<B>::new(wide, &p, &Default::default())
            .err()
            .unwrap();
        assert!(err
            .to_string()
            .contains("3 dimensions but pool embeddings have 2"));
    }

    #[test]
    fn block_sizes_give_identical_rankings() {
        let (nq, np) = (23, 40);
        let queries = integer_embeddings(nq, 6, 1);
        let pool = integer_embeddings(np, 6, 2);
        let relevant: Vec<Vec<usize>> = (0..nq).map(|q| vec![q, (q * 7 + 3) % np]).collect();
        let run = |block_size: usize| {
            let mut scorer =
                DenseScorer::<B>::new(queries.clone(), &pool, &Default::default()).unwrap();
            let opts = SearchOptions {
                block_size,
                top_k: 5,
            };
            search(&mut scorer, &relevant, &opts, "test", &mut |_| {}).unwrap()
        };
        let one = run(1);
        assert_eq!(one.len(), nq);
        assert_eq!(one, run(3));
        assert_eq!(one, run(nq));
        assert_eq!(one, run(1000));
        // The ranks agree with a brute-force sort of the exact scores.
        for (q, ranking) in one.iter().enumerate() {
            let scores: Vec<f32> = (0..np)
                .map(|p| {
                    queries
                        .row(q)
                        .iter()
                        .zip(pool.row(p))
                        .map(|(a, b)| a * b)
                        .sum()
                })
                .collect();
            let mut order: Vec<usize> = (0..np).collect();
            order.sort_by(|&a, &b| scores[b].partial_cmp(&scores[a]).unwrap().then(a.cmp(&b)));
            for (r, &item) in ranking.relevant_ranks.iter().zip(&relevant[q]) {
                assert_eq!(order[*r as usize - 1], item);
            }
            let top: Vec<usize> = ranking.top.iter().map(|h| h.index as usize).collect();
            assert_eq!(top, order[..5]);
        }
    }

    #[test]
    fn an_empty_pool_gives_no_scores() {
        let q = Embeddings::new(vec![1.0, 2.0], 1, 2).unwrap();
        let mut scorer =
            DenseScorer::<B>::new(q, &Embeddings::empty(2), &Default::default()).unwrap();
        let ranked = search(
            &mut scorer,
            &[vec![]],
            &SearchOptions::default(),
            "t",
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(ranked[0].relevant_ranks, Vec::<u32>::new());
    }
}
