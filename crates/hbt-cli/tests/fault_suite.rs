//! The fault suite: a catalogue of bad inputs and faults run against the `hbt` binary, each
//! required to end cleanly: a non-zero exit within a time limit, no panic, exactly one
//! `error:` line naming the culprit, and no staging, temporary or unfinished result left in
//! the results folder. It prints its count (`fault suite: N cases, N handled cleanly`) and
//! fails listing every case that was not handled cleanly.
//!
//! Families: configuration syntax, unknown keys, wrong types, out-of-range values, sweeps,
//! training and evaluation data files, command-line flags, models (folders, 4-bit files, hub
//! ids offline), results folders (report, compare), and environment variables. Cases that
//! need a process of their own (a second writer, a named pipe, a full disk, a trickling
//! server, a damaged checkpoint) are in `bad_input.rs`, `disk_full.rs`, `fetch_cli.rs` and
//! `train_resume.rs`.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{tiny_experiment, Scratch};

/// Longest time one case may take before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(60);

/// One bad input: files to write (relative to the scratch folder), the command line, extra
/// environment variables, and the text the error line must contain.
struct Case {
    name: String,
    files: Vec<(String, Vec<u8>)>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    culprit: String,
}

impl Case {
    fn new(name: impl Into<String>, args: &[&str], culprit: impl Into<String>) -> Case {
        Case {
            name: name.into(),
            files: Vec::new(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: Vec::new(),
            culprit: culprit.into(),
        }
    }

    fn file(mut self, path: &str, content: impl Into<Vec<u8>>) -> Case {
        self.files.push((path.to_string(), content.into()));
        self
    }

    fn env(mut self, name: &str, value: &str) -> Case {
        self.env.push((name.to_string(), value.to_string()));
        self
    }
}

/// The tiny experiment with `section.key` (or a top-level `key` when `section` is empty) set
/// to the TOML value `value`.
fn tiny_with(section: &str, key: &str, value: &str) -> String {
    let mut table: toml::Table = tiny_experiment("").parse().unwrap();
    let parsed: toml::Table = format!("v = {value}").parse().unwrap();
    let value = parsed["v"].clone();
    let target = if section.is_empty() {
        &mut table
    } else {
        table
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .unwrap()
    };
    target.insert(key.to_string(), value);
    toml::to_string(&table).unwrap()
}

/// Running `hbt experiment NAME` on the experiment file `text`.
fn experiment(name: &str, text: &str, culprit: &str) -> Case {
    let id = experiment_id(name);
    Case::new(name, &["experiment", &id], culprit).file(&format!("experiments/{id}.toml"), text)
}

/// An experiment name from a case name: lowercase letters, digits and `-`.
fn experiment_id(name: &str) -> String {
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    id.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

fn config_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    // Syntax.
    for (what, text) in [
        ("unclosed table header", "[train\nsteps = 3\n"),
        ("unterminated string", "description = \"never ends\n"),
        ("unclosed array", "seed = [1,\n"),
        ("duplicate key", "seed = 1\nseed = 2\n"),
        (
            "duplicate table",
            "[train]\nsteps = 1\n[train]\nsteps = 2\n",
        ),
        ("bare word value", "description = hello\n"),
        ("invalid escape", "description = \"\\q\"\n"),
        ("key without value", "seed =\n"),
        ("binary garbage", "\u{0}\u{1}\u{2}\u{fffd}PK\u{3}\u{4}"),
    ] {
        cases.push(experiment(
            &format!("toml {what}"),
            text,
            &format!("{}.toml", experiment_id(&format!("toml {what}"))),
        ));
    }
    cases.push(
        experiment("toml not utf-8", "", "toml-not-utf-8.toml").file(
            "experiments/toml-not-utf-8.toml",
            vec![0xff, 0xfe, b's', 0x00],
        ),
    );
    cases.push(experiment("empty experiment file", "", "xquad-r"));
    // Unknown keys, at every level.
    for (section, key) in [
        ("", "sed"),
        ("data", "trian"),
        ("tokenizer", "max_length"),
        ("model", "hidden"),
        ("train", "lr"),
        ("eval", "top_k"),
    ] {
        let name = format!("unknown key {section} {key}");
        cases.push(experiment(&name, &tiny_with(section, key, "1"), key));
    }
    cases.push(experiment(
        "unknown table",
        &format!("{}\n[optimizer]\nname = \"adam\"\n", tiny_experiment("")),
        "optimizer",
    ));
    // Wrong types.
    for (section, key, value) in [
        ("", "seed", "\"three\""),
        ("", "seed", "-1"),
        ("", "description", "[1, 2]"),
        ("", "extends", "3"),
        ("data", "train", "3"),
        ("data", "eval", "{ a = 1 }"),
        ("data", "dev_fraction", "\"a fifth\""),
        ("data", "candidate_context", "\"yes\""),
        ("tokenizer", "max_len", "32.5"),
        ("tokenizer", "vocab_size", "true"),
        ("model", "normalize", "\"yes\""),
        ("model", "layers", "[1]"),
        ("model", "query_prefix", "5"),
        ("train", "steps", "\"ten\""),
        ("train", "batch_size", "3.5"),
        ("train", "strategy", "1"),
        ("train", "symmetric", "0"),
        ("train", "freeze_embeddings", "\"no\""),
        ("train", "devices", "\"cpu\""),
        ("train", "cross_device_negatives", "1"),
        ("train", "precision", "16"),
        ("eval", "trec", "\"no\""),
        ("eval", "references", "\"bm25\""),
    ] {
        let name = format!("wrong type {section} {key} {value}");
        let culprit = if section.is_empty() {
            format!("`{key}`")
        } else {
            format!("{section}.{key}")
        };
        cases.push(experiment(&name, &tiny_with(section, key, value), &culprit));
    }
    // Out of range, NaN and infinity.
    for (section, key, values) in [
        ("data", "dev_fraction", &["0.9", "-0.1", "nan"][..]),
        ("tokenizer", "vocab_size", &["10", "2000000"]),
        ("tokenizer", "max_len", &["4", "100000"]),
        ("train", "alpha", &["1.5", "-0.5", "nan"]),
        ("train", "batch_size", &["0", "1"]),
        ("train", "steps", &["0"]),
        (
            "train",
            "learning_rate",
            &["0.0", "2.0", "-1e-3", "inf", "nan"],
        ),
        ("train", "temperature", &["0.0", "100.0", "-inf"]),
        ("train", "warmup_fraction", &["1.5", "-0.1"]),
        ("train", "weight_decay", &["1.0", "-0.1"]),
        ("train", "max_grad_norm", &["-1.0", "nan"]),
        ("train", "accumulation", &["0", "5000"]),
        ("train", "length_buckets", &["0", "100"]),
        ("train", "checkpoint_every", &["0"]),
        ("train", "mini_batch", &["2000000"]),
        ("model", "layers", &["0", "100"]),
        ("model", "heads", &["0", "3"]),
        ("model", "hidden_size", &["0", "15"]),
        ("model", "intermediate_size", &["0"]),
        ("model", "dropout", &["0.95", "-0.1"]),
        ("eval", "batch_size", &["0"]),
        ("eval", "search_block", &["0"]),
    ] {
        for value in values {
            let name = format!("out of range {section} {key} {value}");
            // heads = 3 breaks the hidden size's divisibility, which names that key.
            let culprit = if key == "heads" && *value == "3" {
                "model.hidden_size".to_string()
            } else {
                format!("{section}.{key}")
            };
            cases.push(experiment(&name, &tiny_with(section, key, value), &culprit));
        }
    }
    // Impossible combinations.
    for (name, section, key, value, culprit) in [
        ("no training source", "data", "train", "[]", "data.train"),
        ("nothing to evaluate", "data", "eval", "[]", "data.eval"),
        (
            "pretrained reference without a pretrained model",
            "eval",
            "references",
            "[\"pretrained\"]",
            "eval.references",
        ),
        (
            "unknown training language",
            "data",
            "train_languages",
            "[\"en\", \"klingon\"]",
            "klingon",
        ),
        (
            "training language absent from the data",
            "data",
            "train_languages",
            "[\"ja\"]",
            "ja",
        ),
        (
            "unknown device",
            "train",
            "devices",
            "[\"cpu\", \"tpu:0\"]",
            "unknown device `tpu:0`",
        ),
        (
            "gpu device on a cpu backend",
            "train",
            "devices",
            "[\"cuda:1\"]",
            "`cuda:1` is not a device of the flex backend",
        ),
        ("unknown precision", "train", "precision", "\"fp8\"", "fp8"),
        (
            "more devices than pairs in a batch",
            "train",
            "devices",
            &format!("[{}]", vec!["\"cpu\""; 40].join(", ")),
            "train.devices",
        ),
    ] {
        cases.push(experiment(name, &tiny_with(section, key, value), culprit));
    }
    cases.push(experiment(
        "low precision on the ndarray backend",
        &format!(
            "backend = \"ndarray\"\n{}",
            tiny_with("train", "precision", "\"bf16\"")
        ),
        "`bf16` needs the flex or cuda backend",
    ));
    cases.push(experiment(
        "extends itself",
        &format!("extends = \"extends-itself.toml\"\n{}", tiny_experiment("")),
        "extends-itself.toml",
    ));
    cases.push(experiment(
        "extends a missing file",
        &format!("extends = \"nowhere.toml\"\n{}", tiny_experiment("")),
        "nowhere.toml",
    ));
    cases.push(experiment(
        "pretrained model folder missing",
        &tiny_with("model", "pretrained", "\"no-such-model\""),
        "no-such-model",
    ));
    cases.push(experiment(
        "pretrained q4 file missing",
        &tiny_with("model", "pretrained", "\"q4:missing.bin\""),
        "q4:missing.bin: no such file",
    ));
    cases.push(experiment(
        "pretrained hub id offline",
        &tiny_with("model", "pretrained", "\"acme/not-cached\""),
        "acme/not-cached",
    ));
    // Sweeps.
    for (what, sweep, culprit) in [
        ("unknown key", "\"train.stepz\" = [1, 2]", "train.stepz"),
        ("empty list", "\"train.steps\" = []", "train.steps"),
        ("not a list", "\"train.steps\" = 3", "train.steps"),
        ("bad value", "\"train.alpha\" = [0.5, 7.0]", "train.alpha"),
        (
            "unknown strategy",
            "\"train.strategy\" = [\"mono\", \"duo\"]",
            "error: sweep train.strategy = \"duo\": ",
        ),
        (
            "unknown section",
            "\"optimizer.lr\" = [1, 2]",
            "optimizer.lr",
        ),
    ] {
        let text = format!("{}\n[sweep]\n{sweep}\n", tiny_experiment(""));
        cases.push(experiment(&format!("sweep {what}"), &text, culprit));
    }
    cases
}

fn data_cases() -> Vec<Case> {
    let uses = |file: &str| tiny_experiment("").replace("train.jsonl", file);
    let mut cases = Vec::new();
    for (what, content, culprit) in [
        ("empty", "", "empty.jsonl: no rows"),
        (
            "broken line",
            "{\"group_id\": \"g1\", \"lang\": \"en\"}\n{oops\n",
            "broken-line.jsonl: line 2: invalid JSON",
        ),
        (
            "missing field",
            "{\"group_id\": \"g1\", \"lang\": \"en\", \"question\": \"q?\"}\n",
            "missing-field.jsonl",
        ),
        (
            "number for text",
            "{\"group_id\": \"g1\", \"lang\": \"en\", \"question\": 5, \"answer\": \"a\"}\n",
            "number-for-text.jsonl",
        ),
        (
            "unknown language",
            "{\"group_id\": \"g1\", \"lang\": \"xx\", \"question\": \"q?\", \"answer\": \"a.\"}\n",
            "xx",
        ),
        (
            "one language only",
            "{\"group_id\": \"g1\", \"lang\": \"en\", \"question\": \"q?\", \"answer\": \"a.\"}\n",
            "one-language-only.jsonl",
        ),
        (
            "an array",
            "[1, 2, 3]\n",
            "an-array.jsonl: line 1: not a JSON object",
        ),
    ] {
        let file = format!("{}.jsonl", experiment_id(what));
        cases.push(
            experiment(&format!("training file {what}"), &uses(&file), culprit)
                .file(&file, content),
        );
    }
    cases.push(experiment(
        "training file missing",
        &uses("absent.jsonl"),
        "absent.jsonl",
    ));
    cases.push(
        experiment(
            "training file is a folder",
            &uses("a-folder.jsonl"),
            "a-folder.jsonl",
        )
        .file("a-folder.jsonl/inside.txt", "x"),
    );
    cases.push(
        experiment(
            "training parquet corrupt",
            &uses("rows.parquet"),
            "rows.parquet",
        )
        .file("rows.parquet", b"PAR1 not really parquet".to_vec()),
    );
    cases.push(
        experiment(
            "training file of unknown kind",
            &uses("rows.xlsx"),
            "rows.xlsx",
        )
        .file("rows.xlsx", "not a spreadsheet"),
    );
    // Evaluation datasets in the LAReQA layout.
    let eval_uses = |folder: &str| tiny_experiment("").replace("tiny-eval", folder);
    for (what, file, content, culprit) in [
        ("truncated json", "en.json", "{\"data\": [ {", "en.json"),
        ("not squad", "en.json", "{\"version\": \"1.1\"}", "en.json"),
        ("wrong types", "en.json", "{\"data\": 5}", "en.json"),
        ("unknown language file", "xx.json", "{\"data\": []}", "xx"),
    ] {
        let folder = format!("eval-{}", experiment_id(what));
        cases.push(
            experiment(
                &format!("eval dataset {what}"),
                &eval_uses(&folder),
                culprit,
            )
            .file(&format!("{folder}/{file}"), content),
        );
    }
    cases.push(experiment(
        "eval dataset folder missing",
        &eval_uses("no-such-folder"),
        "no-such-folder",
    ));
    cases.push(
        experiment(
            "eval dataset folder empty",
            &eval_uses("empty-eval"),
            "empty-eval",
        )
        .file("empty-eval/README.txt", "nothing here"),
    );
    cases.push(experiment(
        "eval dataset name unknown offline",
        &tiny_experiment("").replace("tiny-eval", "xquad-r"),
        "xquad-r",
    ));
    cases
}

fn command_cases(scratch: &Scratch) -> Vec<Case> {
    let model = "results/fault-model/checkpoints/main/final";
    let mut cases = vec![
        Case::new(
            "experiment name unknown",
            &["experiment", "no-such-experiment"],
            "no-such-experiment",
        ),
        Case::new(
            "experiment name with a slash",
            &["experiment", "a/b"],
            "a/b",
        ),
        Case::new("experiment name dot dot", &["experiment", ".."], ".."),
        Case::new(
            "train name unknown",
            &["train", "nothing-here"],
            "nothing-here",
        ),
        Case::new(
            "report of a missing experiment",
            &["report", "never-ran"],
            "never-ran",
        ),
        Case::new(
            "report of an experiment without runs",
            &["report", "hollow"],
            "hollow",
        )
        .file("results/hollow/notes.txt", "no runs"),
        Case::new(
            "report with a corrupt metrics file",
            &["report", "damaged"],
            "metrics.json",
        )
        .file(
            "results/damaged/run/metrics.json",
            "{\"schema_version\": 1, \"tasks\": [",
        )
        .file("results/damaged/run/config.toml", tiny_experiment("")),
        Case::new(
            "report with a future metrics schema",
            &["report", "future"],
            "schema_version",
        )
        .file(
            "results/future/run/metrics.json",
            "{\"schema_version\": 99, \"model\": \"m\", \"train_languages\": [], \"tasks\": []}",
        )
        .file("results/future/run/config.toml", tiny_experiment("")),
        Case::new("compare of missing runs", &["compare", "x/a", "x/b"], "x/a"),
        Case::new(
            "compare with zero resamples",
            &["compare", "x/a", "x/b", "--resamples", "0"],
            "--resamples",
        ),
        Case::new(
            "compare of an unknown setting",
            &[
                "compare",
                "fault-model/main",
                "fault-model/bm25",
                "--setting",
                "sideways",
            ],
            "sideways",
        ),
        Case::new(
            "eval without a task",
            &["eval", "--checkpoint", "bm25"],
            "--task",
        ),
        Case::new(
            "eval of an unknown task",
            &[
                "eval",
                "--checkpoint",
                "bm25",
                "--task",
                "no-such-task",
                "--out",
                "o1",
            ],
            "no-such-task",
        ),
        Case::new(
            "eval of a missing model folder",
            &[
                "eval",
                "--checkpoint",
                "no-model-here",
                "--task",
                "tiny-eval",
                "--out",
                "o2",
            ],
            "no-model-here",
        ),
        Case::new(
            "eval of a missing q4 file",
            &[
                "eval",
                "--checkpoint",
                "q4:nothing.bin",
                "--task",
                "tiny-eval",
                "--out",
                "o3",
            ],
            "q4:nothing.bin: no such file",
        ),
        Case::new(
            "eval of a garbage q4 file",
            &[
                "eval",
                "--checkpoint",
                "q4:garbage.bin",
                "--task",
                "tiny-eval",
                "--out",
                "o4",
            ],
            "garbage.bin",
        )
        .file("garbage.bin", vec![7u8; 4096])
        .file("tokenizer.json", "{}"),
        Case::new(
            "eval of a hub id offline",
            &[
                "eval",
                "--checkpoint",
                "acme/absent@v2",
                "--task",
                "tiny-eval",
                "--out",
                "o5",
            ],
            "acme/absent@v2",
        )
        .env("HF_HUB_OFFLINE", "1"),
        Case::new(
            "eval of a malformed hub id",
            &[
                "eval",
                "--checkpoint",
                "a/b/c/d",
                "--task",
                "tiny-eval",
                "--out",
                "o6",
            ],
            "a/b/c/d",
        ),
        Case::new(
            "eval with batch size zero",
            &[
                "eval",
                "--checkpoint",
                model,
                "--task",
                "tiny-eval",
                "--batch-size",
                "0",
                "--out",
                "o7",
            ],
            "--batch-size",
        ),
        Case::new(
            "eval with an unknown backend",
            &[
                "eval",
                "--checkpoint",
                model,
                "--task",
                "tiny-eval",
                "--backend",
                "tpu",
            ],
            "tpu",
        ),
        Case::new(
            "eval with an unknown pooling",
            &[
                "eval",
                "--checkpoint",
                model,
                "--task",
                "tiny-eval",
                "--pooling",
                "max",
            ],
            "max",
        ),
        Case::new(
            "eval with an unknown training language",
            &[
                "eval",
                "--checkpoint",
                model,
                "--task",
                "tiny-eval",
                "--train-languages",
                "en,zz",
                "--out",
                "o8",
            ],
            "zz",
        ),
        Case::new(
            "eval with an absurd max length",
            &[
                "eval",
                "--checkpoint",
                model,
                "--task",
                "tiny-eval",
                "--max-len",
                "100000",
                "--out",
                "o9",
            ],
            "--max-len",
        ),
        Case::new(
            "eval of a model folder without weights",
            &[
                "eval",
                "--checkpoint",
                "hollow-model",
                "--task",
                "tiny-eval",
                "--out",
                "o10",
            ],
            "hollow-model",
        )
        .file("hollow-model/config.json", "{}"),
        Case::new(
            "eval of a model with corrupt config",
            &[
                "eval",
                "--checkpoint",
                "bad-config-model",
                "--task",
                "tiny-eval",
                "--out",
                "o11",
            ],
            "config.json",
        )
        .file("bad-config-model/config.json", "{\"hidden_size\": ")
        .file("bad-config-model/model.safetensors", vec![0u8; 16])
        .file("bad-config-model/tokenizer.json", "{}"),
        Case::new(
            "encode of a missing input",
            &[
                "encode",
                "--model",
                model,
                "--input",
                "absent.txt",
                "--output",
                "e1.parquet",
            ],
            "absent.txt",
        ),
        Case::new(
            "encode with an unknown prefix kind",
            &[
                "encode",
                "--model",
                model,
                "--input",
                "texts.txt",
                "--output",
                "e2.parquet",
                "--prefix",
                "document",
            ],
            "document",
        )
        .file("texts.txt", "one\ntwo\n"),
        Case::new(
            "encode of a jsonl without the text field",
            &[
                "encode",
                "--model",
                model,
                "--input",
                "notext.jsonl",
                "--output",
                "e3.parquet",
            ],
            "notext.jsonl",
        )
        .file("notext.jsonl", "{\"id\": 1, \"body\": \"x\"}\n"),
        Case::new(
            "encode of a corrupt parquet",
            &[
                "encode",
                "--model",
                model,
                "--input",
                "bad.parquet",
                "--output",
                "e4.parquet",
            ],
            "bad.parquet",
        )
        .file("bad.parquet", b"PAR1garbagePAR1".to_vec()),
        Case::new(
            "encode into a missing folder",
            &[
                "encode",
                "--model",
                model,
                "--input",
                "texts2.txt",
                "--output",
                "no/such/dir/e5.parquet",
            ],
            "e5.parquet",
        )
        .file("texts2.txt", "one\n"),
        Case::new(
            "encode of an empty input",
            &[
                "encode",
                "--model",
                model,
                "--input",
                "empty.txt",
                "--output",
                "e6.parquet",
            ],
            "empty.txt",
        )
        .file("empty.txt", ""),
        Case::new(
            "model convert of a missing q4 file",
            &["model", "convert", "q4:gone.bin", "out-gone"],
            "q4:gone.bin: no such file",
        ),
        Case::new(
            "model convert of a truncated q4 file",
            &["model", "convert", "q4:short.bin", "out-short"],
            "short.bin",
        )
        .file("short.bin", b"E5S1\x01".to_vec())
        .file("tokenizer.json", "{}"),
        Case::new(
            "model convert into a non-empty folder",
            &["model", "convert", model, "full-dir"],
            "full-dir",
        )
        .file("full-dir/keep.txt", "mine"),
        Case::new(
            "data stats of an unknown dataset",
            &["data", "stats", "no-such-dataset"],
            "no-such-dataset",
        ),
        Case::new(
            "data stats of a corrupt folder",
            &["data", "stats", "stats-bad"],
            "stats-bad",
        )
        .file("stats-bad/en.json", "{\"data\": [")
        .file("stats-bad/de.json", "{\"data\": []}"),
        Case::new(
            "data fetch of an unknown dataset",
            &["data", "fetch", "imagenet"],
            "imagenet",
        ),
        Case::new(
            "data fetch offline",
            &["data", "fetch", "xquad-r"],
            "offline",
        ),
        Case::new(
            "data inspect of an unknown dataset",
            &["data", "inspect", "no-such-dataset"],
            "no-such-dataset",
        ),
        Case::new(
            "bad download deadline",
            &["data", "fetch", "xquad-r"],
            "HBT_DOWNLOAD_DEADLINE",
        )
        .env("HBT_OFFLINE", "0")
        .env("HBT_DOWNLOAD_DEADLINE", "soon"),
        Case::new("unknown command", &["fly"], "fly"),
        Case::new("unknown flag", &["experiment", "x", "--turbo"], "--turbo"),
        Case::new(
            "results folder is a file",
            &["experiment", "fault-model", "--results-dir", "a-file"],
            "a-file is a file",
        )
        .file("a-file", "not a folder"),
    ];
    // A damaged copy of the trained model: each file in turn.
    let trained = scratch.path(model);
    for (file, content) in [
        (
            "model.safetensors",
            &b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}"[..],
        ),
        ("tokenizer.json", b"{\"model\": 3}"),
        ("config.json", b"[]"),
    ] {
        let dir = format!("damaged-{}", experiment_id(file));
        let mut case = Case::new(
            format!("eval of a model with a damaged {file}"),
            &[
                "eval",
                "--checkpoint",
                &dir,
                "--task",
                "tiny-eval",
                "--out",
                &format!("{dir}-out"),
            ],
            file,
        );
        for kept in ["config.json", "model.safetensors", "tokenizer.json"] {
            let bytes = if kept == file {
                content.to_vec()
            } else {
                std::fs::read(trained.join(kept)).unwrap()
            };
            case = case.file(&format!("{dir}/{kept}"), bytes);
        }
        cases.push(case);
    }
    cases
}

/// The case's error line when it was handled cleanly, else what went wrong.
fn check(scratch: &Scratch, case: &Case) -> Result<String, String> {
    for (path, content) in &case.files {
        let path = scratch.path(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_hbt"))
        .current_dir(scratch.dir.path())
        .args(&case.args)
        .env_remove("HBT_DATA_DIR")
        .env_remove("HBT_RESULTS_DIR")
        .env_remove("HBT_DATA_URL")
        .env("HBT_OFFLINE", "1")
        .env("HF_HUB_CACHE", scratch.path("hub-cache"))
        .env("HF_HUB_OFFLINE", "1")
        .envs(case.env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CASE_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("hung (killed after {CASE_LIMIT:?})"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    if status.success() {
        return Err("exited 0".into());
    }
    if stderr.contains("panicked") {
        return Err(format!("panicked: {stderr}"));
    }
    if status.code().is_none() {
        return Err(format!("killed by a signal: {stderr}"));
    }
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    if errors.len() != 1 {
        return Err(format!("{} error lines: {stderr}", errors.len()));
    }
    if !errors[0].contains(&case.culprit) {
        return Err(format!("does not name `{}`: {}", case.culprit, errors[0]));
    }
    if let Some(left) = leftovers(&scratch.path("results")) {
        return Err(format!("left {left} ({})", errors[0]));
    }
    Ok(errors[0].to_string())
}

/// A staging, temporary or lock file left under `results`, if any.
fn leftovers(dir: &Path) -> Option<String> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.ends_with(".partial")
            || name.contains(".tmp")
            || name.ends_with(".part")
            || name.ends_with(".lock")
        {
            return Some(path.display().to_string());
        }
        if path.is_dir() {
            if let Some(found) = leftovers(&path) {
                return Some(found);
            }
        }
    }
    None
}

#[test]
fn every_fault_is_handled_cleanly() {
    let scratch = Scratch::with_tiny_data();
    // A trained model and finished runs for the cases that read them.
    scratch.experiment("fault-model", &tiny_experiment(""));
    let trained = scratch.hbt(&["experiment", "fault-model"]);
    assert!(
        trained.status.success(),
        "{}",
        String::from_utf8_lossy(&trained.stderr)
    );

    let cases: Vec<Case> = config_cases()
        .into_iter()
        .chain(data_cases())
        .chain(command_cases(&scratch))
        .collect();
    let mut failures = Vec::new();
    for case in &cases {
        match check(&scratch, case) {
            Ok(line) => eprintln!("ok   {}: {line}", case.name),
            Err(problem) => failures.push(format!("{}: {problem}", case.name)),
        }
    }
    eprintln!(
        "fault suite: {} cases, {} handled cleanly",
        cases.len(),
        cases.len() - failures.len()
    );
    assert!(
        failures.is_empty(),
        "not handled cleanly:\n{}",
        failures.join("\n")
    );
}
