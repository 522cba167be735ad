//! `hbt eval --checkpoint DIR --task NAME`: evaluate a saved model (a Hugging Face folder such
//! as `results/NAME/checkpoints/RUN/final/`) or BM25 on evaluation tasks, writing the results
//! files of a run folder.

use std::path::Path;

use anyhow::{bail, Context, Result};
use burn::tensor::backend::Backend;
use hbt_data::squad::SentenceSource;
use hbt_data::tokenize::TextTokenizer;
use hbt_data::Lang;
use hbt_eval::SearchOptions;
use hbt_model::backend::{BackendKind, FlexBackend, NdArrayBackend};
use hbt_model::{load_hf_dir, PoolingMode};

use crate::cli::EvalArgs;
use crate::locations::Locations;
use crate::stages::data::load_eval_task;
use crate::stages::eval::{run as evaluate, EvalSettings, Ranker};
use crate::stages::model::pooling_mode;

/// Runs `hbt eval`.
pub fn run(args: &EvalArgs, locations: &Locations) -> Result<()> {
    let backend = super::experiment::compiled_backend(&args.backend).context("--backend")?;
    match backend {
        BackendKind::Flex => run_on::<FlexBackend>(args, locations),
        BackendKind::NdArray => run_on::<NdArrayBackend>(args, locations),
        #[cfg(feature = "cuda")]
        BackendKind::Cuda => run_on::<hbt_model::backend::CudaBackend>(args, locations),
        #[cfg(not(feature = "cuda"))]
        BackendKind::Cuda => unreachable!("checked above"),
    }
}

/// The pooling stored by hbt in an exported config.json (`hbt_pooling`), else `--pooling`.
fn pooling(dir: &Path, flag: &str) -> Result<PoolingMode> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    let name = value["hbt_pooling"].as_str().unwrap_or(flag);
    match pooling_mode(name) {
        Some(mode) => Ok(mode),
        None => bail!("--pooling: unknown pooling `{name}` (expected cls, mean or pooler)"),
    }
}

fn run_on<B: Backend>(args: &EvalArgs, locations: &Locations) -> Result<()> {
    let device = B::Device::default();
    let mut tasks = Vec::new();
    for name in &args.tasks {
        let (task, _) = load_eval_task(name, SentenceSource::ShippedOrSplitter, locations)
            .with_context(|| format!("--task {name}"))?;
        tasks.push((name.clone(), task));
    }
    let train_languages: Vec<Lang> = args
        .train_languages
        .iter()
        .map(|c| Lang::parse(c))
        .collect::<Result<_, _>>()
        .context("--train-languages")?;
    let settings = EvalSettings {
        batch_size: args.batch_size,
        search: SearchOptions {
            block_size: 256,
            top_k: if args.trec { args.trec_depth } else { 0 },
        },
        trec: args.trec,
        candidate_context: args.candidate_context,
    };
    let out = match (&args.out, args.checkpoint.as_str()) {
        (Some(out), _) => out.clone(),
        (None, "bm25") => bail!("--out: name a folder for the BM25 results"),
        (None, dir) => Path::new(dir).join("eval"),
    };
    std::fs::create_dir_all(&out).with_context(|| format!("{}: cannot create", out.display()))?;
    if args.checkpoint == "bm25" {
        evaluate::<B>(
            &tasks,
            &train_languages,
            &Ranker::Bm25,
            false,
            &settings,
            &out,
            &device,
        )?;
    } else {
        let dir = Path::new(&args.checkpoint);
        let model = load_hf_dir::<B>(dir, pooling(dir, &args.pooling)?, true, &device)
            .context("--checkpoint")?;
        let max_len = args
            .max_len
            .unwrap_or_else(|| model.config().max_sequence_length().min(512));
        let tokenizer =
            TextTokenizer::load(&dir.join("tokenizer.json"), max_len).context("--checkpoint")?;
        let ranker = Ranker::Dense {
            model: &model,
            tokenizer: &tokenizer,
        };
        evaluate(
            &tasks,
            &train_languages,
            &ranker,
            false,
            &settings,
            &out,
            &device,
        )?;
    }
    println!("{}", out.display());
    Ok(())
}
