//! Shared helpers of the CLI tests: run the `hbt` binary in a scratch folder with tiny
//! datasets written by the test itself.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch folder with `experiments/`, `results/` and a tiny data set.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn with_tiny_data() -> Scratch {
        let scratch = Scratch {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(scratch.path("experiments")).unwrap();
        write_tiny_lareqa(&scratch.path("tiny-eval"));
        write_qa_rows(&scratch.path("train.jsonl"));
        scratch
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes experiments/NAME.toml.
    pub fn experiment(&self, name: &str, text: &str) {
        std::fs::write(self.path(&format!("experiments/{name}.toml")), text).unwrap();
    }

    /// Runs hbt in the scratch folder, offline, with data in `data/` unless overridden.
    pub fn hbt(&self, args: &[&str]) -> Output {
        self.hbt_env(args, &[])
    }

    pub fn hbt_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    /// `hbt ARGS` in this folder, offline, not yet started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hbt"));
        cmd.current_dir(self.dir.path())
            .args(args)
            .env_remove("HBT_DATA_DIR")
            .env_remove("HBT_RESULTS_DIR")
            .env_remove("HBT_DATA_URL")
            .env("HBT_OFFLINE", "1");
        cmd
    }

    /// Whether results/NAME exists at all.
    pub fn has_results(&self, experiment: &str) -> bool {
        self.path("results").join(experiment).exists()
    }
}

/// Asserts a failed run: non-zero exit, one error line naming `culprit`, no panic.
pub fn assert_one_line_error(out: &Output, culprit: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure, got success; stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "one error line expected: {stderr}");
    assert!(
        errors[0].contains(culprit),
        "error should name `{culprit}`: {}",
        errors[0]
    );
}

/// A two-language LAReQA folder (en, de): two paragraphs, three questions, with sentence breaks.
pub fn write_tiny_lareqa(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let files = [
        (
            "en",
            [
                (
                    "The river is long. It flows north.",
                    [(0, 18), (19, 34)],
                    [
                        ("t1", "Which way does the river flow?", 25),
                        ("t2", "How long is the river?", 13),
                    ],
                ),
                (
                    "Bread is baked. Ovens are hot.",
                    [(0, 15), (16, 30)],
                    [("t3", "What is baked?", 0), ("", "", 0)],
                ),
            ],
        ),
        (
            "de",
            [
                (
                    "Der Fluss ist lang. Er fließt nach Norden.",
                    [(0, 19), (20, 42)],
                    [
                        ("t1", "Wohin fließt der Fluss?", 30),
                        ("t2", "Wie lang ist der Fluss?", 14),
                    ],
                ),
                (
                    "Brot wird gebacken. Öfen sind heiß.",
                    [(0, 19), (20, 35)],
                    [("t3", "Was wird gebacken?", 0), ("", "", 0)],
                ),
            ],
        ),
    ];
    for (lang, paragraphs) in files {
        let paragraphs: Vec<serde_json::Value> = paragraphs
            .iter()
            .map(|(context, breaks, qas)| {
                let sentences: Vec<String> = breaks
                    .iter()
                    .map(|&(s, e)| context.chars().skip(s).take(e - s).collect())
                    .collect();
                let qas: Vec<serde_json::Value> = qas
                    .iter()
                    .filter(|(id, _, _)| !id.is_empty())
                    .map(|(id, q, start)| serde_json::json!({"id": id, "question": q, "answers": [{"answer_start": start, "text": ""}]}))
                    .collect();
                serde_json::json!({"context": context, "qas": qas, "sentences": sentences, "sentence_breaks": breaks})
            })
            .collect();
        let doc = serde_json::json!({"version": "1.1", "data": [{"title": "t", "paragraphs": paragraphs}]});
        std::fs::write(dir.join(format!("{lang}.json")), doc.to_string()).unwrap();
    }
}

/// Ten parallel QA groups in en/de/es as JSON Lines.
pub fn write_qa_rows(path: &Path) {
    let mut lines = Vec::new();
    for i in 0..10 {
        for (lang, q, a) in [
            ("en", "What is item", "Item number"),
            ("de", "Was ist Ding", "Ding Nummer"),
            ("es", "Qué es cosa", "Cosa número"),
        ] {
            lines.push(serde_json::json!({"group_id": format!("g{i}"), "lang": lang, "question": format!("{q} {i}?"), "answer": format!("{a} {i}.")}).to_string());
        }
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// Training settings of the tiny experiments: a one-layer 16-wide encoder, a few steps.
const TINY_TRAIN: [(&str, &str); 5] = [
    ("steps", "4"),
    ("batch_size", "4"),
    ("warmup_fraction", "0.25"),
    ("checkpoint_every", "2"),
    ("strategy", "\"hybrid\""),
];

/// A valid experiment over the tiny data, with `extra` (top-level keys, or a `[train]` table
/// whose keys override the tiny defaults) placed first.
pub fn tiny_experiment(extra: &str) -> String {
    let defaults: String = TINY_TRAIN
        .iter()
        .filter(|(key, _)| !extra.contains(&format!("{key} =")))
        .map(|(key, value)| format!("{key} = {value}\n"))
        .collect();
    let extra = if extra.contains("[train]") {
        format!("{extra}\n{defaults}")
    } else {
        format!("{extra}\n[train]\n{defaults}")
    };
    format!("seed = 3\n{extra}\n")
        + "[data]\ntrain = [\"train.jsonl\"]\neval = [\"tiny-eval\"]\ndev_fraction = 0.2\n[tokenizer]\nvocab_size = 300\nmax_len = 32\n"
        + "[model]\nhidden_size = 16\nlayers = 1\nheads = 2\nintermediate_size = 32\n"
}
