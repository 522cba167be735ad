//! `hbt encode` as a library call: a user's own texts (JSONL, Parquet or one per line)
//! embedded by any model hbt loads (a trained run's folder, a hub id, a 4-bit file) into a
//! Parquet file of ids and vectors ([`hbt_data::user_texts`]), so that a trained retriever is
//! usable outside hbt's tasks.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use burn::tensor::backend::Backend;
use hbt_data::user_texts::{read_texts, write_embeddings, TextFields};
use hbt_model::encode_with_progress;
use hbt_schema::{BackendKind, TextRole};

use crate::dispatch::on_backend;
use crate::experiment::check_backend;
use crate::locations::Locations;
use crate::pretrained::{self, SettingOverrides};
use crate::progress::{EtaNotes, Progress, StageLog};

/// What to embed, with which model, and where the vectors go.
#[derive(Debug, Clone)]
pub struct EncodeRequest {
    /// The model, as `hbt eval --checkpoint` takes it.
    pub model: String,
    /// The input file.
    pub input: PathBuf,
    /// Fields of a JSONL / Parquet input.
    pub fields: TextFields,
    /// The output Parquet file.
    pub output: PathBuf,
    /// Whether the texts are queries or passages (which prefix they get).
    pub role: TextRole,
    /// Embedding settings given as flags (the others as the model records them).
    pub settings: SettingOverrides,
    /// Longest input in tokens (default: the model's positions, at most 512).
    pub max_len: Option<usize>,
    /// Texts per encoding batch.
    pub batch_size: usize,
    /// The compute backend.
    pub backend: BackendKind,
}

/// What [`run`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeSummary {
    /// Texts embedded.
    pub texts: usize,
    /// Width of each vector.
    pub dimension: usize,
    /// Seconds spent encoding (tokenizing and the forward passes).
    pub seconds: f64,
}

/// Embeds the texts of `request.input` into `request.output`.
pub fn run(
    request: &EncodeRequest,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<EncodeSummary> {
    check_backend(request.backend).context("--backend")?;
    on_backend!(request.backend, run_on(request, locations, progress))
}

fn run_on<B: Backend>(
    request: &EncodeRequest,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<EncodeSummary> {
    let records = read_texts(&request.input, &request.fields).context("--input")?;
    let device = B::Device::default();
    let model = pretrained::load::<B>(
        &request.model,
        &request.settings,
        request.max_len,
        locations,
        &device,
        progress,
    )
    .context("--model")?;
    let log = StageLog::start(
        progress,
        "encode",
        &format!(
            "{} texts as {}s ({})",
            records.len(),
            request.role,
            request.input.display()
        ),
    );
    let started = Instant::now();
    let ids = records
        .iter()
        .map(|r| model.tokenizer.encode_as(request.role, &r.text))
        .collect::<Result<Vec<_>, _>>()?;
    let mut notes = EtaNotes::new(&log, "encoding");
    let vectors = encode_with_progress(
        &model.encoder,
        &ids,
        request.batch_size,
        &device,
        &mut |p| {
            notes.update(
                &format!("{}/{} texts", p.sequences_done, p.sequences),
                p.tokens_done as f64 / p.tokens.max(1) as f64,
            )
        },
    )?;
    let seconds = started.elapsed().as_secs_f64();
    let names: Vec<String> = records.into_iter().map(|r| r.id).collect();
    write_embeddings(&request.output, &names, &vectors).context("--output")?;
    Ok(EncodeSummary {
        texts: names.len(),
        dimension: vectors.first().map_or(0, Vec::len),
        seconds,
    })
}
