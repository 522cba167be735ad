//! hbt-model: the transformer encoder in burn. This crate currently provides the backend
//! selection; the encoder, pooling and Hugging Face import/export come with the model issue.

pub mod backend;
