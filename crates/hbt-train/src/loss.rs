//! InfoNCE over in-batch negatives: the contrastive loss of hybrid batch training.
//!
//! For question embeddings `Q` `[n, d]` and answer embeddings `A` `[n, d]` (row `i` of `A` is
//! the answer of question `i`; every other row is an in-batch negative), the logits are
//! `S[i][j] = cos(Q_i, A_j) / temperature` (the plain dot product when
//! [`InfoNceConfig::normalize`] is off) and the loss is the mean over rows of the cross
//! entropy of row `i` against the diagonal target `i`. The symmetric variant adds the same loss
//! over the columns (answer → question) and averages the two.

use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};
use hbt_model::l2_normalize;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};

/// Settings of the InfoNCE loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoNceConfig {
    /// Softmax temperature; the cosine similarities are multiplied by `1 / temperature`.
    pub temperature: f64,
    /// Also apply the answer → question direction and average the two losses.
    pub symmetric: bool,
    /// Score with cosine similarities (embeddings L2-normalised first); false: dot products
    /// of the embeddings as given (`model.normalize`).
    pub normalize: bool,
}

impl Default for InfoNceConfig {
    fn default() -> Self {
        InfoNceConfig {
            temperature: 0.05,
            symmetric: false,
            normalize: true,
        }
    }
}

impl InfoNceConfig {
    /// The similarity scale, `1 / temperature`; an error for a non-positive or non-finite
    /// temperature.
    pub fn scale(&self) -> Result<f64> {
        if self.temperature > 0.0 && self.temperature.is_finite() {
            Ok(1.0 / self.temperature)
        } else {
            Err(TrainError::BadTemperature(self.temperature))
        }
    }
}

/// The scaled similarity matrix `[n, m]` between rows of `questions` `[n, d]` and rows of
/// `answers` `[m, d]`: cosine similarities when `normalize`, else dot products.
pub fn similarity<B: Backend>(
    questions: Tensor<B, 2>,
    answers: Tensor<B, 2>,
    scale: f64,
    normalize: bool,
) -> Tensor<B, 2> {
    let (questions, answers) = if normalize {
        (l2_normalize(questions), l2_normalize(answers))
    } else {
        (questions, answers)
    };
    questions.matmul(answers.transpose()).mul_scalar(scale)
}

/// Mean negative log-probability of the diagonal under a softmax over `dim` of `logits`
/// `[n, n]`.
fn diagonal_cross_entropy<B: Backend>(logits: Tensor<B, 2>, dim: usize) -> Tensor<B, 1> {
    let [n, _] = logits.dims();
    let device = logits.device();
    let log_probs = log_softmax(logits, dim);
    let diagonal = if dim == 1 {
        let index = Tensor::<B, 1, Int>::arange(0..n as i64, &device).reshape([n, 1]);
        log_probs.gather(1, index)
    } else {
        let index = Tensor::<B, 1, Int>::arange(0..n as i64, &device).reshape([1, n]);
        log_probs.gather(0, index)
    };
    diagonal.mean().neg()
}

/// The InfoNCE loss (a one-element tensor) of question embeddings `[n, d]` against their
/// answers `[n, d]`, with the other answers of the batch as negatives. Errors if the shapes
/// differ, the batch is empty, or the temperature is not positive.
pub fn info_nce<B: Backend>(
    questions: Tensor<B, 2>,
    answers: Tensor<B, 2>,
    config: &InfoNceConfig,
) -> Result<Tensor<B, 1>> {
    let scale = config.scale()?;
    let q_dims = questions.dims();
    let a_dims = answers.dims();
    if q_dims != a_dims {
        return Err(TrainError::Shape(format!(
            "questions are {q_dims:?} but answers are {a_dims:?}"
        )));
    }
    if q_dims[0] == 0 || q_dims[1] == 0 {
        return Err(TrainError::Shape(format!(
            "embeddings are empty ({q_dims:?})"
        )));
    }
    let logits = similarity(questions, answers, scale, config.normalize);
    let forward = diagonal_cross_entropy(logits.clone(), 1);
    if config.symmetric {
        let backward = diagonal_cross_entropy(logits, 0);
        Ok((forward + backward).div_scalar(2.0))
    } else {
        Ok(forward)
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::Flex;
    use burn::tensor::TensorData;

    use super::*;

    type B = Flex;

    fn tensor(rows: &[[f32; 2]]) -> Tensor<B, 2> {
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        Tensor::from_data(TensorData::new(flat, [rows.len(), 2]), &Default::default())
    }

    fn value(t: Tensor<B, 1>) -> f64 {
        f64::from(t.into_data().to_vec::<f32>().unwrap()[0])
    }

    /// Q = [(1,0), (0,1)], A = [(1,0), (1,1)], temperature 0.5 (scale 2).
    /// cos: Q0·A0 = 1, Q0·A1 = 1/√2, Q1·A0 = 0, Q1·A1 = 1/√2.
    /// Logits S = 2·cos = [[2, √2], [0, √2]].
    /// Row 0: −log(e² / (e² + e^√2)) = log(1 + e^(√2−2)) = log(1 + e^−0.585786) = 0.442548.
    /// Row 1: −log(e^√2 / (1 + e^√2)) = log(1 + e^−√2) = 0.217622.
    /// Forward loss = (0.442548 + 0.217622) / 2 = 0.330085.
    /// Column 0: −log(e² / (e² + 1)) = log(1 + e^−2) = 0.126928.
    /// Column 1: −log(e^√2 / (e^√2 + e^√2)) = log 2 = 0.693147.
    /// Backward loss = (0.126928 + 0.693147) / 2 = 0.410038; symmetric = 0.370061.
    #[test]
    fn matches_a_hand_computed_two_by_two_case() {
        let q = tensor(&[[1.0, 0.0], [0.0, 1.0]]);
        let a = tensor(&[[1.0, 0.0], [1.0, 1.0]]);
        let r2 = std::f64::consts::SQRT_2;
        let row0 = (1.0 + (r2 - 2.0).exp()).ln();
        let row1 = (1.0 + (-r2).exp()).ln();
        let col0 = (1.0 + (-2.0f64).exp()).ln();
        let col1 = 2.0f64.ln();
        let forward = (row0 + row1) / 2.0;
        let backward = (col0 + col1) / 2.0;
        assert!((forward - 0.330085).abs() < 1e-5, "{forward}");
        let cfg = InfoNceConfig {
            temperature: 0.5,
            symmetric: false,
            normalize: true,
        };
        let got = value(info_nce(q.clone(), a.clone(), &cfg).unwrap());
        assert!((got - forward).abs() < 1e-5, "{got} vs {forward}");
        let cfg = InfoNceConfig {
            temperature: 0.5,
            symmetric: true,
            normalize: true,
        };
        let got = value(info_nce(q, a, &cfg).unwrap());
        let want = (forward + backward) / 2.0;
        assert!((want - 0.370061).abs() < 1e-5, "{want}");
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }

    /// Three questions and answers in 2-d, scale 1: Q = [(1,0), (0,2), (1,1)],
    /// A = [(3,0), (0,1), (−1,0)]. Unit vectors: Q̂ = [(1,0), (0,1), (1,1)/√2],
    /// Â = [(1,0), (0,1), (−1,0)]. S = [[1, 0, −1], [0, 1, 0], [1/√2, 1/√2, −1/√2]].
    /// Row 0: −1 + log(e + 1 + e^−1) = 0.407606. Row 1: −1 + log(1 + e + 1) = 0.551445.
    /// Row 2: 1/√2 + log(2e^(1/√2) + e^(−1/√2)) = 1/√2 + 1.514973 = 2.222080.
    /// Mean = 1.060377.
    #[test]
    fn matches_a_hand_computed_three_by_three_case() {
        let q = tensor(&[[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]);
        let a = tensor(&[[3.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]);
        let e = std::f64::consts::E;
        let h = std::f64::consts::FRAC_1_SQRT_2;
        let row0 = -1.0 + (e + 1.0 + 1.0 / e).ln();
        let row1 = -1.0 + (2.0 + e).ln();
        let row2 = h + (2.0 * h.exp() + (-h).exp()).ln();
        let want = (row0 + row1 + row2) / 3.0;
        assert!((want - 1.060377).abs() < 1e-5, "{want}");
        let cfg = InfoNceConfig {
            temperature: 1.0,
            symmetric: false,
            normalize: true,
        };
        let got = value(info_nce(q, a, &cfg).unwrap());
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }

    #[test]
    fn refuses_bad_shapes_and_temperatures() {
        let q = tensor(&[[1.0, 0.0], [0.0, 1.0]]);
        let a = tensor(&[[1.0, 0.0]]);
        let cfg = InfoNceConfig::default();
        let err = info_nce(q.clone(), a, &cfg).unwrap_err();
        assert!(matches!(err, TrainError::Shape(_)), "{err}");
        let cfg = InfoNceConfig {
            temperature: 0.0,
            symmetric: false,
            normalize: true,
        };
        assert_eq!(
            info_nce(q.clone(), q, &cfg).unwrap_err(),
            TrainError::BadTemperature(0.0)
        );
    }

    #[test]
    fn without_normalisation_scores_are_dot_products() {
        // Same directions, different lengths: cosine cannot tell the answers apart by length,
        // the dot product can, so the two losses differ.
        let q = tensor(&[[1.0, 0.0], [0.0, 1.0]]);
        let a = tensor(&[[3.0, 0.0], [0.0, 0.5]]);
        let cosine = InfoNceConfig::default();
        let dot = InfoNceConfig {
            normalize: false,
            ..cosine
        };
        let with = value(info_nce(q.clone(), a.clone(), &cosine).unwrap());
        let without = value(info_nce(q, a, &dot).unwrap());
        // Cosine: logits diag 20, off 0 for both rows. Dot: row 0 diag 60, row 1 diag 10.
        let expected_cosine = (1.0 + (-20.0f64).exp()).ln();
        let expected_dot = ((1.0 + (-60.0f64).exp()).ln() + (1.0 + (-10.0f64).exp()).ln()) / 2.0;
        assert!((with - expected_cosine).abs() < 1e-6, "{with}");
        assert!((without - expected_dot).abs() < 1e-6, "{without}");
        assert!((with - without).abs() > 1e-6);
    }
}
