//! Encoder configuration: sizes, model family, pooling, and the mapping to and from a
//! Hugging Face `config.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::ModelError;

pub use hbt_schema::{ModelFamily, PoolingMode, TextPrefixes};

/// hbt's embedding settings as recorded in an exported `config.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct SavedEmbedding {
    /// `hbt_pooling`.
    #[serde(default, rename = "hbt_pooling")]
    pub pooling: Option<PoolingMode>,
    /// `hbt_normalize`.
    #[serde(default, rename = "hbt_normalize")]
    pub normalize: Option<bool>,
    /// `hbt_query_prefix`.
    #[serde(default, rename = "hbt_query_prefix")]
    pub query_prefix: Option<String>,
    /// `hbt_passage_prefix`.
    #[serde(default, rename = "hbt_passage_prefix")]
    pub passage_prefix: Option<String>,
}

/// Sizes and options of a transformer encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderConfig {
    /// Architecture family.
    pub family: ModelFamily,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Width of the hidden states.
    pub hidden_size: usize,
    /// Number of transformer layers.
    pub num_hidden_layers: usize,
    /// Number of attention heads (must divide `hidden_size`).
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Rows of the position embedding table.
    pub max_position_embeddings: usize,
    /// Rows of the token-type embedding table.
    pub type_vocab_size: usize,
    /// LayerNorm epsilon.
    pub layer_norm_eps: f64,
    /// Id of the padding token.
    pub pad_token_id: u32,
    /// Dropout on hidden states (only active on autodiff backends).
    pub hidden_dropout_prob: f64,
    /// Dropout on attention probabilities (only active on autodiff backends).
    pub attention_probs_dropout_prob: f64,
    /// Standard deviation of the normal from-scratch initialisation.
    pub initializer_range: f64,
    /// Pooling used by [`crate::Encoder::embed`].
    #[serde(default)]
    pub pooling: PoolingMode,
    /// Whether embeddings are L2-normalised.
    #[serde(default)]
    pub normalize: bool,
    /// Text put before queries and passages when they are tokenized; recorded in an exported
    /// `config.json` so that a saved model is used as it was trained.
    #[serde(default)]
    pub prefixes: TextPrefixes,
}

impl EncoderConfig {
    /// A BERT-base-like config with the given sizes and defaults for the rest
    /// (dropout 0.1, eps 1e-12, type vocab 2, pad id 0, CLS pooling, no normalisation).
    pub fn new(
        family: ModelFamily,
        vocab_size: usize,
        hidden_size: usize,
        num_hidden_layers: usize,
        num_attention_heads: usize,
        intermediate_size: usize,
        max_position_embeddings: usize,
    ) -> Self {
        let (pad_token_id, layer_norm_eps, type_vocab_size) = match family {
            ModelFamily::Bert => (0, 1e-12, 2),
            ModelFamily::XlmRoberta => (1, 1e-5, 1),
        };
        EncoderConfig {
            family,
            vocab_size,
            hidden_size,
            num_hidden_layers,
            num_attention_heads,
            intermediate_size,
            max_position_embeddings,
            type_vocab_size,
            layer_norm_eps,
            pad_token_id,
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            initializer_range: 0.02,
            pooling: PoolingMode::Cls,
            normalize: false,
            prefixes: TextPrefixes::default(),
        }
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads.max(1)
    }

    /// The longest input (in tokens, special tokens included) the position table allows.
    pub fn max_sequence_length(&self) -> usize {
        match self.family {
            ModelFamily::Bert => self.max_position_embeddings,
            ModelFamily::XlmRoberta => self
                .max_position_embeddings
                .saturating_sub(self.pad_token_id as usize + 1),
        }
    }

    /// Checks sizes and options; `origin` names where the config came from.
    pub fn validate(&self, origin: &str) -> Result<(), ModelError> {
        let fail = |message: String| {
            Err(ModelError::Config {
                origin: origin.to_string(),
                message,
            })
        };
        for (name, value) in [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ] {
            if value == 0 {
                return fail(format!("{name} must be positive"));
            }
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return fail(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if self.pad_token_id as usize >= self.vocab_size {
            return fail(format!(
                "pad_token_id {} is outside the vocabulary of {}",
                self.pad_token_id, self.vocab_size
            ));
        }
        if self.max_sequence_length() == 0 {
            return fail(format!(
                "max_position_embeddings {} leaves no room for tokens after the padding offset {}",
                self.max_position_embeddings,
                self.pad_token_id + 1
            ));
        }
        for (name, p) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            (
                "attention_probs_dropout_prob",
                self.attention_probs_dropout_prob,
            ),
        ] {
            if !(0.0..1.0).contains(&p) {
                return fail(format!("{name} {p} is not in [0, 1)"));
            }
        }
        if self.layer_norm_eps.is_nan()
            || self.initializer_range.is_nan()
            || self.layer_norm_eps <= 0.0
            || self.initializer_range <= 0.0
        {
            return fail("layer_norm_eps and initializer_range must be positive".to_string());
        }
        Ok(())
    }

    /// Reads a Hugging Face `config.json` of a `BertModel` or `XLMRobertaModel` (or a task
    /// model built on one). Pooling and normalisation are not part of Hugging Face configs and
    /// are given here.
    pub fn from_hf_config_file(
        path: &Path,
        pooling: PoolingMode,
        normalize: bool,
    ) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| ModelError::Json {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::from_hf_config_value(&value, pooling, normalize)
            .map_err(|message| ModelError::Json {
                path: path.to_path_buf(),
                message,
            })
            .and_then(|config| {
                config.validate(&path.display().to_string())?;
                Ok(config)
            })
    }

    /// The embedding settings hbt records in an exported `config.json` (`hbt_pooling`,
    /// `hbt_normalize`, `hbt_query_prefix`, `hbt_passage_prefix`); `None` where the file has
    /// none (a folder not made by hbt).
    pub fn saved_embedding_settings(path: &Path) -> Result<SavedEmbedding, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| ModelError::Json {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Parses a Hugging Face config held as JSON; the error is a one-line message.
    pub fn from_hf_config_value(
        value: &Value,
        pooling: PoolingMode,
        normalize: bool,
    ) -> Result<Self, String> {
        let obj = value.as_object().ok_or("the top level is not an object")?;
        let model_type = obj
            .get("model_type")
            .and_then(Value::as_str)
            .ok_or("missing string field `model_type`")?;
        let family = match model_type {
            "bert" => ModelFamily::Bert,
            "xlm-roberta" | "roberta" => ModelFamily::XlmRoberta,
            other => {
                return Err(format!(
                    "model_type `{other}` is not supported (expected bert, xlm-roberta or roberta)"
                ))
            }
        };
        let get_usize = |key: &str| -> Result<usize, String> {
            obj.get(key)
                .and_then(Value::as_u64)
                .map(|v| v as usize)
                .ok_or_else(|| format!("missing or non-integer field `{key}`"))
        };
        let get_f64 = |key: &str, default: f64| -> Result<f64, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(default),
                Some(v) => v
                    .as_f64()
                    .ok_or_else(|| format!("field `{key}` is not a number")),
            }
        };
        if let Some(act) = obj.get("hidden_act") {
            if act.as_str() != Some("gelu") {
                return Err(format!(
                    "hidden_act {act} is not supported (only exact `gelu`)"
                ));
            }
        }
        if let Some(kind) = obj.get("position_embedding_type") {
            if kind.as_str() != Some("absolute") {
                return Err(format!(
                    "position_embedding_type {kind} is not supported (only `absolute`)"
                ));
            }
        }
        let mut config = EncoderConfig::new(
            family,
            get_usize("vocab_size")?,
            get_usize("hidden_size")?,
            get_usize("num_hidden_layers")?,
            get_usize("num_attention_heads")?,
            get_usize("intermediate_size")?,
            get_usize("max_position_embeddings")?,
        );
        if obj.contains_key("type_vocab_size") {
            config.type_vocab_size = get_usize("type_vocab_size")?;
        }
        if let Some(pad) = obj.get("pad_token_id").filter(|v| !v.is_null()) {
            config.pad_token_id = pad
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or("field `pad_token_id` is not a token id")?;
        }
        config.layer_norm_eps = get_f64("layer_norm_eps", config.layer_norm_eps)?;
        config.hidden_dropout_prob = get_f64("hidden_dropout_prob", 0.1)?;
        config.attention_probs_dropout_prob = get_f64("attention_probs_dropout_prob", 0.1)?;
        config.initializer_range = get_f64("initializer_range", 0.02)?;
        config.pooling = pooling;
        config.normalize = normalize;
        Ok(config)
    }

    /// The Hugging Face `config.json` content for this encoder.
    pub fn to_hf_config_value(&self) -> Value {
        let mut value = json!({
            "architectures": [self.family.hf_architecture()],
            "model_type": self.family.hf_model_type(),
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
            "intermediate_size": self.intermediate_size,
            "hidden_act": "gelu",
            "hidden_dropout_prob": self.hidden_dropout_prob,
            "attention_probs_dropout_prob": self.attention_probs_dropout_prob,
            "max_position_embeddings": self.max_position_embeddings,
            "type_vocab_size": self.type_vocab_size,
            "initializer_range": self.initializer_range,
            "layer_norm_eps": self.layer_norm_eps,
            "pad_token_id": self.pad_token_id,
            "position_embedding_type": "absolute",
            "torch_dtype": "float32",
            "hbt_pooling": self.pooling,
            "hbt_normalize": self.normalize,
            "hbt_query_prefix": self.prefixes.query,
            "hbt_passage_prefix": self.prefixes.passage,
        });
        if self.family == ModelFamily::XlmRoberta {
            value["bos_token_id"] = json!(0);
            value["eos_token_id"] = json!(2);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hf_config_round_trips() {
        let mut config = EncoderConfig::new(ModelFamily::XlmRoberta, 1000, 32, 2, 4, 64, 64);
        config.pooling = PoolingMode::Mean;
        let value = config.to_hf_config_value();
        let back = EncoderConfig::from_hf_config_value(&value, PoolingMode::Mean, false).unwrap();
        assert_eq!(back, config);
        assert_eq!(config.max_sequence_length(), 62);
    }

    #[test]
    fn bad_configs_are_rejected() {
        let mut config = EncoderConfig::new(ModelFamily::Bert, 1000, 30, 2, 4, 64, 64);
        assert!(config
            .validate("t")
            .unwrap_err()
            .to_string()
            .contains("multiple"));
        config.hidden_size = 32;
        config.validate("t").unwrap();
        let value = json!({"model_type": "gpt2"});
        assert!(
            EncoderConfig::from_hf_config_value(&value, PoolingMode::Cls, false)
                .unwrap_err()
                .contains("gpt2")
        );
    }
}
