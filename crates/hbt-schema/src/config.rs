//! `config.toml`: an experiment file's settings, and the resolved settings of one run as saved
//! in its results folder. Every key with its one-line doc comment; every default is written
//! once, in the `Default` impls (each section is `#[serde(default)]`). Unknown keys and unknown
//! values are refused by serde with the allowed names; ranges are checked by
//! `hbt_pipeline::config::validate`.

use serde::{Deserialize, Serialize};

use crate::device::DeviceName;
use crate::lang::Lang;
use crate::names::{
    BackendKind, LanguageWeighting, ModelFamily, PoolingMode, Precision, Reference, SentenceSource,
    Strategy, TextPrefixes,
};

/// A whole experiment (one run after sweep expansion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExperimentConfig {
    /// What the experiment is for, in one sentence.
    pub description: String,
    /// The one seed that drives data order, splits, sampling and initialisation.
    pub seed: u64,
    /// Compute backend: flex (default CPU), ndarray (CPU) or cuda (needs the cuda feature).
    pub backend: BackendKind,
    /// Training and evaluation data.
    pub data: DataConfig,
    /// Tokenizer: trained on the training text, or loaded from a tokenizer.json.
    pub tokenizer: TokenizerConfig,
    /// The encoder: built from scratch or imported from a Hugging Face folder.
    pub model: ModelConfig,
    /// Training settings (batch strategy and schedule).
    pub train: TrainConfig,
    /// Evaluation settings.
    pub eval: EvalConfig,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        ExperimentConfig {
            description: String::new(),
            seed: 42,
            backend: BackendKind::Flex,
            data: DataConfig::default(),
            tokenizer: TokenizerConfig::default(),
            model: ModelConfig::default(),
            train: TrainConfig::default(),
            eval: EvalConfig::default(),
        }
    }
}

/// Which data trains and which evaluates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// Training sources: a dataset name in the data folder (e.g. "mlqa-r"), a QA-rows file
    /// (.jsonl / .parquet), a translation-pair file (.tsv, or the stem NAME.xx-yy of aligned files).
    pub train: Vec<String>,
    /// Keep only these languages of the training sources (empty: all).
    pub train_languages: Vec<Lang>,
    /// Evaluation datasets (zero-shot: never also a training source).
    pub eval: Vec<String>,
    /// Share of training groups held out as the dev split for checkpoint selection, in [0, 0.5].
    pub dev_fraction: f64,
    /// Sentence boundaries: shipped (LAReQA breaks, splitter when absent) or splitter.
    pub sentences: SentenceSource,
    /// Encode candidates as sentence plus paragraph instead of the sentence alone.
    pub candidate_context: bool,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            train: vec!["mlqa-r".into()],
            train_languages: Vec::new(),
            eval: vec!["xquad-r".into()],
            dev_fraction: 0.1,
            sentences: SentenceSource::ShippedOrSplitter,
            candidate_context: false,
        }
    }
}

/// How text becomes token ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenizerConfig {
    /// Load this Hugging Face tokenizer.json instead of training one (empty: train).
    pub pretrained: String,
    /// Vocabulary size of a trained byte-level BPE tokenizer, in [261, 1_000_000].
    pub vocab_size: usize,
    /// Longest sequence in tokens (special tokens included), in [8, 8192].
    pub max_len: usize,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            pretrained: String::new(),
            vocab_size: 8000,
            max_len: 128,
        }
    }
}

/// The encoder to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelConfig {
    /// The pretrained encoder to fine-tune; empty: from scratch. A Hugging Face folder
    /// (config.json + model.safetensors + tokenizer.json), a hub id `ORG/NAME[@REVISION]`
    /// (or `hf:ORG/NAME`), or `q4:FILE` (4-bit `E5S1` weights with tokenizer.json beside them).
    pub pretrained: String,
    /// From scratch: xlm-roberta or bert.
    pub family: ModelFamily,
    /// From scratch: width of the hidden states (a multiple of `heads`).
    pub hidden_size: usize,
    /// From scratch: number of transformer layers, in [1, 48].
    pub layers: usize,
    /// From scratch: attention heads.
    pub heads: usize,
    /// From scratch: width of the feed-forward layer.
    pub intermediate_size: usize,
    /// From scratch: dropout on hidden states and attention, in [0, 0.9].
    pub dropout: f64,
    /// Sentence pooling: cls, mean or pooler.
    pub pooling: PoolingMode,
    /// L2-normalise embeddings: training, dev and evaluation scores are cosine similarities;
    /// false: plain dot products of the pooled embeddings.
    pub normalize: bool,
    /// Text put before every query wherever one is encoded (training, dev, evaluation), e.g.
    /// E5's `"query: "`; recorded in the saved model.
    pub query_prefix: String,
    /// Text put before every passage (answer, candidate) wherever one is encoded, e.g. E5's
    /// `"passage: "`; recorded in the saved model.
    pub passage_prefix: String,
}

impl ModelConfig {
    /// The query and passage prefixes.
    pub fn prefixes(&self) -> TextPrefixes {
        TextPrefixes {
            query: self.query_prefix.clone(),
            passage: self.passage_prefix.clone(),
        }
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            pretrained: String::new(),
            family: ModelFamily::XlmRoberta,
            hidden_size: 256,
            layers: 4,
            heads: 4,
            intermediate_size: 1024,
            dropout: 0.1,
            pooling: PoolingMode::Mean,
            normalize: true,
            query_prefix: String::new(),
            passage_prefix: String::new(),
        }
    }
}

/// Batch strategy and optimisation schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Batch strategy: mono, mixed, cross or hybrid.
    pub strategy: Strategy,
    /// Hybrid only: probability that a batch is monolingual, in [0, 1].
    pub alpha: f64,
    /// Question–answer pairs per batch, at least 2 (in-batch negatives).
    pub batch_size: usize,
    /// Optimizer steps, at least 1.
    pub steps: usize,
    /// Peak learning rate, in (0, 1].
    pub learning_rate: f64,
    /// Softmax temperature of the contrastive loss (scale = 1 / temperature), in (0, 10].
    pub temperature: f64,
    /// Add the answer → question direction to the loss.
    pub symmetric: bool,
    /// Mono batches draw their language proportional to its data, or uniform.
    pub language_weighting: LanguageWeighting,
    /// Share of the steps spent in linear warm-up before the linear decay, in [0, 1].
    pub warmup_fraction: f64,
    /// AdamW decoupled weight decay, in [0, 1).
    pub weight_decay: f64,
    /// Clip gradients to this global L2 norm; 0 turns clipping off.
    pub max_grad_norm: f64,
    /// Batches per optimizer step: their gradients are averaged (each batch's loss is divided
    /// by this number), at least 1.
    pub accumulation: usize,
    /// Forward passes per batch side over sequences of similar length (less padding; the
    /// loss is the same up to dropout's random draws), at least 1.
    pub length_buckets: usize,
    /// Checkpoint (and dev measurement) every this many steps, and at the end.
    pub checkpoint_every: usize,
    /// Keep the word-embedding table as it is: no gradient, no update (fine-tuning a
    /// large-vocabulary pretrained encoder at a fraction of the memory and time).
    pub freeze_embeddings: bool,
    /// Sequences per forward pass of the cached contrastive loss (GradCache): the batch's
    /// loss and gradients in the memory of this many sequences; 0 (the default): the whole
    /// batch at once. Left out of saved configurations when 0, so runs saved before it
    /// existed keep their configuration text.
    #[serde(skip_serializing_if = "is_zero")]
    pub mini_batch: usize,
    /// Devices to train on, data-parallel (one model replica each, each batch split between
    /// them, gradients summed every step): `["cpu", "cpu"]`, `["cuda:0", "cuda:1"]`. Empty
    /// (the default): the backend's one default device. Left out of saved configurations
    /// when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceName>,
    /// With several devices, score each question against the answers of the whole batch
    /// (every device's), as one device would; false: only against its own device's share.
    /// Left out of saved configurations when true (the default).
    #[serde(skip_serializing_if = "is_true")]
    pub cross_device_negatives: bool,
    /// The precision of the forward and backward passes: `f32` (the default), `bf16`, or `f16`
    /// (with dynamic loss scaling); parameters and optimizer state stay f32. Left out of
    /// saved configurations when f32.
    #[serde(skip_serializing_if = "is_f32")]
    pub precision: Precision,
}

fn is_f32(precision: &Precision) -> bool {
    *precision == Precision::F32
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_zero(value: &usize) -> bool {
    *value == 0
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            strategy: Strategy::Hybrid,
            alpha: 0.5,
            batch_size: 32,
            steps: 1000,
            learning_rate: 5e-4,
            temperature: 0.05,
            symmetric: false,
            language_weighting: LanguageWeighting::Proportional,
            warmup_fraction: 0.1,
            weight_decay: 0.01,
            max_grad_norm: 1.0,
            accumulation: 1,
            length_buckets: 4,
            checkpoint_every: 250,
            freeze_embeddings: false,
            mini_batch: 0,
            devices: Vec::new(),
            cross_device_negatives: true,
            precision: Precision::F32,
        }
    }
}

/// How runs are evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvalConfig {
    /// Reference runs evaluated beside the trained ones: bm25, untrained (a from-scratch
    /// model before training), pretrained (a pretrained model before fine-tuning). Not given:
    /// bm25 and the model before training.
    pub references: Vec<Reference>,
    /// Sequences per encoding batch, at least 1.
    pub batch_size: usize,
    /// Queries per search block (memory holds block × pool scores), at least 1.
    pub search_block: usize,
    /// Also write TREC run files (top 100) and qrels into the run's trec/ folder.
    pub trec: bool,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            references: vec![Reference::Bm25, Reference::Untrained],
            batch_size: 128,
            search_block: 256,
            trec: false,
        }
    }
}

impl ExperimentConfig {
    /// Parses a run's saved `config.toml`.
    pub fn from_toml(text: &str) -> Result<ExperimentConfig, toml::de::Error> {
        toml::from_str(text)
    }

    /// The text of a run's `config.toml`.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_the_defaults_and_round_trips() {
        let config = ExperimentConfig::from_toml("").unwrap();
        assert_eq!(config, ExperimentConfig::default());
        let text = config.to_toml().unwrap();
        assert!(text.contains("strategy = \"hybrid\""), "{text}");
        assert!(text.contains("sentences = \"shipped\""), "{text}");
        assert_eq!(ExperimentConfig::from_toml(&text).unwrap(), config);
    }

    #[test]
    fn unknown_values_and_keys_are_refused_with_the_allowed_names() {
        let err = ExperimentConfig::from_toml("[model]\npooling = \"max\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max") && err.contains("pooler"), "{err}");
        let err = ExperimentConfig::from_toml("[train]\nstrategi = \"mono\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("strategi"), "{err}");
        let err = ExperimentConfig::from_toml("[data]\ntrain_languages = [\"xx\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown language `xx`"), "{err}");
    }
}
