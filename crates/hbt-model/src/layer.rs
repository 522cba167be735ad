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

    /// Applies the layer; see [`SelfAttention::forward`] for `mask_bias`. The up-projection's
    /// bias and GELU, and the closing dropout + residual + LayerNorm, are [`hbt_kernels`]
    /// operations (fused on burn-flex).
    pub fn forward(&self, x: Tensor<B, 3>, mask_bias: Tensor<B, 2>) -> Tensor<B, 3> {
        let [batch, seq, hidden] = x.dims();
        let x = self
            .attention
            .forward(x, mask_bias)
            .reshape([batch * seq, hidden]);
        let up = hbt_kernels::linear(x.clone(), self.intermediate.weight.val(), None);
        let h = match &self.intermediate.bias {
            Some(bias) => hbt_kernels::bias_gelu(up, bias.val()),
            None => gelu(up),
        };
        let out = hbt_kernels::residual_layer_norm(
            params::apply_linear(&self.output, h),
            x,
            params::norm(&self.layer_norm, self.attention.layer_norm_eps),
            self.dropout.prob,
        );
        out.reshape([batch, seq, hidden])
    }
}
