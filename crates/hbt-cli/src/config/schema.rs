//! The experiment file's schema: every key with its default and a one-line doc comment.
//! Unknown keys are refused (`deny_unknown_fields`); ranges are checked in [`super::validate`].

use serde::{Deserialize, Serialize};

/// A whole experiment (one run after sweep expansion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// What the experiment is for, in one sentence.
    #[serde(default)]
    pub description: String,
    /// The one seed that drives data order, splits, sampling and initialisation.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Compute backend: "flex" (default CPU), "ndarray" (CPU) or "cuda" (needs the cuda feature).
    #[serde(default = "default_backend")]
    pub backend: String,
    /// Training and evaluation data.
    #[serde(default)]
    pub data: DataConfig,
    /// Tokenizer: trained on the training text, or loaded from a tokenizer.json.
    #[serde(default)]
    pub tokenizer: TokenizerConfig,
    /// The encoder: built from scratch or imported from a Hugging Face folder.
    #[serde(default)]
    pub model: ModelConfig,
    /// Training settings (batch strategy and schedule).
    #[serde(default)]
    pub train: TrainConfig,
    /// Evaluation settings.
    #[serde(default)]
    pub eval: EvalConfig,
}

/// How runs are evaluated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalConfig {
    /// Reference runs evaluated beside the trained ones: "bm25" and/or "untrained".
    #[serde(default = "default_references")]
    pub references: Vec<String>,
    /// Sequences per encoding batch, at least 1.
    #[serde(default = "default_eval_batch_size")]
    pub batch_size: usize,
    /// Queries per search block (memory holds block × pool scores), at least 1.
    #[serde(default = "default_search_block")]
    pub search_block: usize,
    /// Also write TREC run files (top 100) and qrels into the run's trec/ folder.
    #[serde(default)]
    pub trec: bool,
}

/// The known reference runs.
pub const REFERENCES: [&str; 2] = ["bm25", "untrained"];

fn default_references() -> Vec<String> {
    REFERENCES.iter().map(|r| r.to_string()).collect()
}
fn default_eval_batch_size() -> usize {
    128
}
fn default_search_block() -> usize {
    256
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            references: default_references(),
            batch_size: default_eval_batch_size(),
            search_block: default_search_block(),
            trec: false,
        }
    }
}

/// The encoder to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// A Hugging Face folder (config.json + model.safetensors) to fine-tune; empty: from scratch.
    #[serde(default)]
    pub pretrained: String,
    /// From scratch: "xlm-roberta" or "bert".
    #[serde(default = "default_family")]
    pub family: String,
    /// From scratch: width of the hidden states (a multiple of `heads`).
    #[serde(default = "default_hidden_size")]
    pub hidden_size: usize,
    /// From scratch: number of transformer layers, in [1, 48].
    #[serde(default = "default_layers")]
    pub layers: usize,
    /// From scratch: attention heads.
    #[serde(default = "default_heads")]
    pub heads: usize,
    /// From scratch: width of the feed-forward layer.
    #[serde(default = "default_intermediate_size")]
    pub intermediate_size: usize,
    /// From scratch: dropout on hidden states and attention, in [0, 0.9].
    #[serde(default = "default_dropout")]
    pub dropout: f64,
    /// Sentence pooling: "cls", "mean" or "pooler".
    #[serde(default = "default_pooling")]
    pub pooling: String,
    /// L2-normalise embeddings (retrieval scores are then cosine similarities).
    #[serde(default = "default_true")]
    pub normalize: bool,
}

/// Which data trains and which evaluates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// Training sources: a dataset name in the data folder (e.g. "mlqa-r"), a QA-rows file
    /// (.jsonl / .parquet), a translation-pair file (.tsv, or the stem NAME.xx-yy of aligned files).
    #[serde(default = "default_train_sources")]
    pub train: Vec<String>,
    /// Keep only these languages of the training sources (empty: all).
    #[serde(default)]
    pub train_languages: Vec<String>,
    /// Evaluation datasets (zero-shot: never also a training source).
    #[serde(default = "default_eval_sets")]
    pub eval: Vec<String>,
    /// Share of training groups held out as the dev split for checkpoint selection, in [0, 0.5].
    #[serde(default = "default_dev_fraction")]
    pub dev_fraction: f64,
    /// Sentence boundaries: "shipped" (LAReQA breaks, splitter when absent) or "splitter".
    #[serde(default = "default_sentences")]
    pub sentences: String,
    /// Encode candidates as sentence plus paragraph instead of the sentence alone.
    #[serde(default)]
    pub candidate_context: bool,
}

/// How text becomes token ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenizerConfig {
    /// Load this Hugging Face tokenizer.json instead of training one (empty: train).
    #[serde(default)]
    pub pretrained: String,
    /// Vocabulary size of a trained byte-level BPE tokenizer, in [261, 1_000_000].
    #[serde(default = "default_vocab_size")]
    pub vocab_size: usize,
    /// Longest sequence in tokens (special tokens included), in [8, 8192].
    #[serde(default = "default_max_len")]
    pub max_len: usize,
}

/// Batch strategy and optimisation schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Batch strategy: "mono", "mixed", "cross" or "hybrid".
    #[serde(default = "default_strategy")]
    pub strategy: String,
    /// Hybrid only: probability that a batch is monolingual, in [0, 1].
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Question–answer pairs per batch, at least 2 (in-batch negatives).
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Optimizer steps, at least 1.
    #[serde(default = "default_steps")]
    pub steps: usize,
    /// Peak learning rate, in (0, 1].
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f64,
    /// Softmax temperature of the contrastive loss (scale = 1 / temperature), in (0, 10].
    #[serde(default = "default_temperature")]
    pub temperature: f64,
    /// Add the answer → question direction to the loss.
    #[serde(default)]
    pub symmetric: bool,
    /// Mono batches draw their language "proportional" to its data, or "uniform".
    #[serde(default = "default_language_weighting")]
    pub language_weighting: String,
    /// Share of the steps spent in linear warm-up before the linear decay, in [0, 1].
    #[serde(default = "default_warmup_fraction")]
    pub warmup_fraction: f64,
    /// AdamW decoupled weight decay, in [0, 1).
    #[serde(default = "default_weight_decay")]
    pub weight_decay: f64,
    /// Clip gradients to this global L2 norm; 0 turns clipping off.
    #[serde(default = "default_max_grad_norm")]
    pub max_grad_norm: f64,
    /// Batches summed into one optimizer step, at least 1.
    #[serde(default = "default_accumulation")]
    pub accumulation: usize,
    /// Forward passes per batch side over sequences of similar length (less padding; the
    /// loss is the same up to dropout's random draws), at least 1.
    #[serde(default = "default_length_buckets")]
    pub length_buckets: usize,
    /// Checkpoint (and dev measurement) every this many steps, and at the end.
    #[serde(default = "default_checkpoint_every")]
    pub checkpoint_every: usize,
}

/// The known batch strategies.
pub const STRATEGIES: [&str; 4] = ["mono", "mixed", "cross", "hybrid"];
/// The known backends.
pub const BACKENDS: [&str; 3] = ["flex", "ndarray", "cuda"];
/// The known pooling modes.
pub const POOLINGS: [&str; 3] = ["cls", "mean", "pooler"];
/// The known model families.
pub const FAMILIES: [&str; 2] = ["xlm-roberta", "bert"];
/// The known mono-language weightings.
pub const LANGUAGE_WEIGHTINGS: [&str; 2] = ["proportional", "uniform"];
/// The known sentence sources.
pub const SENTENCE_SOURCES: [&str; 2] = ["shipped", "splitter"];

fn default_seed() -> u64 {
    42
}
fn default_backend() -> String {
    "flex".into()
}
fn default_train_sources() -> Vec<String> {
    vec!["mlqa-r".into()]
}
fn default_eval_sets() -> Vec<String> {
    vec!["xquad-r".into()]
}
fn default_dev_fraction() -> f64 {
    0.1
}
fn default_sentences() -> String {
    "shipped".into()
}
fn default_vocab_size() -> usize {
    8000
}
fn default_max_len() -> usize {
    128
}
fn default_strategy() -> String {
    "hybrid".into()
}
fn default_alpha() -> f64 {
    0.5
}
fn default_batch_size() -> usize {
    32
}
fn default_steps() -> usize {
    1000
}
fn default_learning_rate() -> f64 {
    5e-4
}
fn default_temperature() -> f64 {
    0.05
}
fn default_language_weighting() -> String {
    "proportional".into()
}
fn default_warmup_fraction() -> f64 {
    0.1
}
fn default_weight_decay() -> f64 {
    0.01
}
fn default_max_grad_norm() -> f64 {
    1.0
}
fn default_accumulation() -> usize {
    1
}
fn default_length_buckets() -> usize {
    4
}
fn default_checkpoint_every() -> usize {
    250
}
fn default_family() -> String {
    "xlm-roberta".into()
}
fn default_hidden_size() -> usize {
    256
}
fn default_layers() -> usize {
    4
}
fn default_heads() -> usize {
    4
}
fn default_intermediate_size() -> usize {
    1024
}
fn default_dropout() -> f64 {
    0.1
}
fn default_pooling() -> String {
    "mean".into()
}
fn default_true() -> bool {
    true
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            pretrained: String::new(),
            family: default_family(),
            hidden_size: default_hidden_size(),
            layers: default_layers(),
            heads: default_heads(),
            intermediate_size: default_intermediate_size(),
            dropout: default_dropout(),
            pooling: default_pooling(),
            normalize: true,
        }
    }
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            train: default_train_sources(),
            train_languages: Vec::new(),
            eval: default_eval_sets(),
            dev_fraction: default_dev_fraction(),
            sentences: default_sentences(),
            candidate_context: false,
        }
    }
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            pretrained: String::new(),
            vocab_size: default_vocab_size(),
            max_len: default_max_len(),
        }
    }
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            strategy: default_strategy(),
            alpha: default_alpha(),
            batch_size: default_batch_size(),
            steps: default_steps(),
            learning_rate: default_learning_rate(),
            temperature: default_temperature(),
            symmetric: false,
            language_weighting: default_language_weighting(),
            warmup_fraction: default_warmup_fraction(),
            weight_decay: default_weight_decay(),
            max_grad_norm: default_max_grad_norm(),
            accumulation: default_accumulation(),
            length_buckets: default_length_buckets(),
            checkpoint_every: default_checkpoint_every(),
        }
    }
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        ExperimentConfig {
            description: String::new(),
            seed: default_seed(),
            backend: default_backend(),
            data: DataConfig::default(),
            tokenizer: TokenizerConfig::default(),
            model: ModelConfig::default(),
            train: TrainConfig::default(),
            eval: EvalConfig::default(),
        }
    }
}
