//! Multi-head self-attention with an additive padding mask, followed by the output
//! projection, dropout, residual and post-LayerNorm (BERT's `attention` block).

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, LayerNorm, Linear};
use burn::tensor::{activation::softmax, backend::Backend, Tensor};

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

    /// Applies the block to `x` (`[batch, seq, hidden]`); `mask_bias` is `[batch, 1, 1, seq]`
    /// with 0 for tokens and [`MASK_VALUE`] for padding.
    pub fn forward(&self, x: Tensor<B, 3>, mask_bias: Tensor<B, 4>) -> Tensor<B, 3> {
        let [batch, seq, hidden] = x.dims();
        let heads = self.num_heads;
        let head_dim = hidden / heads;
        let split = |t: Tensor<B, 3>| t.reshape([batch, seq, heads, head_dim]).swap_dims(1, 2);
        let q = split(self.query.forward(x.clone()));
        let k = split(self.key.forward(x.clone()));
        let v = split(self.value.forward(x.clone()));
        let scale = 1.0 / (head_dim as f64).sqrt();
        let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale) + mask_bias;
        let probs = self.attention_dropout.forward(softmax(scores, 3));
        let context = probs
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([batch, seq, hidden]);
        let projected = self.hidden_dropout.forward(self.output.forward(context));
        self.layer_norm.forward(projected + x)
    }
}
