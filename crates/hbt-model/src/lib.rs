//! hbt-model: a BERT / XLM-RoBERTa transformer encoder in burn, generic over the backend,
//! with CLS / mean / pooler sentence pooling, seeded from-scratch initialisation, and
//! Hugging Face checkpoint import and export (numerically matched to `transformers`).

pub mod attention;
pub mod backend;
pub mod batch;
pub mod config;
pub mod embeddings;
pub mod encoder;
pub mod error;
pub mod layer;
mod params;
pub mod pooling;
pub mod weights;

pub use batch::EncoderBatch;
pub use config::{EncoderConfig, ModelFamily, PoolingMode};
pub use encoder::Encoder;
pub use error::ModelError;
pub mod encode;
pub mod hf_export;
pub mod hf_import;

pub use encode::encode;
pub use hf_export::save_hf_dir;
pub use hf_import::{load_hf_dir, load_hf_safetensors};
