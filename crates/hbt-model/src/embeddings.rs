//! The input embeddings: word + learned position + token type, then LayerNorm and dropout.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Embedding, LayerNorm};
use burn::tensor::{backend::Backend, Int, Tensor};

use crate::config::EncoderConfig;
use crate::error::ModelError;
use crate::params;
use crate::weights::WeightMap;

/// Word, position and token-type embeddings followed by LayerNorm (BERT / XLM-R layout).
#[derive(Module, Debug)]
pub struct Embeddings<B: Backend> {
    /// Word embedding table, `[vocab, hidden]`.
    pub word: Embedding<B>,
    /// Position embedding table, `[max_positions, hidden]`.
    pub position: Embedding<B>,
    /// Token-type embedding table, `[type_vocab, hidden]`.
    pub token_type: Embedding<B>,
    /// LayerNorm after the sum.
    pub layer_norm: LayerNorm<B>,
    /// Dropout after the LayerNorm.
    pub dropout: Dropout,
}

impl<B: Backend> Embeddings<B> {
    /// Builds the embeddings from Hugging Face tensors `embeddings.*`.
    pub(crate) fn from_weights(
        config: &EncoderConfig,
        weights: &mut WeightMap,
        device: &B::Device,
    ) -> Result<Self, ModelError> {
        Ok(Embeddings {
            word: params::embedding(weights, "embeddings.word_embeddings.weight", device)?,
            position: params::embedding(weights, "embeddings.position_embeddings.weight", device)?,
            token_type: params::embedding(
                weights,
                "embeddings.token_type_embeddings.weight",
                device,
            )?,
            layer_norm: params::layer_norm(weights, "embeddings", config.layer_norm_eps, device)?,
            dropout: DropoutConfig::new(config.hidden_dropout_prob).init(),
        })
    }

    /// Writes the Hugging Face tensors `embeddings.*` into `out`.
    pub(crate) fn export(&self, out: &mut WeightMap) -> Result<(), ModelError> {
        params::export_embedding(out, "embeddings.word_embeddings.weight", &self.word)?;
        params::export_embedding(out, "embeddings.position_embeddings.weight", &self.position)?;
        params::export_embedding(
            out,
            "embeddings.token_type_embeddings.weight",
            &self.token_type,
        )?;
        params::export_layer_norm(out, "embeddings", &self.layer_norm)
    }

    /// Embeds `[batch, seq]` ids into `[batch, seq, hidden]` ([`hbt_kernels::embedding`]: its
    /// backward writes only the rows looked up).
    pub fn forward(
        &self,
        input_ids: Tensor<B, 2, Int>,
        position_ids: Tensor<B, 2, Int>,
        token_type_ids: Tensor<B, 2, Int>,
    ) -> Tensor<B, 3> {
        let lookup = |table: &Embedding<B>, ids| hbt_kernels::embedding(table.weight.val(), ids);
        let x = lookup(&self.word, input_ids)
            + lookup(&self.token_type, token_type_ids)
            + lookup(&self.position, position_ids);
        self.dropout.forward(self.layer_norm.forward(x))
    }
}
