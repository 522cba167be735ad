//! Okapi BM25 over a pool of texts, the lexical baseline.
//!
//! The score of document `d` for query `q` is
//! `Σ_{t ∈ q} qtf(t) · idf(t) · tf(t,d) / (tf(t,d) + k1 · (1 − b + b · |d| / avgdl))` with
//! `idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))`: Lucene's BM25 (the ranking of
//! Anserini's defaults k1 = 0.9, b = 0.4; Lucene leaves out the constant factor `k1 + 1`, which
//! changes no ranking). A term repeated in the query counts once per occurrence (`qtf`), as a
//! Lucene query with repeated clauses does. Lengths are counted in tokens of
//! [`crate::tokenize::tokenize`]. One index is built per pool: a language's candidates for
//! mono and cross, the candidates of every language for multi, so `idf` is that pool's.

use std::collections::HashMap;
use std::ops::Range;

use crate::error::{EvalError, Result};
use crate::search::Scorer;
use crate::tokenize::tokenize;

/// BM25 parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Params {
    /// Term-frequency saturation, ≥ 0 (Anserini: 0.9).
    pub k1: f32,
    /// Length normalisation, in [0, 1] (Anserini: 0.4).
    pub b: f32,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Bm25Params { k1: 0.9, b: 0.4 }
    }
}

impl Bm25Params {
    /// An error naming the value when `k1` is negative or not finite, or `b` is outside [0, 1].
    pub fn validate(&self) -> Result<()> {
        if !(self.k1.is_finite() && self.k1 >= 0.0) {
            return Err(EvalError::Invalid(format!(
                "bm25 k1 = {} must be a number ≥ 0",
                self.k1
            )));
        }
        if !(0.0..=1.0).contains(&self.b) {
            return Err(EvalError::Invalid(format!(
                "bm25 b = {} must be between 0 and 1",
                self.b
            )));
        }
        Ok(())
    }
}

/// An inverted index over a pool of texts with precomputed BM25 term weights.
#[derive(Debug, Clone)]
pub struct Bm25Index {
    terms: HashMap<String, u32>,
    /// Per term: (document, weight) in document order.
    postings: Vec<Vec<(u32, f32)>>,
    docs: usize,
}

impl Bm25Index {
    /// Indexes `texts` (document `i` is the `i`-th text); an error for invalid parameters.
    pub fn build<S: AsRef<str>>(
        texts: impl IntoIterator<Item = S>,
        params: Bm25Params,
    ) -> Result<Bm25Index> {
        params.validate()?;
        let mut terms: HashMap<String, u32> = HashMap::new();
        let mut counts: Vec<Vec<(u32, u32)>> = Vec::new(); // per term: (doc, tf)
        let mut lengths: Vec<usize> = Vec::new();
        for (doc, text) in texts.into_iter().enumerate() {
            let tokens = tokenize(text.as_ref());
            lengths.push(tokens.len());
            let mut tf: HashMap<u32, u32> = HashMap::new();
            for token in tokens {
                let next = terms.len() as u32;
                let id = *terms.entry(token).or_insert(next);
                if id as usize == counts.len() {
                    counts.push(Vec::new());
                }
                *tf.entry(id).or_default() += 1;
            }
            let mut tf: Vec<(u32, u32)> = tf.into_iter().collect();
            tf.sort_unstable();
            for (term, n) in tf {
                counts[term as usize].push((doc as u32, n));
            }
        }
        let docs = lengths.len();
        let avg = lengths.iter().sum::<usize>() as f64 / docs.max(1) as f64;
        let (k1, b) = (f64::from(params.k1), f64::from(params.b));
        let postings = counts
            .into_iter()
            .map(|list| {
                let df = list.len() as f64;
                let idf = (1.0 + (docs as f64 - df + 0.5) / (df + 0.5)).ln();
                list.into_iter()
                    .map(|(doc, tf)| {
                        let ratio = if avg > 0.0 {
                            lengths[doc as usize] as f64 / avg
                        } else {
                            1.0
                        };
                        let tf = f64::from(tf);
                        let weight = idf * tf / (tf + k1 * (1.0 - b + b * ratio));
                        (doc, weight as f32)
                    })
                    .collect()
            })
            .collect();
        Ok(Bm25Index {
            terms,
            postings,
            docs,
        })
    }

    /// Number of indexed documents.
    pub fn len(&self) -> usize {
        self.docs
    }

    /// Whether no document is indexed.
    pub fn is_empty(&self) -> bool {
        self.docs == 0
    }

    /// The query's known terms with their counts in the query (unknown terms score nothing).
    pub fn query_terms(&self, text: &str) -> Vec<(u32, f32)> {
        let mut counts: Vec<(u32, f32)> = Vec::new();
        for token in tokenize(text) {
            if let Some(&id) = self.terms.get(&token) {
                match counts.iter_mut().find(|(t, _)| *t == id) {
                    Some((_, n)) => *n += 1.0,
                    None => counts.push((id, 1.0)),
                }
            }
        }
        counts
    }

    /// Writes the BM25 score of every document for the query `terms` into `out` (length
    /// [`Bm25Index::len`]).
    pub fn score_into(&self, terms: &[(u32, f32)], out: &mut [f32]) {
        out.fill(0.0);
        for &(term, qtf) in terms {
            for &(doc, weight) in &self.postings[term as usize] {
                out[doc as usize] += qtf * weight;
            }
        }
    }
}

/// Scores query texts against a [`Bm25Index`].
#[derive(Debug, Clone)]
pub struct Bm25Scorer {
    index: Bm25Index,
    queries: Vec<Vec<(u32, f32)>>,
}

impl Bm25Scorer {
    /// A scorer for `queries` (in order) against the documents of `index`.
    pub fn new<S: AsRef<str>>(index: Bm25Index, queries: impl IntoIterator<Item = S>) -> Self {
        let queries = queries
            .into_iter()
            .map(|q| index.query_terms(q.as_ref()))
            .collect();
        Bm25Scorer { index, queries }
    }
}

impl Scorer for Bm25Scorer {
    fn num_queries(&self) -> usize {
        self.queries.len()
    }

    fn pool_size(&self) -> usize {
        self.index.len()
    }

    fn score_block(&mut self, queries: Range<usize>, out: &mut [f32]) -> Result<()> {
        let np = self.index.len();
        for (q, row) in queries.zip(out.chunks_mut(np.max(1))) {
            self.index.score_into(&self.queries[q], row);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{search, top_k, SearchOptions};

    const DOCS: [&str; 4] = [
        "The cat sat on the mat.",
        "Dogs and cats are pets; the dog barks.",
        "Paris is the capital of France.",
        "The capital of Germany is Berlin, not Paris.",
    ];

    #[test]
    fn the_top_document_is_the_hand_checked_one() {
        let index = Bm25Index::build(DOCS, Bm25Params::default()).unwrap();
        assert_eq!(index.len(), 4);
        let mut scorer = Bm25Scorer::new(
            index.clone(),
            ["capital of France", "barking dog", "zebra", "cat"],
        );
        let mut scores = vec![0.0; 4 * 4];
        scorer.score_block(0..4, &mut scores).unwrap();
        // "capital of France": docs 2 and 3 both hold "capital" and "of"; only doc 2 holds
        // "france" (df 1, the highest idf), and it is shorter.
        assert_eq!(top_k(&scores[0..4], 1)[0].index, 2);
        assert!(scores[2] > scores[3] && scores[3] > 0.0 && scores[0] == 0.0);
        // "barking dog": only "dog" is known (no stemming), in doc 1 alone.
        assert_eq!(top_k(&scores[4..8], 1)[0].index, 1);
        assert_eq!(scores[4..8].iter().filter(|&&s| s > 0.0).count(), 1);
        // An unknown word scores nothing: every document ties at 0, pool order decides.
        assert!(scores[8..12].iter().all(|&s| s == 0.0));
        // "cat" matches doc 0 only ("cats" in doc 1 is another token).
        assert_eq!(top_k(&scores[12..16], 1)[0].index, 0);

        // Hand computation for "france" in doc 2: N = 4, df = 1, |d| = 6 tokens, and the
        // documents have 6 + 8 + 6 + 8 tokens, so avgdl = 7.
        let idf = (1.0f64 + (4.0 - 1.0 + 0.5) / 1.5).ln();
        let norm = 1.0 - 0.4 + 0.4 * 6.0 / 7.0;
        let france = idf * 1.0 / (1.0 + 0.9 * norm);
        let mut only_france = vec![0.0; 4];
        index.score_into(&index.query_terms("FRANCE"), &mut only_france);
        assert!((f64::from(only_france[2]) - france).abs() < 1e-6);

        let ranked = search(
            &mut scorer,
            &[vec![2], vec![1], vec![3], vec![0]],
            &SearchOptions::default(),
            "bm25",
            &mut |_| {},
        )
        .unwrap();
        let ranks: Vec<u32> = ranked.iter().map(|r| r.relevant_ranks[0]).collect();
        assert_eq!(ranks, vec![1, 1, 4, 1]);
    }

    #[test]
    fn repeated_query_terms_count_per_occurrence_and_params_are_checked() {
        let index = Bm25Index::build(DOCS, Bm25Params::default()).unwrap();
        assert_eq!(
            index.query_terms("paris Paris berlin"),
            vec![
                (index.query_terms("paris")[0].0, 2.0),
                (index.query_terms("berlin")[0].0, 1.0)
            ]
        );
        let bad = Bm25Params { k1: 0.9, b: 1.5 };
        let err = Bm25Index::build(DOCS, bad).unwrap_err().to_string();
        assert_eq!(err, "bm25 b = 1.5 must be between 0 and 1");
        assert!(Bm25Params { k1: -1.0, b: 0.4 }.validate().is_err());
    }

    #[test]
    fn chinese_matches_through_bigrams() {
        let index = Bm25Index::build(
            ["北京是中国的首都。", "上海是中国最大的城市。"],
            Bm25Params::default(),
        )
        .unwrap();
        let mut scores = vec![0.0; 2];
        index.score_into(&index.query_terms("中国的首都是哪里？"), &mut scores);
        assert!(scores[0] > scores[1], "{scores:?}");
    }
}
