//! `hbt eval --checkpoint MODEL --task NAME`: evaluate a saved model or BM25 (see
//! [`hbt_pipeline::evaluate`]) and print the results folder.

use anyhow::Result;
use hbt_pipeline::evaluate::{self, EvalRequest, SavedModel};
use hbt_pipeline::Locations;

use crate::cli::EvalArgs;
use crate::progress::Terminal;

/// Runs `hbt eval`.
pub fn run(args: &EvalArgs, locations: &Locations) -> Result<()> {
    let request = EvalRequest {
        model: match args.checkpoint.as_str() {
            "bm25" => SavedModel::Bm25,
            model => SavedModel::Encoder(model.to_string()),
        },
        tasks: args.tasks.clone(),
        train_languages: args.train_languages.clone(),
        backend: args.backend,
        settings: args.embedding.overrides(),
        max_len: args.max_len,
        batch_size: args.batch_size,
        trec_depth: args.trec.then_some(args.trec_depth),
        candidate_context: args.candidate_context,
        out: args.out.clone(),
    };
    let out = evaluate::run(&request, locations, &Terminal::new())?;
    println!("{}", out.display());
    Ok(())
}
