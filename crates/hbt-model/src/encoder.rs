//! The encoder: embeddings, a stack of post-LayerNorm layers and the pooler, with seeded
//! from-scratch initialisation and conversion to and from Hugging Face weight maps.

use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::{backend::Backend, DType, FloatDType, Tensor};

use crate::batch::EncoderBatch;
use crate::config::{EncoderConfig, PoolingMode};
use crate::embeddings::Embeddings;
use crate::error::ModelError;
use crate::layer::EncoderLayer;
use crate::pooling::{self, Pooler};
use crate::weights::{check_weights, init_weights, WeightMap};

/// A BERT / XLM-RoBERTa style transformer encoder with sentence pooling.
#[derive(Module, Debug)]
pub struct Encoder<B: Backend> {
    /// Input embeddings.
    pub embeddings: Embeddings<B>,
    /// Transformer layers.
    pub layers: Vec<EncoderLayer<B>>,
    /// The BERT pooler (used by [`PoolingMode::Pooler`]).
    pub pooler: Pooler<B>,
    /// Sizes and options.
    #[module(skip)]
    pub config: EncoderConfig,
}

impl<B: Backend> Encoder<B> {
    /// A from-scratch encoder (normal(0, `initializer_range`) weights, zero biases,
    /// LayerNorm 1/0, zero padding rows). The same seed gives the same weights on every
    /// backend, since they are drawn on the host by [`crate::weights::InitRng`].
    pub fn init(config: &EncoderConfig, seed: u64, device: &B::Device) -> Result<Self, ModelError> {
        config.validate("config")?;
        Self::from_weights(config, init_weights(config, seed), device)
    }

    /// Builds an encoder from Hugging Face named tensors (no prefix, Linear weights
    /// `[out, in]`); fails if a parameter of [`crate::weights::param_specs`] is missing or
    /// mis-shaped. Extra entries are ignored.
    pub fn from_weights(
        config: &EncoderConfig,
        mut weights: WeightMap,
        device: &B::Device,
    ) -> Result<Self, ModelError> {
        config.validate("config")?;
        if let Some(details) = check_weights(config, &weights) {
            return Err(ModelError::WeightMap { details });
        }
        let embeddings = Embeddings::from_weights(config, &mut weights, device)?;
        let layers = (0..config.num_hidden_layers)
            .map(|i| EncoderLayer::from_weights(config, &mut weights, i, device))
            .collect::<Result<Vec<_>, _>>()?;
        let pooler = Pooler::from_weights(&mut weights, device)?;
        Ok(Encoder {
            embeddings,
            layers,
            pooler,
            config: config.clone(),
        })
    }

    /// All parameters as Hugging Face named tensors (no prefix, Linear weights `[out, in]`).
    pub fn to_weights(&self) -> Result<WeightMap, ModelError> {
        let mut out = WeightMap::new();
        self.embeddings.export(&mut out)?;
        for (i, layer) in self.layers.iter().enumerate() {
            layer.export(&mut out, i)?;
        }
        self.pooler.export(&mut out)?;
        Ok(out)
    }

    /// The same encoder with its word-embedding table frozen: on an autodiff backend no
    /// gradient is computed for it (no dense `[vocab, hidden]` gradient per step) and the
    /// optimizer leaves it as it is. A common choice when fine-tuning a sentence encoder whose
    /// table dominates its size (multilingual-e5-small: 96M of 118M parameters).
    pub fn freeze_word_embeddings(mut self) -> Self {
        self.embeddings.word.weight = self.embeddings.word.weight.set_require_grad(false);
        self
    }

    /// The encoder's configuration.
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// The same encoder computing in `dtype`: each parameter is cast from its value here (on
    /// an autodiff backend the gradients flow back through the casts to these parameters, in
    /// their own precision — mixed-precision training with full-precision master weights).
    pub fn cast_parameters(&self, dtype: FloatDType) -> Self {
        self.clone().map(&mut CastParameters(dtype))
    }

    /// The last hidden states, `[batch, seq, hidden]`, in the parameters' precision.
    pub fn forward(&self, batch: &EncoderBatch<B>) -> Tensor<B, 3> {
        let mut x = self.embeddings.forward(
            batch.input_ids.clone(),
            batch.position_ids.clone(),
            batch.token_type_ids.clone(),
        );
        let mask_bias = batch.mask_bias();
        let mask_bias = match x.dtype() {
            DType::F32 => mask_bias,
            dtype => mask_bias.cast(dtype),
        };
        for layer in &self.layers {
            x = layer.forward(x, mask_bias.clone());
        }
        x
    }

    /// Pools hidden states `[batch, seq, hidden]` with `mode` into `[batch, hidden]`, in f32.
    pub fn pool(
        &self,
        hidden: Tensor<B, 3>,
        batch: &EncoderBatch<B>,
        mode: PoolingMode,
    ) -> Tensor<B, 2> {
        match mode {
            PoolingMode::Cls => to_f32(pooling::cls(hidden)),
            // The mean is summed in f32 whatever the parameters' precision.
            PoolingMode::Mean => pooling::masked_mean(to_f32(hidden), batch.attention_mask.clone()),
            PoolingMode::Pooler => to_f32(self.pooler.forward(hidden)),
        }
    }

    /// Sentence embeddings with the configured pooling and normalisation, `[batch, hidden]`.
    pub fn embed(&self, batch: &EncoderBatch<B>) -> Tensor<B, 2> {
        let pooled = self.pool(self.forward(batch), batch, self.config.pooling);
        if self.config.normalize {
            pooling::l2_normalize(pooled)
        } else {
            pooled
        }
    }
}

/// `tensor` in f32 (unchanged when it already is).
fn to_f32<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Tensor<B, D> {
    match tensor.dtype() {
        DType::F32 => tensor,
        _ => tensor.cast(FloatDType::F32),
    }
}

/// Casts every float parameter to a precision (see [`Encoder::cast_parameters`]).
struct CastParameters(FloatDType);

impl<B: Backend> ModuleMapper<B> for CastParameters {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let dtype = self.0;
        param.map(|tensor| tensor.cast(dtype))
    }
}
