//! A whole experiment over tiny data: the results folder holds the resolved config, the
//! manifest with data checksums, the tokenizer and the data statistics; sweeps make runs.

mod common;

use common::{tiny_experiment, Scratch};

fn read_json(path: std::path::PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn data_stage_writes_the_run_folder() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("tiny", &tiny_experiment("description = \"tiny\""));
    let out = scratch.hbt(&["experiment", "tiny"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = scratch.path("results/tiny/main");
    for file in [
        "config.toml",
        "manifest.json",
        "tokenizer.json",
        "data_stats.json",
        "dev_groups.txt",
    ] {
        assert!(run.join(file).is_file(), "{file} missing");
    }
    let config: toml::Table =
        toml::from_str(&std::fs::read_to_string(run.join("config.toml")).unwrap()).unwrap();
    assert_eq!(config["seed"].as_integer(), Some(3));
    assert_eq!(
        config["train"]["strategy"].as_str(),
        Some("hybrid"),
        "defaults are resolved"
    );

    let manifest = read_json(run.join("manifest.json"));
    assert_eq!(manifest["seed"], 3);
    assert_eq!(manifest["experiment"], "tiny");
    let data = manifest["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "train.jsonl + en.json + de.json: {data:?}");
    assert!(data
        .iter()
        .all(|f| f["sha256"].as_str().unwrap().len() == 64));
    assert_eq!(manifest["stages"][0]["stage"], "data");

    let stats = read_json(run.join("data_stats.json"));
    assert_eq!(stats["train"][0]["train_groups"], 8);
    assert_eq!(stats["train"][0]["dev_groups"], 2);
    assert_eq!(stats["eval"][0]["languages"]["de"]["questions"], 3);
    assert_eq!(stats["eval"][0]["languages"]["de"]["candidates"], 4);
    let dev: Vec<String> = std::fs::read_to_string(run.join("dev_groups.txt"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(dev.len(), 2);
}

#[test]
fn same_seed_same_split_and_tokenizer() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("a", &tiny_experiment(""));
    scratch.experiment("b", &tiny_experiment(""));
    assert!(scratch.hbt(&["experiment", "a"]).status.success());
    assert!(scratch.hbt(&["experiment", "b"]).status.success());
    for file in ["dev_groups.txt", "tokenizer.json", "data_stats.json"] {
        let a = std::fs::read(scratch.path(&format!("results/a/main/{file}"))).unwrap();
        let b = std::fs::read(scratch.path(&format!("results/b/main/{file}"))).unwrap();
        assert!(a == b, "{file} differs between two runs with one seed");
    }
}

#[test]
fn sweeps_expand_into_runs_and_check_runs_nothing() {
    let scratch = Scratch::with_tiny_data();
    let text = format!(
        "{}[sweep]\n\"train.strategy\" = [\"mono\", \"hybrid\"]\n",
        tiny_experiment("")
    );
    scratch.experiment("sw", &text);
    let check = scratch.hbt(&["experiment", "sw", "--check"]);
    assert!(check.status.success());
    let listed = String::from_utf8_lossy(&check.stdout);
    assert!(
        listed.contains("strategy-mono") && listed.contains("strategy-hybrid"),
        "{listed}"
    );
    assert!(!scratch.has_results("sw"), "--check writes nothing");

    assert!(scratch
        .hbt(&["experiment", "experiments/sw.toml"])
        .status
        .success());
    for run in ["strategy-mono", "strategy-hybrid"] {
        let config =
            std::fs::read_to_string(scratch.path(&format!("results/sw/{run}/config.toml")))
                .unwrap();
        assert!(config.contains(&format!(
            "strategy = \"{}\"",
            run.trim_start_matches("strategy-")
        )));
    }
}

#[test]
fn results_dir_flag_beats_the_environment() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("tiny", &tiny_experiment(""));
    let env_dir = scratch.path("env-results");
    let flag_dir = scratch.path("flag-results");
    let out = scratch.hbt_env(
        &[
            "experiment",
            "tiny",
            "--results-dir",
            flag_dir.to_str().unwrap(),
        ],
        &[("HBT_RESULTS_DIR", env_dir.to_str().unwrap())],
    );
    assert!(out.status.success());
    assert!(flag_dir.join("tiny/main/manifest.json").is_file());
    assert!(!env_dir.exists());
}

#[test]
fn a_whole_experiment_evaluates_runs_and_references_and_writes_a_report() {
    let scratch = Scratch::with_tiny_data();
    let text = format!(
        "{}[sweep]\n\"train.strategy\" = [\"mono\", \"hybrid\"]\n",
        tiny_experiment("")
    );
    scratch.experiment("full", &text);
    let out = scratch.hbt(&["experiment", "full"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (run, model) in [
        ("strategy-mono", "trained"),
        ("strategy-hybrid", "trained"),
        ("bm25", "bm25"),
        ("untrained", "untrained"),
    ] {
        let metrics = read_json(scratch.path(&format!("results/full/{run}/metrics.json")));
        assert_eq!(metrics["schema_version"], 1);
        assert_eq!(metrics["model"], model, "{run}");
        let task = &metrics["tasks"][0];
        assert_eq!(task["kind"], "qa");
        assert_eq!(task["mono"]["per_language"]["en"]["queries"], 3);
        assert_eq!(task["cross"]["pairs"]["en-de"]["queries"], 3);
        assert_eq!(task["multi"]["per_language"]["de"]["queries"], 3);
        let map = task["multi"]["mean"]["map"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&map), "{run}: {map}");
        assert!(scratch
            .path(&format!("results/full/{run}/per_query.parquet"))
            .is_file());
    }
    // BM25 finds the German answers of German questions: the words overlap.
    let bm25 = read_json(scratch.path("results/full/bm25/metrics.json"));
    assert!(
        bm25["tasks"][0]["mono"]["per_language"]["de"]["map"]
            .as_f64()
            .unwrap()
            > 0.5
    );
    let report = std::fs::read_to_string(scratch.path("results/full/report.md")).unwrap();
    assert!(
        report.contains("hybrid") && report.contains("BM25"),
        "{report}"
    );
    assert!(scratch.path("results/full/tables/main.csv").is_file());
    // Every results file is readable by everyone (0644), and nothing temporary is left.
    #[cfg(unix)]
    for run in ["strategy-mono", "bm25"] {
        use std::os::unix::fs::PermissionsExt;
        for entry in std::fs::read_dir(scratch.path(&format!("results/full/{run}"))).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with('.'), "{run}: leftover {name}");
            if entry.file_type().unwrap().is_file() {
                let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o644, "{run}/{name}: mode {mode:o}");
            }
        }
    }

    let compare = scratch.hbt(&[
        "compare",
        "full/strategy-mono",
        "full/strategy-hybrid",
        "--resamples",
        "200",
    ]);
    assert!(
        compare.status.success(),
        "{}",
        String::from_utf8_lossy(&compare.stderr)
    );
    let table = String::from_utf8_lossy(&compare.stdout);
    assert!(table.contains("mono") && table.contains("multi"), "{table}");

    let eval = scratch.hbt(&[
        "eval",
        "--checkpoint",
        "results/full/checkpoints/strategy-hybrid/final",
        "--task",
        "tiny-eval",
        "--trec",
    ]);
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    // The saved model scores exactly as in the experiment.
    let again =
        read_json(scratch.path("results/full/checkpoints/strategy-hybrid/final/eval/metrics.json"));
    let original = read_json(scratch.path("results/full/strategy-hybrid/metrics.json"));
    assert_eq!(again["tasks"][0]["multi"], original["tasks"][0]["multi"]);
    assert!(scratch
        .path("results/full/checkpoints/strategy-hybrid/final/eval/trec")
        .is_dir());
}

#[test]
fn runs_selects_runs_and_resume_skips_the_finished_ones() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("sel", &tiny_experiment(""));
    let out = scratch.hbt(&["experiment", "sel", "--runs", "bm25"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(scratch.path("results/sel/bm25/metrics.json").is_file());
    assert!(
        !scratch.path("results/sel/main").exists(),
        "only the named run"
    );
    let manifest = std::fs::read(scratch.path("results/sel/bm25/manifest.json")).unwrap();

    let again = scratch.hbt(&["experiment", "sel", "--runs", "bm25", "--resume"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(
        stderr.contains("bm25: finished before, skipped"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(scratch.path("results/sel/bm25/manifest.json")).unwrap(),
        manifest,
        "a skipped run is left as it was"
    );

    let unknown = scratch.hbt(&["experiment", "sel", "--runs", "nope"]);
    common::assert_one_line_error(&unknown, "--runs: `nope` is not a run of sel");
}
