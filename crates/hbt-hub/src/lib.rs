//! hbt-hub: turns a user's model reference into local files.
//!
//! A reference is one of (see [`ModelSource::parse`]):
//! * a Hugging Face folder on disk (`config.json`, `model.safetensors`, `tokenizer.json`);
//! * `q4:PATH`, a 4-bit weights file with its `tokenizer.json` beside it;
//! * a hub id `ORG/NAME[@REVISION]` (or `hf:ORG/NAME[@REVISION]` to force the hub), whose
//!   three files are taken from the local Hugging Face cache or downloaded into it.
//!
//! [`resolve`] checks or fetches the files and returns a [`ResolvedModel`]; [`HubSettings`]
//! says where the hub and the cache are, read from the environment like Python's
//! `huggingface_hub` does.
//!
//! # Why hf-hub
//! The hub side is built on [`hf_hub`], the ecosystem's crate (candle, text-embeddings-inference
//! and mistral.rs use it): it writes the cache layout that Python's `huggingface_hub` shares
//! (`models--ORG--NAME/{blobs,snapshots,refs}`), so a model downloaded by either is found by the
//! other, and its downloads resume from a `.part` file and are renamed into place atomically.
//!
//! What hbt adds on top of hf-hub 0.4.3:
//! * `HF_HUB_CACHE` (hf-hub reads only `HF_HOME`), `XDG_CACHE_HOME`, `HF_TOKEN` and
//!   `HF_TOKEN_PATH`, following `huggingface_hub`'s rules ([`HubSettings::from_vars`]);
//! * offline mode (`HF_HUB_OFFLINE`): the cache only, never the network;
//! * checksum verification: hf-hub stores whatever bytes arrive; hbt checks each download
//!   against the checksum the hub publishes (the ETag its blob is named after: sha256 for LFS
//!   files, the git blob sha1 for regular ones) and removes it from the cache on mismatch;
//! * time limits: hf-hub's HTTP client has no timeouts, so each download runs on a worker
//!   thread watched against a deadline and a minimum rate ([`DownloadLimits`]) and is
//!   abandoned with an error naming the limit when a server stalls or trickles;
//! * one-line errors naming the repo, the file, the URL or the cache folder ([`HubError`]).

#![warn(missing_docs)]

mod error;
mod hub;
mod resolve;
mod settings;
mod source;
mod verify;

pub use error::HubError;
pub use hbt_download::DownloadLimits;
pub use resolve::{resolve, DownloadEvent, ModelWeights, ResolvedModel, MODEL_FILES};
pub use settings::{HubSettings, DEFAULT_ENDPOINT};
pub use source::ModelSource;
