//! One post-LayerNorm transformer encoder layer: self-attention, then the GELU feed-forward
//! block with residual and LayerNorm.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm, Linear};
use burn::tensor::{activation::gelu, backend::Backend, Tensor};

use crate::attention::SelfAttention;
use crate::config::EncoderConfig;
use crate::error::ModelError;
use crate::params;
use crate::weights::WeightMap;

/// One encoder layer (`encoder.layer.{i}` in Hugging Face names).
#[derive(Module, Debug)]
pub struct EncoderLayer<B: Backend> {
    /// Self-attention block.
    pub attention: SelfAttention<B>,
    /// Feed-forward up-projection (`intermediate.dense`).
    pub intermediate: Linear<B>,
    /// Feed-forward down-projection (`output.dense`).
    pub output: Linear<B>,
    /// Post-LayerNorm of the feed-forward block.
    pub layer_norm: LayerNorm<B>,
    /// Dropout on the feed-forward output.
    pub dropout: Dropout,
}

impl<B: Backend> EncoderLayer<B> {
    /// Builds layer `index` from Hugging Face tensors.
    pub(crate) fn from_weights(
        config: &EncoderConfig,
        weights: &mut WeightMap,
        index: usize,
        device: &B::Device,
    ) -> Result<Self, ModelError> {
        let p = format!("encoder.layer.{index}");
        Ok(EncoderLayer {
            attention: SelfAttention::from_weights(config, weights, &p, device)?,
            intermediate: params::linear(weights, &format!("{p}.intermediate.dense"), device)?,
            output: params::linear(weights, &format!("{p}.output.dense"), device)?,
            layer_norm: params::layer_norm(
                weights,
                &format!("{p}.output"),
                config.layer_norm_eps,
                device,
            )?,
            dropout: DropoutConfig::new(config.hidden_dropout_prob).init(),
        })
    }

    /// Writes the Hugging Face tensors of layer `index` into `out`.
    pub(crate) fn export(&self, out: &mut WeightMap, index: usize) -> Result<(), ModelError> {
        let p = format!("encoder.layer.{index}");
        self.attention.export(out, &p)?;
        params::export_linear(out, &format!("{p}.intermediate.dense"), &self.intermediate)?;
        params::export_linear(out, &format!("{p}.output.dense"), &self.output)?;
        params::export_layer_norm(out, &format!("{p}.output"), &self.layer_norm)
    }

    /// Applies the layer; see [`SelfAttention::forward`] for `mask_bias`.
    pub fn forward(&self, x: Tensor<B, 3>, mask_bias: Tensor<B, 4>) -> Tensor<B, 3> {
        let x = self.attention.forward(x, mask_bias);
        let h = parallel_gelu(self.intermediate.forward(x.clone()));
        let h = self.dropout.forward(self.output.forward(h));
        self.layer_norm.forward(h + x)
    }
}

/// GELU; at inference the rows are split over two threads, since burn-flex 0.21 runs GELU as
/// a scalar loop on one core (`hbt bench encode`: 9% faster encoding on two cores). Under
/// autodiff it is burn's `gelu` unchanged.
fn parallel_gelu<B: Backend>(x: Tensor<B, 3>) -> Tensor<B, 3> {
    let batch = x.dims()[0];
    if B::ad_enabled(&x.device()) || batch < 2 {
        return gelu(x);
    }
    let half = batch / 2;
    let (first, second) = (
        x.clone().narrow(0, 0, half),
        x.narrow(0, half, batch - half),
    );
    let (first, second) = std::thread::scope(|scope| {
        let other = scope.spawn(move || gelu(second));
        let mine = gelu(first);
        let theirs = other
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (mine, theirs)
    });
    Tensor::cat(vec![first, second], 0)
}
