//! Command-line arguments (clap). Commands are thin drivers over the library crates.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use hbt_bench::BenchShape;
use hbt_pipeline::pretrained::SettingOverrides;
use hbt_schema::{BackendKind, Lang, PoolingMode, TextRole};

/// hbt: train and evaluate multilingual dense retrievers with hybrid batch training.
#[derive(Debug, Parser)]
#[command(name = "hbt", version, about, long_about = None, after_help = EXAMPLES)]
pub struct Cli {
    /// Where to find the data.
    #[command(flatten)]
    pub locations: LocationFlags,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "\
Examples:
  hbt experiment smoke                 run experiments/smoke.toml, results in results/smoke/
  hbt experiment my.toml --check       validate an experiment file without running it
  hbt data fetch xquad-r               download XQuAD-R and verify its sha256 sums
  hbt data stats mlqa-r                questions and candidates per language, group coverage
  hbt data inspect xquad-r --lang de   show questions with their answer sentences
  hbt bench encode                     encode throughput on burn-flex and burn-ndarray";

/// Folders hbt reads and writes. Each flag beats its environment variable.
#[derive(Debug, Args)]
pub struct LocationFlags {
    /// Data folder holding xquad-r/, mlqa-r/ ... [env: HBT_DATA_DIR; default: ./datasets]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Results folder [env: HBT_RESULTS_DIR; default: ./results]
    #[arg(long, global = true, value_name = "DIR")]
    pub results_dir: Option<PathBuf>,
    /// Never download: missing data is an error naming the folder to provide [env: HBT_OFFLINE=1]
    #[arg(long, global = true)]
    pub offline: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every stage of an experiment (one run per sweep point) into results/NAME/RUN/.
    #[command(after_help = "\
Examples:
  hbt experiment smoke                 experiments/smoke.toml
  hbt experiment path/to/study.toml    any experiment file
  hbt experiment smoke --check         validate only; print the runs it would make
  hbt experiment smoke --resume        continue interrupted runs from their newest checkpoint")]
    Experiment(ExperimentArgs),
    /// Run the data and train stages of an experiment (no evaluation).
    #[command(after_help = "\
Examples:
  hbt train smoke
  hbt train smoke --resume             continue from the newest checkpoint of each run")]
    Train(ExperimentArgs),
    /// Evaluate a model (Hugging Face folder, hub id or q4:FILE) or BM25 on evaluation tasks.
    #[command(after_help = "\
Examples:
  hbt eval --checkpoint results/smoke/checkpoints/strategy-hybrid/final --task xquad-r
  hbt eval --checkpoint bm25 --task mlqa-r --out results/bm25-mlqa --trec")]
    Eval(EvalArgs),
    /// Embed your own texts (JSONL, Parquet or one per line) into a Parquet file of ids and
    /// vectors, with any model hbt loads.
    #[command(after_help = "\
Examples:
  hbt encode --model results/smoke/checkpoints/strategy-hybrid/final --input docs.jsonl --output docs.parquet
  hbt encode --model q4:../shared/models/multilingual-e5-small-q4/e5-small-q4.bin --pooling mean \\
      --query-prefix 'query: ' --passage-prefix 'passage: ' --prefix query --input questions.txt --output q.parquet
  hbt encode --model intfloat/multilingual-e5-small --input docs.parquet --text-field body --output d.parquet")]
    Encode(EncodeArgs),
    /// Work with model files.
    #[command(subcommand)]
    Model(ModelCommand),
    /// Tables, figures and report.md of experiments, from their results folders alone.
    #[command(
        after_help = "Examples:\n  hbt report smoke\n  hbt report study-mlqa-to-xquad alpha-sweep --no-figures"
    )]
    Report(ReportArgs),
    /// Per-metric differences between two runs (or two strategies over seeds) with paired
    /// significance tests over queries.
    #[command(after_help = "\
Examples:
  hbt compare smoke/strategy-mono smoke/strategy-hybrid
  hbt compare --experiment study-mlqa-to-xquad mono hybrid --json cmp.json")]
    Compare(CompareArgs),
    /// Inspect, check and download datasets.
    #[command(subcommand)]
    Data(DataCommand),
    /// Measure performance (not a test: prints timings).
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// Arguments of `hbt experiment`.
#[derive(Debug, Args)]
pub struct ExperimentArgs {
    /// Experiment name (experiments/NAME.toml) or path to a TOML file.
    pub name: String,
    /// Validate the file and list its runs without running anything.
    #[arg(long)]
    pub check: bool,
    /// Continue each run from its newest checkpoint (optimizer, schedule and sampler position
    /// restored); runs without a checkpoint start from scratch; runs already finished with the
    /// same settings are skipped.
    #[arg(long, conflicts_with = "check")]
    pub resume: bool,
    /// Run even when a run's memory estimate (weights, gradients, AdamW moments and
    /// activations of one batch) exceeds the memory this machine has available.
    #[arg(long)]
    pub skip_memory_check: bool,
    /// Only these runs (comma-separated names as `--check` lists them, or reference rows such
    /// as `bm25`, `pretrained`); the report still covers every finished run.
    #[arg(long, value_delimiter = ',', value_name = "RUN,RUN")]
    pub runs: Vec<String>,
    /// Machines (processes) training each run together, data-parallel; start the same command
    /// on each with its own `--node-rank`. Node 0 serves the coordinator, keeps the results,
    /// evaluates and reports.
    #[arg(long, value_name = "N", requires_all = ["node_rank", "coordinator"])]
    pub nodes: Option<usize>,
    /// This machine's rank among `--nodes`, from 0.
    #[arg(long, value_name = "R", requires = "nodes")]
    pub node_rank: Option<usize>,
    /// HOST:PORT of node 0's coordinator (burn-collective's global orchestrator).
    #[arg(long, value_name = "HOST:PORT", requires = "nodes")]
    pub coordinator: Option<String>,
    /// HOST:PORT where this node serves its tensors to the others [default: the
    /// coordinator's host, port + 1 + rank].
    #[arg(long, value_name = "HOST:PORT", requires = "nodes")]
    pub node_address: Option<String>,
    /// Seconds a node waits for the others at one exchange before it stops with an error
    /// naming the checkpoint to resume from (a node that stopped never answers). Must exceed
    /// node 0's dev measurement and checkpoint writing, which the other nodes wait for.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 600.0,
        requires = "nodes"
    )]
    pub node_timeout: f64,
}

/// Arguments of `hbt report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Experiment names (results/NAME) or paths to experiment results folders.
    #[arg(required = true)]
    pub experiments: Vec<String>,
    /// Write tables only.
    #[arg(long)]
    pub no_figures: bool,
}

/// Arguments of `hbt compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Run A: a run folder or EXPERIMENT/RUN (with --experiment: a strategy or group name).
    pub a: String,
    /// Run B, compared as B − A.
    pub b: String,
    /// Compare groups of runs (strategies over seeds) of this experiment.
    #[arg(long, value_name = "NAME")]
    pub experiment: Option<String>,
    /// Bootstrap resamples and permutation-test sign flips.
    #[arg(long, default_value_t = 10_000, value_parser = positive())]
    pub resamples: usize,
    /// Seed of the resampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Settings to test (mono, cross, multi, ...); all when absent.
    #[arg(long = "setting", value_name = "SETTING")]
    pub settings: Vec<String>,
    /// Also write the comparison as JSON.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

/// Arguments of `hbt eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The model: a Hugging Face folder (config.json, model.safetensors, tokenizer.json), a
    /// hub id ORG/NAME[@REVISION], q4:FILE (4-bit E5S1 weights, tokenizer.json beside), or `bm25`.
    #[arg(long, value_name = "MODEL")]
    pub checkpoint: String,
    /// Evaluation task: a dataset name or path (repeat for several).
    #[arg(long = "task", value_name = "NAME", required = true)]
    pub tasks: Vec<String>,
    /// Folder for metrics.json, per_query.parquet and trec/ (default: CHECKPOINT/eval for a
    /// local folder; required otherwise).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write TREC run files (top 100) and qrels.
    #[arg(long)]
    pub trec: bool,
    /// Hits per query in the TREC runs (use the pool size for full rankings, e.g. to check
    /// mAP with trec_eval).
    #[arg(long, default_value_t = 100, value_parser = positive())]
    pub trec_depth: usize,
    /// Compute backend: flex, ndarray or cuda.
    #[arg(long, default_value = "flex")]
    pub backend: BackendKind,
    /// Sequences per encoding batch.
    #[arg(long, default_value_t = 128, value_parser = positive())]
    pub batch_size: usize,
    /// Truncate inputs to this many tokens (default: the model's limit, at most 512).
    #[arg(long, value_parser = positive())]
    pub max_len: Option<usize>,
    /// How the model embeds text.
    #[command(flatten)]
    pub embedding: EmbeddingFlags,
    /// Languages seen in training, to mark the others zero-shot.
    #[arg(long, value_delimiter = ',', value_name = "XX,YY")]
    pub train_languages: Vec<Lang>,
    /// Encode candidates as sentence plus paragraph.
    #[arg(long)]
    pub candidate_context: bool,
}

/// Arguments of `hbt encode`.
#[derive(Debug, Args)]
pub struct EncodeArgs {
    /// The model: a Hugging Face folder, a hub id ORG/NAME[@REVISION], or q4:FILE.
    #[arg(long, value_name = "MODEL")]
    pub model: String,
    /// The texts: .jsonl (objects with a text field), .parquet (a text column), or any other
    /// file with one text per line.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// The Parquet file to write (columns `id`, `embedding`).
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
    /// The texts are queries or passages (selects the prefix).
    #[arg(long, default_value = "passage")]
    pub prefix: TextRole,
    /// Field holding the text in JSONL / Parquet input.
    #[arg(long, default_value = "text", value_name = "NAME")]
    pub text_field: String,
    /// Field holding the id in JSONL / Parquet input (absent: the line or row number).
    #[arg(long, default_value = "id", value_name = "NAME")]
    pub id_field: String,
    /// Texts per encoding batch.
    #[arg(long, default_value_t = 64, value_parser = positive())]
    pub batch_size: usize,
    /// Truncate inputs to this many tokens (default: the model's limit, at most 512).
    #[arg(long, value_parser = positive())]
    pub max_len: Option<usize>,
    /// Compute backend: flex, ndarray or cuda.
    #[arg(long, default_value = "flex")]
    pub backend: BackendKind,
    /// How the model embeds text.
    #[command(flatten)]
    pub embedding: EmbeddingFlags,
}

/// `hbt model ...` subcommands.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Write a model (hub id, q4:FILE or folder) as a Hugging Face folder (config.json,
    /// model.safetensors, tokenizer.json) that `transformers.AutoModel` loads.
    #[command(after_help = "\
Examples:
  hbt model convert q4:../shared/models/multilingual-e5-small-q4/e5-small-q4.bin e5-small-f32/")]
    Convert(ConvertArgs),
}

/// Arguments of `hbt model convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The model to convert.
    #[arg(value_name = "MODEL")]
    pub model: String,
    /// The folder to write (must not exist, or be empty).
    #[arg(value_name = "DIR")]
    pub out: PathBuf,
    /// How the model embeds text (recorded in config.json).
    #[command(flatten)]
    pub embedding: EmbeddingFlags,
}

/// How a model embeds text. A flag given wins; else what the model folder records (hbt's
/// saved models record all of these); else mean pooling, normalised, no prefixes.
#[derive(Debug, Args)]
pub struct EmbeddingFlags {
    /// Sentence pooling: cls, mean or pooler.
    #[arg(long)]
    pub pooling: Option<PoolingMode>,
    /// Score with dot products of the pooled embeddings instead of cosine similarities.
    #[arg(long)]
    pub no_normalize: bool,
    /// Text put before every query, e.g. "query: " for E5 models.
    #[arg(long, value_name = "TEXT")]
    pub query_prefix: Option<String>,
    /// Text put before every passage (candidate), e.g. "passage: " for E5 models.
    #[arg(long, value_name = "TEXT")]
    pub passage_prefix: Option<String>,
}

impl EmbeddingFlags {
    /// The settings these flags fix.
    pub fn overrides(&self) -> SettingOverrides {
        SettingOverrides {
            pooling: self.pooling,
            normalize: self.no_normalize.then_some(false),
            query_prefix: self.query_prefix.clone(),
            passage_prefix: self.passage_prefix.clone(),
        }
    }
}

/// `hbt data ...` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Questions and candidates per language and parallel-group coverage of a dataset.
    #[command(after_help = "Examples:\n  hbt data stats xquad-r\n  hbt data stats mlqa-r --json")]
    Stats {
        /// Dataset name (xquad-r, mlqa-r) or path to a LAReQA-layout folder.
        dataset: String,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Download a dataset, verifying every sha256 sum [env: HBT_DATA_URL overrides the base URL].
    #[command(
        after_help = "Examples:\n  hbt data fetch xquad-r\n  HBT_DATA_URL=http://127.0.0.1:8000 hbt data fetch mlqa-r --data-dir /tmp/d"
    )]
    Fetch {
        /// Dataset name (xquad-r or mlqa-r), or `all`.
        dataset: String,
    },
    /// Show questions of a dataset with their answer sentences in every language.
    #[command(
        after_help = "Examples:\n  hbt data inspect xquad-r --limit 2\n  hbt data inspect mlqa-r --lang hi --limit 5"
    )]
    Inspect {
        /// Dataset name or path to a LAReQA-layout folder.
        dataset: String,
        /// Only groups that exist in this language.
        #[arg(long)]
        lang: Option<Lang>,
        /// How many groups to show.
        #[arg(long, default_value_t = 3)]
        limit: usize,
    },
    /// How often the built-in sentence splitter reproduces the shipped sentence breaks.
    #[command(after_help = "Examples:\n  hbt data split-check xquad-r")]
    SplitCheck {
        /// Dataset name or path to a LAReQA-layout folder.
        dataset: String,
    },
}

/// `hbt bench ...` subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Encode throughput (sentences/s) of a from-scratch 4-layer, 256-wide XLM-R-family
    /// encoder on the XQuAD-R English candidates, on burn-flex and burn-ndarray.
    #[command(after_help = "\
Examples:
  hbt bench encode                            1180 sentences, 1 warm-up + 3 timed passes
  hbt bench encode --repeats 5 --json b.json  also write the results as JSON
  hbt bench encode --limit 16 --repeats 1     a quick check on the first 16 sentences")]
    Encode(BenchEncodeArgs),
    /// Time and peak memory of a full XQuAD-R evaluation with a 256-wide encoder, split into
    /// encoding and search + metrics, beside a plain matrix product of the same size.
    #[command(
        after_help = "Examples:\n  hbt bench eval\n  hbt bench eval --block 512 --json eval.json"
    )]
    Eval(BenchEvalArgs),
    /// Training throughput (steps/s, tokens/s, GFLOP/s against the GEMM peak) of a 4-layer,
    /// 256-wide encoder on batches of 64 XQuAD-R pairs, on burn-flex and burn-ndarray.
    #[command(after_help = "\
Examples:
  hbt bench train                          8 batches, 2 warm-up steps + 3 timed passes
  hbt bench train --backend flex --json t.json
  hbt bench train --export /tmp/tb         also write weights + token ids for PyTorch")]
    Train(BenchTrainArgs),
}

/// Arguments of `hbt bench train`.
#[derive(Debug, Args)]
pub struct BenchTrainArgs {
    /// Backends to measure, in order (flex, ndarray).
    #[arg(long, value_delimiter = ',', default_value = "flex,ndarray")]
    pub backend: Vec<BackendKind>,
    /// Distinct batches per timed pass.
    #[arg(long, default_value_t = 8, value_parser = positive())]
    pub steps: usize,
    /// Untimed steps before the timed passes.
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Timed passes over all batches.
    #[arg(long, default_value_t = 3, value_parser = positive())]
    pub repeats: usize,
    /// Forward passes per batch side over sequences of similar length (1: one padded batch).
    #[arg(long, default_value_t = 1, value_parser = positive())]
    pub length_buckets: usize,
    /// Seed of the pair shuffle, the initialisation and dropout.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also write the results as JSON.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the initial weights (Hugging Face folder) and the token ids for the PyTorch
    /// reference into DIR.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// Encoder sizes: small (4 × 256, 64 pairs per batch) or e5-small (multilingual-e5-small's
    /// 12 × 384 with a 250,002-row word table, 32 pairs per batch).
    #[arg(long, default_value = "small")]
    pub shape: BenchShape,
}

/// Arguments of `hbt bench eval`.
#[derive(Debug, Args)]
pub struct BenchEvalArgs {
    /// Queries per search block.
    #[arg(long, default_value_t = 256, value_parser = positive())]
    pub block: usize,
    /// Sequences per encoding batch.
    #[arg(long, default_value_t = 128, value_parser = positive())]
    pub batch_size: usize,
    /// Seed of the encoder's initialisation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Timed runs of each search phase.
    #[arg(long, default_value_t = 3, value_parser = positive())]
    pub repeats: usize,
    /// Read the embeddings from DIR (written by `--export`) instead of encoding.
    #[arg(long, value_name = "DIR")]
    pub embeddings: Option<PathBuf>,
    /// Write the embeddings into DIR for `scripts/bench/torch_bench.py search DIR`.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// Also write the results as JSON.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

/// Arguments of `hbt bench encode`.
#[derive(Debug, Args)]
pub struct BenchEncodeArgs {
    /// Timed passes per backend, after one untimed warm-up pass.
    #[arg(long, default_value_t = 3, value_parser = positive())]
    pub repeats: usize,
    /// Sentences per encoder batch.
    #[arg(long, default_value_t = 64, value_parser = positive())]
    pub batch_size: usize,
    /// Encode only the first N sentences (the tokenizer is still trained on all of them).
    #[arg(long, value_name = "N", value_parser = positive())]
    pub limit: Option<usize>,
    /// Seed of the encoder's from-scratch initialisation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Write the encoder (Hugging Face folder), the token ids and flex's embeddings into DIR
    /// for `scripts/bench/torch_bench.py encode DIR`.
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// Measure burn-flex only (skip burn-ndarray).
    #[arg(long)]
    pub flex_only: bool,
    /// Encoder sizes: small (4 × 256) or e5-small (multilingual-e5-small's 12 × 384 with a
    /// 250,002-row word table).
    #[arg(long, default_value = "small")]
    pub shape: BenchShape,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

/// A parser for counts that must be at least 1.
fn positive() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}
