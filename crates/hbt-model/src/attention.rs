//! Multi-head self-attention with an additive padding mask, followed by the output
//! projection, dropout, residual and post-LayerNorm (BERT's `attention` block).

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm, Linear};
use burn::tensor::{backend::Backend, Tensor};

use crate::config::EncoderConfig;
use crate::error::ModelError;
use crate::params;
use crate::weights::WeightMap;

/// The additive value given to attention scores of padding keys.
pub const MASK_VALUE: f32 = f32::MIN;

/// Self-attention block of one encoder layer.
#[derive(Module, Debug)]
pub struct SelfAttention<B: Backend> {
    /// Query projection.
    pub query: Linear<B>,
    /// Key projection.
    pub key: Linear<B>,
    /// Value projection.
    pub value: Linear<B>,
    /// Output projection.
    pub output: Linear<B>,
    /// Post-LayerNorm.
    pub layer_norm: LayerNorm<B>,
    /// Dropout on attention probabilities.
    pub attention_dropout: Dropout,
    /// Dropout on the projected output.
    pub hidden_dropout: Dropout,
    /// Number of heads.
    pub num_heads: usize,
    /// ε of the LayerNorm (burn's `LayerNorm` keeps its own private).
    pub layer_norm_eps: f64,
}

impl<B: Backend> SelfAttention<B> {
    /// Builds the block from Hugging Face tensors `{prefix}.attention.*`.
    pub(crate) fn from_weights(
        config: &EncoderConfig,
        weights: &mut WeightMap,
        prefix: &str,
        device: &B::Device,
    ) -> Result<Self, ModelError> {
        let p = format!("{prefix}.attention");
        Ok(SelfAttention {
            query: params::linear(weights, &format!("{p}.self.query"), device)?,
            key: params::linear(weights, &format!("{p}.self.key"), device)?,
            value: params::linear(weights, &format!("{p}.self.value"), device)?,
            output: params::linear(weights, &format!("{p}.output.dense"), device)?,
            layer_norm: params::layer_norm(
                weights,
                &format!("{p}.output"),
                config.layer_norm_eps,
                device,
            )?,
            attention_dropout: DropoutConfig::new(config.attention_probs_dropout_prob).init(),
            hidden_dropout: DropoutConfig::new(config.hidden_dropout_prob).init(),
            num_heads: config.num_attention_heads,
            layer_norm_eps: config.layer_norm_eps,
        })
    }

    /// Writes the Hugging Face tensors `{prefix}.attention.*` into `out`.
    pub(crate) fn export(&self, out: &mut WeightMap, prefix: &str) -> Result<(), ModelError> {
        let p = format!("{prefix}.attention");
        params::export_linear(out, &format!("{p}.self.query"), &self.query)?;
        params::export_linear(out, &format!("{p}.self.key"), &self.key)?;
        params::export_linear(out, &format!("{p}.self.value"), &self.value)?;
        params::export_linear(out, &format!("{p}.output.dense"), &self.output)?;
        params::export_layer_norm(out, &format!("{p}.output"), &self.layer_norm)
    }

    /// Applies the block to `x` (`[batch, seq, hidden]`); `mask_bias` is `[batch, seq]` with 0
    /// for tokens and [`MASK_VALUE`] for padding. Attention and the closing dropout, residual
    /// and LayerNorm are [`hbt_kernels`] operations (fused on burn-flex); the projections run
    /// as one `[batch · seq, hidden]` product each ([`hbt_kernels::linear`]).
    pub fn forward(&self, x: Tensor<B, 3>, mask_bias: Tensor<B, 2>) -> Tensor<B, 3> {
        let [batch, seq, hidden] = x.dims();
        let rows = x.clone().reshape([batch * seq, hidden]);
        let project = |linear: &Linear<B>| {
            params::apply_linear(linear, rows.clone()).reshape([batch, seq, hidden])
        };
        let context = hbt_kernels::attention(
            project(&self.query),
            project(&self.key),
            project(&self.value),
            mask_bias,
            self.num_heads,
            self.attention_dropout.prob,
        );
        let projected = params::apply_linear(&self.output, context.reshape([batch * seq, hidden]));
        let out = hbt_kernels::residual_layer_norm(
            projected,
            rows,
            params::norm(&self.layer_norm, self.layer_norm_eps),
            self.hidden_dropout.prob,
        );
        out.reshape([batch, seq, hidden])
    }
}
