//! Sentence pooling: first token (CLS), mask-aware mean, the BERT pooler (dense + tanh),
//! and L2 normalisation.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{backend::Backend, Tensor};

use crate::error::ModelError;
use crate::params;
use crate::weights::WeightMap;

/// The BERT pooler (`pooler.dense` + tanh on the first token), as LaBSE uses.
#[derive(Module, Debug)]
pub struct Pooler<B: Backend> {
    /// The dense layer.
    pub dense: Linear<B>,
}

impl<B: Backend> Pooler<B> {
    /// Builds the pooler from Hugging Face tensors `pooler.dense.*`.
    pub(crate) fn from_weights(
        weights: &mut WeightMap,
        device: &B::Device,
    ) -> Result<Self, ModelError> {
        Ok(Pooler {
            dense: params::linear(weights, "pooler.dense", device)?,
        })
    }

    /// Writes the Hugging Face tensors `pooler.dense.*` into `out`.
    pub(crate) fn export(&self, out: &mut WeightMap) -> Result<(), ModelError> {
        params::export_linear(out, "pooler.dense", &self.dense)
    }

    /// `tanh(dense(hidden[:, 0]))`, `[batch, hidden]`.
    pub fn forward(&self, hidden: Tensor<B, 3>) -> Tensor<B, 2> {
        self.dense.forward(cls(hidden)).tanh()
    }
}

/// The state of the first token, `[batch, hidden]`.
pub fn cls<B: Backend>(hidden: Tensor<B, 3>) -> Tensor<B, 2> {
    let [batch, _, width] = hidden.dims();
    hidden.narrow(1, 0, 1).reshape([batch, width])
}

/// The mean of token states where `mask` (`[batch, seq]`, 1 = token, 0 = padding) is 1;
/// an all-padding row gives zeros (denominator clamped at 1e-9, as sentence-transformers).
pub fn masked_mean<B: Backend>(hidden: Tensor<B, 3>, mask: Tensor<B, 2>) -> Tensor<B, 2> {
    let [batch, _, width] = hidden.dims();
    let counts = mask.clone().sum_dim(1).clamp_min(1e-9);
    let sums = (hidden * mask.unsqueeze_dim::<3>(2))
        .sum_dim(1)
        .reshape([batch, width]);
    sums / counts
}

/// Smallest norm divided by, so that a zero vector stays zero instead of becoming NaN.
const NORM_EPS: f32 = 1e-12;

/// Rows divided by their L2 norm (clamped at 1e-12, as `torch.nn.functional.normalize`).
pub fn l2_normalize<B: Backend>(x: Tensor<B, 2>) -> Tensor<B, 2> {
    let norm = x.clone().square().sum_dim(1).sqrt().clamp_min(NORM_EPS);
    x / norm
}

/// One embedding held in memory divided by its L2 norm (clamped at 1e-12), the same
/// normalisation as [`l2_normalize`] for rows that have left the backend.
pub fn l2_normalize_row(row: &mut [f32]) {
    let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(NORM_EPS);
    row.iter_mut().for_each(|x| *x /= norm);
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;

    use super::*;
    use crate::backend::FlexBackend as B;

    #[test]
    fn mean_ignores_padding_and_normalize_gives_unit_rows() {
        let device = Default::default();
        let hidden = Tensor::<B, 3>::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0, 100.0, 100.0], [1, 3, 2]),
            &device,
        );
        let mask =
            Tensor::<B, 2>::from_data(TensorData::new(vec![1.0f32, 1.0, 0.0], [1, 3]), &device);
        let mean = masked_mean(hidden.clone(), mask)
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        assert_eq!(mean, vec![2.0, 3.0]);
        assert_eq!(
            cls(hidden).into_data().to_vec::<f32>().unwrap(),
            vec![1.0, 2.0]
        );
        let unit = l2_normalize(Tensor::<B, 2>::from_data(
            TensorData::new(vec![3.0f32, 4.0, 0.0, 0.0], [2, 2]),
            &device,
        ));
        assert_eq!(
            unit.into_data().to_vec::<f32>().unwrap(),
            vec![0.6, 0.8, 0.0, 0.0]
        );
    }
}
