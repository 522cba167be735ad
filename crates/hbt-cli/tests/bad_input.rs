//! Bad input never panics and never leaves a results folder: each case exits non-zero with
//! one error line naming the culprit.

mod common;

use common::{assert_one_line_error, tiny_experiment, Scratch};

/// Runs `experiments/bad.toml` and checks the error and that no results were left.
fn refuses(text: &str, culprit: &str) {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("bad", text);
    let out = scratch.hbt(&["experiment", "bad"]);
    assert_one_line_error(&out, culprit);
    assert!(
        !scratch.has_results("bad"),
        "no partial results folder for {text:?}"
    );
}

#[test]
fn malformed_toml() {
    refuses("seed = [1,\n[data\n", "bad.toml: line");
}

#[test]
fn unknown_key() {
    refuses(
        &tiny_experiment("[train]\nlerning_rate = 0.1"),
        "lerning_rate",
    );
}

#[test]
fn wrong_type() {
    refuses(
        &tiny_experiment("[train]\nbatch_size = \"large\""),
        "train.batch_size",
    );
}

#[test]
fn alpha_outside_unit_interval() {
    refuses(&tiny_experiment("[train]\nalpha = 1.5"), "train.alpha");
}

#[test]
fn batch_size_zero() {
    refuses(
        &tiny_experiment("[train]\nbatch_size = 0"),
        "train.batch_size",
    );
}

#[test]
fn unknown_experiment_name() {
    let scratch = Scratch::with_tiny_data();
    let out = scratch.hbt(&["experiment", "does-not-exist"]);
    assert_one_line_error(&out, "does-not-exist");
}

#[test]
fn missing_training_file() {
    refuses(
        &tiny_experiment("").replace("train.jsonl", "missing.jsonl"),
        "missing.jsonl",
    );
}

#[test]
fn corrupt_json_in_a_dataset() {
    let scratch = Scratch::with_tiny_data();
    std::fs::write(scratch.path("tiny-eval/de.json"), "{\"data\": [ {").unwrap();
    scratch.experiment("bad", &tiny_experiment(""));
    assert_one_line_error(&scratch.hbt(&["experiment", "bad"]), "de.json");
    assert!(!scratch.has_results("bad"));
}

#[test]
fn empty_training_file() {
    let scratch = Scratch::with_tiny_data();
    std::fs::write(scratch.path("train.jsonl"), "").unwrap();
    scratch.experiment("bad", &tiny_experiment(""));
    assert_one_line_error(&scratch.hbt(&["experiment", "bad"]), "train.jsonl");
    assert!(!scratch.has_results("bad"));
}

#[test]
fn unknown_language_in_settings() {
    refuses(
        &tiny_experiment("").replace("dev_fraction", "train_languages = [\"xx\"]\ndev_fraction"),
        "`xx`",
    );
}

#[test]
fn unknown_language_in_a_row() {
    let scratch = Scratch::with_tiny_data();
    let rows = std::fs::read_to_string(scratch.path("train.jsonl"))
        .unwrap()
        .replacen("\"de\"", "\"qq\"", 1);
    std::fs::write(scratch.path("train.jsonl"), rows).unwrap();
    scratch.experiment("bad", &tiny_experiment(""));
    assert_one_line_error(&scratch.hbt(&["experiment", "bad"]), "row 2");
    assert!(!scratch.has_results("bad"));
}

#[test]
fn training_language_absent_from_the_data() {
    refuses(
        &tiny_experiment("").replace("dev_fraction", "train_languages = [\"fr\"]\ndev_fraction"),
        "fr",
    );
}

#[test]
fn train_and_eval_name_the_same_dataset() {
    refuses(
        &tiny_experiment("").replace("[\"train.jsonl\"]", "[\"tiny-eval\"]"),
        "zero-shot",
    );
}

#[test]
fn training_rows_sharing_question_ids_with_evaluation() {
    let scratch = Scratch::with_tiny_data();
    let rows = std::fs::read_to_string(scratch.path("train.jsonl"))
        .unwrap()
        .replace("\"g3\"", "\"t2\"");
    std::fs::write(scratch.path("train.jsonl"), rows).unwrap();
    scratch.experiment("bad", &tiny_experiment(""));
    let out = scratch.hbt(&["experiment", "bad"]);
    assert_one_line_error(&out, "tiny-eval");
    assert!(String::from_utf8_lossy(&out.stderr).contains("t2"));
    assert!(!scratch.has_results("bad"));
}

#[test]
fn dev_fraction_too_large() {
    refuses(
        &tiny_experiment("").replace("dev_fraction = 0.2", "dev_fraction = 0.9"),
        "data.dev_fraction",
    );
}

#[test]
fn backend_not_compiled() {
    if cfg!(feature = "cuda") {
        return;
    }
    refuses(&tiny_experiment("backend = \"cuda\""), "--features cuda");
}

#[test]
fn unknown_strategy() {
    refuses(
        &tiny_experiment("[train]\nstrategy = \"hybird\""),
        "train.strategy",
    );
}

#[test]
fn missing_parent_file() {
    refuses(
        &format!("extends = \"nowhere.toml\"\n{}", tiny_experiment("")),
        "nowhere.toml",
    );
}

#[test]
fn missing_dataset_offline_names_the_folder() {
    refuses(
        &tiny_experiment("").replace("[\"tiny-eval\"]", "[\"xquad-r\"]"),
        "xquad-r",
    );
}

#[test]
fn sweep_over_an_unknown_setting() {
    refuses(
        &format!("{}[sweep]\n\"train.alpah\" = [0.1]\n", tiny_experiment("")),
        "sweep.train.alpah",
    );
}

#[test]
fn a_sweep_key_given_dotted_and_nested_is_refused() {
    refuses(
        &format!(
            "{}[sweep]\n\"train.alpha\" = [0.1, 0.2]\n[sweep.train]\nalpha = [0.3]\n",
            tiny_experiment("")
        ),
        "key `sweep.train.alpha` is given twice",
    );
}

#[test]
fn an_experiment_with_nothing_to_evaluate_is_refused() {
    refuses(
        &tiny_experiment("").replace("eval = [\"tiny-eval\"]", "eval = []"),
        "key `data.eval` is empty: nothing to evaluate",
    );
}

/// Every enum-valued key refuses an unknown value with one line naming the file, the key and
/// the allowed values (serde reads the libraries' own enums; nothing falls back silently).
#[test]
fn unknown_values_of_every_enum_valued_key() {
    let cases = [
        ("seed = 3\n", "seed = 3\nbackend = \"tpu\"\n", "key `backend`: unknown variant `tpu`, expected one of `flex`, `ndarray`, `cuda`"),
        ("[train]\n", "[train]\nlanguage_weighting = \"even\"\n", "key `train.language_weighting`: unknown variant `even`, expected `proportional` or `uniform`"),
        ("[model]\n", "[model]\npooling = \"max\"\n", "key `model.pooling`: unknown variant `max`, expected one of `cls`, `mean`, `pooler`"),
        ("[model]\n", "[model]\nfamily = \"gpt\"\n", "key `model.family`: unknown variant `gpt`, expected `bert` or `xlm-roberta`"),
        ("[data]\n", "[data]\nsentences = \"nltk\"\n", "key `data.sentences`: unknown variant `nltk`, expected `shipped` or `splitter`"),
        ("[data]\n", "[data]\ntrain_languages = [\"en\", \"xx\"]\n", "key `data.train_languages[1]`: unknown language `xx`"),
        ("[model]\n", "[eval]\nreferences = [\"bm25\", \"random\"]\n[model]\n", "key `eval.references[1]`: unknown variant `random`, expected one of `bm25`, `untrained`, `pretrained`"),
        ("[model]\n", "[eval]\nreferences = [\"pretrained\"]\n[model]\n", "key `eval.references`: `pretrained` needs `model.pretrained`"),
        ("[model]\n", "[eval]\nreferences = [\"untrained\"]\n[model]\npretrained = \"acme/model\"\n", "key `eval.references`: `untrained` is the from-scratch initialisation"),
    ];
    for (anchor, replacement, culprit) in cases {
        let text = tiny_experiment("").replacen(anchor, replacement, 1);
        assert!(
            text.contains(replacement),
            "{anchor:?} not in the tiny experiment"
        );
        refuses(&text, &format!("bad.toml: {culprit}"));
    }
    // The tiny experiment sets a strategy itself: replace it.
    refuses(
        &tiny_experiment("[train]\nstrategy = \"hybird\""),
        "bad.toml: key `train.strategy`: unknown variant `hybird`, expected one of `mono`, `mixed`, `cross`, `hybrid`",
    );
}

/// Enum-valued flags are parsed into the same enums: an unknown value names the flag and the
/// allowed values.
#[test]
fn unknown_values_of_enum_valued_flags() {
    let scratch = Scratch::with_tiny_data();
    let eval = |flag: &str, value: &str| {
        scratch.hbt(&[
            "eval",
            "--checkpoint",
            "bm25",
            "--task",
            "tiny-eval",
            flag,
            value,
        ])
    };
    let cases = [
        (
            eval("--backend", "tpu"),
            "unknown backend `tpu` (expected one of: flex, ndarray, cuda)",
        ),
        (
            eval("--pooling", "max"),
            "unknown pooling `max` (expected one of: cls, mean, pooler)",
        ),
        (eval("--train-languages", "en,xx"), "unknown language `xx`"),
        (
            scratch.hbt(&["bench", "train", "--backend", "flex,tpu"]),
            "unknown backend `tpu`",
        ),
    ];
    for (out, culprit) in cases {
        assert_one_line_error(&out, culprit);
    }
}

/// The entries of a folder, sorted (to show that a refused command wrote nothing there).
fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_experiment_file_named_dot_dot_cannot_write_outside_the_results_folder() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("..", &tiny_experiment(""));
    std::fs::create_dir_all(scratch.path("results")).unwrap();
    let before = entries(scratch.dir.path());
    for name in ["..", "experiments/...toml"] {
        let out = scratch.hbt(&["experiment", name]);
        assert_one_line_error(&out, "experiment name `..`: must not start with `.`");
        assert_eq!(
            entries(scratch.dir.path()),
            before,
            "nothing written beside results/"
        );
        assert!(
            entries(&scratch.path("results")).is_empty(),
            "nothing in results/"
        );
    }
}

#[test]
fn a_report_named_dot_dot_is_refused() {
    let scratch = Scratch::with_tiny_data();
    let out = scratch.hbt(&["report", ".."]);
    assert_one_line_error(&out, "experiment name `..`");
    assert!(!scratch.path("report.md").exists());
}

#[test]
fn a_second_writer_of_an_experiment_is_refused_naming_the_holder() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("busy", &tiny_experiment(""));
    let results = scratch.path("results");
    let held = hbt_pipeline::lock::ExperimentLock::acquire(&results, "busy").unwrap();
    let holder = format!("in use by process {}", std::process::id());
    for args in [
        &["experiment", "busy"][..],
        &["experiment", "busy", "--resume"],
        &["train", "busy"],
        &["report", "busy"],
    ] {
        let out = scratch.hbt(args);
        assert_one_line_error(&out, &holder);
        assert!(!scratch.has_results("busy"), "{args:?} wrote results");
    }
    drop(held);
    let out = scratch.hbt(&["train", "busy"]);
    assert!(
        out.status.success(),
        "free again: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !results.join(".busy.lock").exists(),
        "lock file removed on exit"
    );
}

#[test]
fn encode_errors_name_the_real_culprit() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("tiny", &tiny_experiment(""));
    let trained = scratch.hbt(&["train", "tiny"]);
    assert!(
        trained.status.success(),
        "{}",
        String::from_utf8_lossy(&trained.stderr)
    );
    let model = scratch.path("results/tiny/checkpoints/main/final");
    std::fs::write(scratch.path("texts.txt"), "a text\nanother\n").unwrap();
    std::fs::write(
        scratch.path("texts.jsonl"),
        "{\"id\": \"a\", \"text\": \"x\"}\n{\"id\": broken\n",
    )
    .unwrap();
    let encode = |input: &str, extra: &[&str]| {
        let mut args = vec![
            "encode",
            "--model",
            model.to_str().unwrap(),
            "--input",
            input,
            "--output",
            "out.parquet",
        ];
        args.extend_from_slice(extra);
        scratch.hbt(&args)
    };
    // A bad line of the input names the file and the line.
    assert_one_line_error(&encode("texts.jsonl", &[]), "texts.jsonl: line 2:");
    // A length beyond the model's positions names the flag.
    assert_one_line_error(
        &encode("texts.txt", &["--max-len", "100000"]),
        "--max-len 100000 exceeds the",
    );
    // A bad value recorded in the model's config.json names that file, not a flag.
    let config = model.join("config.json");
    let text = std::fs::read_to_string(&config).unwrap();
    let bad = text.replace("\"hbt_pooling\": \"mean\"", "\"hbt_pooling\": \"max\"");
    assert_ne!(text, bad, "the saved config records its pooling");
    std::fs::write(&config, bad).unwrap();
    let out = encode("texts.txt", &[]);
    assert_one_line_error(&out, "config.json: invalid JSON: unknown variant `max`");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("--pooling"));
    assert!(
        !scratch.path("out.parquet").exists(),
        "no output after errors"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_named_pipe_as_a_data_file_is_refused_not_waited_on() {
    let scratch = Scratch::with_tiny_data();
    let pipe = scratch.path("pipe.jsonl");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo unavailable");
        return;
    }
    scratch.experiment(
        "piped",
        &tiny_experiment("").replace("train.jsonl", "pipe.jsonl"),
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hbt"))
        .current_dir(scratch.dir.path())
        .args(["experiment", "piped"])
        .env("HBT_OFFLINE", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("hbt waited on the named pipe");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_one_line_error(&out, "pipe.jsonl: is a named pipe, not a regular file");
    assert!(!scratch.has_results("piped"));
}

#[test]
fn a_model_beyond_the_machines_memory_is_refused_with_its_estimate() {
    // About 150 billion parameters: terabytes, more than any test machine has.
    let text = tiny_experiment("")
        .replace("hidden_size = 16", "hidden_size = 16384")
        .replace("layers = 1", "layers = 48")
        .replace("heads = 2", "heads = 64")
        .replace("intermediate_size = 32", "intermediate_size = 65536");
    refuses(&text, "run main: training needs about");
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("huge", &text);
    let out = scratch.hbt(&["train", "huge", "--check"]);
    assert!(out.status.success(), "--check does not estimate");
}
