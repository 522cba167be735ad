//! `hbt eval` as a library call: evaluate a model (a Hugging Face folder such as
//! `results/NAME/checkpoints/RUN/final/`, a hub id or a 4-bit file; see [`crate::pretrained`])
//! or BM25 on evaluation tasks, writing the results files of a run folder.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::tensor::backend::Backend;
use hbt_data::Lang;
use hbt_eval::SearchOptions;
use hbt_schema::{BackendKind, ModelKind, SentenceSource};

use crate::dispatch::on_backend;
use crate::experiment::check_backend;
use crate::locations::Locations;
use crate::pretrained::{self, SettingOverrides};
use crate::progress::Progress;
use crate::stages::data::load_eval_task;
use crate::stages::eval::{run as evaluate, EvalJob, EvalSettings, Ranker};

/// The model `hbt eval` evaluates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavedModel {
    /// BM25 (no model).
    Bm25,
    /// An encoder as the user names it: a Hugging Face folder, a hub id or `q4:FILE`.
    Encoder(String),
}

/// What to evaluate, how, and where the results go.
#[derive(Debug, Clone)]
pub struct EvalRequest {
    /// The model.
    pub model: SavedModel,
    /// Evaluation tasks (dataset names or paths).
    pub tasks: Vec<String>,
    /// Languages the model was trained on (the others are reported as zero-shot).
    pub train_languages: Vec<Lang>,
    /// The compute backend.
    pub backend: BackendKind,
    /// Embedding settings given as flags (the others as the model records them).
    pub settings: SettingOverrides,
    /// Longest sequence in tokens (default: the model's positions, at most 512).
    pub max_len: Option<usize>,
    /// Sequences per encoding batch.
    pub batch_size: usize,
    /// TREC run depth; `None`: no TREC files.
    pub trec_depth: Option<usize>,
    /// Candidates are sentence plus paragraph.
    pub candidate_context: bool,
    /// The results folder (default: `eval/` inside a local model folder; required for BM25,
    /// hub ids and 4-bit files).
    pub out: Option<PathBuf>,
}

/// Evaluates `request` and returns the folder the results were written to.
pub fn run(
    request: &EvalRequest,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<PathBuf> {
    check_backend(request.backend).context("--backend")?;
    on_backend!(request.backend, run_on(request, locations, progress))
}

fn run_on<B: Backend>(
    request: &EvalRequest,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<PathBuf> {
    let device = B::Device::default();
    let mut tasks = Vec::new();
    for name in &request.tasks {
        let (task, _) =
            load_eval_task(name, SentenceSource::ShippedOrSplitter, locations, progress)
                .with_context(|| format!("--task {name}"))?;
        tasks.push((name.clone(), task));
    }
    let settings = EvalSettings {
        batch_size: request.batch_size,
        search: SearchOptions {
            block_size: 256,
            top_k: request.trec_depth.unwrap_or(0),
        },
        trec: request.trec_depth.is_some(),
        candidate_context: request.candidate_context,
    };
    let loaded = match &request.model {
        SavedModel::Bm25 => None,
        SavedModel::Encoder(text) => Some(
            pretrained::load::<B>(
                text,
                &request.settings,
                request.max_len,
                locations,
                &device,
                progress,
            )
            .context("--checkpoint")?,
        ),
    };
    let out = match (&request.out, &request.model) {
        (Some(out), _) => out.clone(),
        (None, SavedModel::Bm25) => bail!("--out: name a folder for the BM25 results"),
        (None, SavedModel::Encoder(text)) if Path::new(text).is_dir() => {
            Path::new(text).join("eval")
        }
        (None, SavedModel::Encoder(text)) => {
            bail!("--out: name a folder for the results of {text} (only a local model folder has a default)")
        }
    };
    crate::folders::create_folder(&out)?;
    let job = EvalJob {
        tasks: &tasks,
        train_languages: &request.train_languages,
        kind: ModelKind::Bm25,
        out: &out,
    };
    match &loaded {
        None => evaluate::<B>(&job, &Ranker::Bm25, &settings, &device, progress)?,
        Some(loaded) => {
            let ranker = Ranker::Dense {
                model: &loaded.encoder,
                tokenizer: &loaded.tokenizer,
            };
            let job = EvalJob {
                kind: loaded.kind,
                ..job
            };
            evaluate(&job, &ranker, &settings, &device, progress)?;
        }
    }
    Ok(out)
}
