//! `hbt bench encode|train|eval`: the benchmarks of `hbt_bench`, their table on stdout and,
//! with `--json`, their report as a file.

use std::path::Path;

use anyhow::{Context, Result};
use hbt_bench::{EncodeOptions, EvalOptions, TrainOptions};
use hbt_pipeline::{Locations, Progress};

use crate::cli::{BenchCommand, BenchEncodeArgs, BenchEvalArgs, BenchTrainArgs};
use crate::progress::Terminal;

/// Runs one `hbt bench` subcommand.
pub fn run(command: BenchCommand, locations: &Locations) -> Result<()> {
    let terminal = Terminal::new();
    match command {
        BenchCommand::Encode(args) => {
            let report = hbt_bench::encode::run(&encode_options(&args), locations, &terminal)?;
            print!("{report}");
            written(&terminal, args.json.as_deref(), |p| report.write_json(p))
        }
        BenchCommand::Train(args) => {
            let report = hbt_bench::train::run(&train_options(&args), locations, &terminal)?;
            print!("{report}");
            written(&terminal, args.json.as_deref(), |p| report.write_json(p))
        }
        BenchCommand::Eval(args) => {
            let report = hbt_bench::eval::run(&eval_options(&args), locations, &terminal)?;
            print!("{report}");
            written(&terminal, args.json.as_deref(), |p| report.write_json(p))
        }
    }
}

/// Writes the `--json` file when one was asked for, and says so.
fn written(
    terminal: &Terminal,
    json: Option<&Path>,
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let Some(path) = json else {
        return Ok(());
    };
    write(path).context("--json")?;
    terminal.line("bench", &format!("wrote {}", path.display()));
    Ok(())
}

fn encode_options(args: &BenchEncodeArgs) -> EncodeOptions {
    EncodeOptions {
        repeats: args.repeats,
        batch_size: args.batch_size,
        limit: args.limit,
        seed: args.seed,
        export: args.export.clone(),
        flex_only: args.flex_only,
        shape: args.shape,
    }
}

fn train_options(args: &BenchTrainArgs) -> TrainOptions {
    TrainOptions {
        backends: args.backend.clone(),
        steps: args.steps,
        warmup: args.warmup,
        repeats: args.repeats,
        length_buckets: args.length_buckets,
        seed: args.seed,
        export: args.export.clone(),
        shape: args.shape,
    }
}

fn eval_options(args: &BenchEvalArgs) -> EvalOptions {
    EvalOptions {
        block: args.block,
        batch_size: args.batch_size,
        seed: args.seed,
        repeats: args.repeats,
        embeddings: args.embeddings.clone(),
        export: args.export.clone(),
    }
}
