//! `hbt eval` as a library call: evaluate a saved model (a Hugging Face folder such as
//! `results/NAME/checkpoints/RUN/final/`) or BM25 on evaluation tasks, writing the results
//! files of a run folder.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::tensor::backend::Backend;
use hbt_data::tokenize::TextTokenizer;
use hbt_data::Lang;
use hbt_eval::SearchOptions;
use hbt_model::backend::{FlexBackend, NdArrayBackend};
use hbt_model::{load_hf_dir, EncoderConfig};
use hbt_schema::{BackendKind, ModelKind, PoolingMode, SentenceSource};

use crate::experiment::check_backend;
use crate::locations::Locations;
use crate::progress::Progress;
use crate::stages::data::load_eval_task;
use crate::stages::eval::{run as evaluate, EvalJob, EvalSettings, Ranker};

/// The model `hbt eval` evaluates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavedModel {
    /// BM25 (no model).
    Bm25,
    /// A Hugging Face folder with `config.json`, `model.safetensors` and `tokenizer.json`.
    Folder(PathBuf),
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
    /// Pooling for folders whose `config.json` does not record hbt's (`hbt_pooling`).
    pub pooling: PoolingMode,
    /// Longest sequence in tokens (default: the model's positions, at most 512).
    pub max_len: Option<usize>,
    /// Sequences per encoding batch.
    pub batch_size: usize,
    /// TREC run depth; `None`: no TREC files.
    pub trec_depth: Option<usize>,
    /// Candidates are sentence plus paragraph.
    pub candidate_context: bool,
    /// The results folder (default: `eval/` inside the model folder; required for BM25).
    pub out: Option<PathBuf>,
}

/// Evaluates `request` and returns the folder the results were written to.
pub fn run(
    request: &EvalRequest,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<PathBuf> {
    check_backend(request.backend).context("--backend")?;
    match request.backend {
        BackendKind::Flex => run_on::<FlexBackend>(request, locations, progress),
        BackendKind::NdArray => run_on::<NdArrayBackend>(request, locations, progress),
        #[cfg(feature = "cuda")]
        BackendKind::Cuda => {
            run_on::<hbt_model::backend::CudaBackend>(request, locations, progress)
        }
        #[cfg(not(feature = "cuda"))]
        BackendKind::Cuda => unreachable!("checked above"),
    }
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
    let out = match (&request.out, &request.model) {
        (Some(out), _) => out.clone(),
        (None, SavedModel::Bm25) => bail!("--out: name a folder for the BM25 results"),
        (None, SavedModel::Folder(dir)) => dir.join("eval"),
    };
    std::fs::create_dir_all(&out).with_context(|| format!("{}: cannot create", out.display()))?;
    let job = EvalJob {
        tasks: &tasks,
        train_languages: &request.train_languages,
        kind: ModelKind::Trained,
        out: &out,
    };
    match &request.model {
        SavedModel::Bm25 => {
            let job = EvalJob {
                kind: ModelKind::Bm25,
                ..job
            };
            evaluate::<B>(&job, &Ranker::Bm25, &settings, &device, progress)?;
        }
        SavedModel::Folder(dir) => {
            let (model, tokenizer) = load_folder::<B>(dir, request, &device)?;
            let ranker = Ranker::Dense {
                model: &model,
                tokenizer: &tokenizer,
            };
            evaluate(&job, &ranker, &settings, &device, progress)?;
        }
    }
    Ok(out)
}

/// The encoder and tokenizer of a saved folder; hbt's own settings recorded in its
/// `config.json` (`hbt_pooling`, `hbt_normalize`) win over the request's pooling.
fn load_folder<B: Backend>(
    dir: &Path,
    request: &EvalRequest,
    device: &B::Device,
) -> Result<(hbt_model::Encoder<B>, TextTokenizer)> {
    let saved = EncoderConfig::saved_embedding_settings(&dir.join("config.json"))
        .context("--checkpoint")?;
    let pooling = saved.pooling.unwrap_or(request.pooling);
    let normalize = saved.normalize.unwrap_or(true);
    let model = load_hf_dir::<B>(dir, pooling, normalize, device).context("--checkpoint")?;
    let max_len = request
        .max_len
        .unwrap_or_else(|| model.config().max_sequence_length().min(512));
    let tokenizer =
        TextTokenizer::load(&dir.join("tokenizer.json"), max_len).context("--checkpoint")?;
    Ok((model, tokenizer))
}
