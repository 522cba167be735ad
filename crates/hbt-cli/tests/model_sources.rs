//! Models as users name them, end to end through the `hbt` binary: a hub id downloaded from a
//! fake hub on 127.0.0.1 (the hub's URL layout and headers) into an `HF_HUB_CACHE`, used again
//! offline from the cache; a trained run's folder; `hbt model convert`; `hbt encode`; query and
//! passage prefixes recorded in the saved model; one-line errors for what cannot load.

mod common;

use common::{assert_one_line_error, tiny_experiment, Scratch};
use hbt_testkit::fake_hub::{FakeHub, FakeRepo};

fn read_json(path: std::path::PathBuf) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The multilingual mean mAP of a `metrics.json`.
fn multi_map(path: std::path::PathBuf) -> f64 {
    read_json(path)["tasks"][0]["multi"]["mean"]["map"]
        .as_f64()
        .unwrap()
}

/// Trains the tiny experiment with prefixes and returns its final model folder.
fn trained_model(scratch: &Scratch) -> std::path::PathBuf {
    let text = tiny_experiment("").replace(
        "[model]\n",
        "[model]\nquery_prefix = \"query: \"\npassage_prefix = \"passage: \"\n",
    );
    scratch.experiment("tiny", &text);
    success(&scratch.hbt(&["train", "tiny"]));
    scratch.path("results/tiny/checkpoints/main/final")
}

#[test]
fn a_hub_id_downloads_once_verifies_and_evaluates_like_the_folder() {
    let scratch = Scratch::with_tiny_data();
    let folder = trained_model(&scratch);
    let config = read_json(folder.join("config.json"));
    assert_eq!(config["hbt_query_prefix"], "query: ");
    assert_eq!(config["hbt_passage_prefix"], "passage: ");

    let hub = FakeHub::start(vec![FakeRepo::from_folder("acme/tiny", "main", &folder)]);
    let cache = scratch.path("hf-cache");
    let cache_text = cache.display().to_string();
    let online = [
        ("HBT_OFFLINE", "0"),
        ("HF_ENDPOINT", hub.url.as_str()),
        ("HF_HUB_CACHE", cache_text.as_str()),
        ("HF_HUB_OFFLINE", "0"),
    ];
    let eval = |model: &str, out: &str, env: &[(&str, &str)]| {
        scratch.hbt_env(
            &[
                "eval",
                "--checkpoint",
                model,
                "--task",
                "tiny-eval",
                "--out",
                out,
            ],
            env,
        )
    };
    success(&eval("acme/tiny", "hub-eval", &online));
    let downloaded = hub.requests();
    assert!(
        downloaded >= 3,
        "three files asked for, {downloaded} requests"
    );
    let snapshot = cache.join("models--acme--tiny/snapshots");
    let commit = std::fs::read_dir(&snapshot)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        assert_eq!(
            std::fs::read(commit.join(file)).unwrap(),
            std::fs::read(folder.join(file)).unwrap(),
            "{file}"
        );
    }
    success(&eval(folder.to_str().unwrap(), "folder-eval", &[]));
    assert_eq!(
        multi_map(scratch.path("hub-eval/metrics.json")),
        multi_map(scratch.path("folder-eval/metrics.json")),
        "the same model, from the hub or the folder"
    );
    assert_eq!(
        read_json(scratch.path("hub-eval/metrics.json"))["model"],
        "trained"
    );

    // Offline: the cache serves it, no request is made; a model not in the cache is one line.
    let offline = [
        ("HF_ENDPOINT", hub.url.as_str()),
        ("HF_HUB_CACHE", cache_text.as_str()),
        ("HF_HUB_OFFLINE", "1"),
    ];
    success(&eval("acme/tiny", "offline-eval", &offline));
    assert_eq!(hub.requests(), downloaded, "offline makes no request");
    let missing = eval("acme/other", "x", &offline);
    assert_one_line_error(&missing, "acme/other");
    assert!(String::from_utf8_lossy(&missing.stderr).contains(&cache_text));

    // A hub id without a local folder and no network: one line naming the URL.
    let refused = eval("acme/absent", "y", &online);
    assert_one_line_error(&refused, "acme/absent");
}

#[test]
fn encode_and_convert_use_the_recorded_prefixes() {
    let scratch = Scratch::with_tiny_data();
    let folder = trained_model(&scratch);
    let folder_text = folder.to_str().unwrap();
    std::fs::write(
        scratch.path("texts.jsonl"),
        "{\"id\": \"q1\", \"text\": \"What is item 3?\"}\n{\"id\": \"q2\", \"text\": \"Was ist Ding 4?\"}\n",
    )
    .unwrap();
    let encode = |model: &str, output: &str, extra: &[&str]| {
        let mut args = vec![
            "encode",
            "--model",
            model,
            "--input",
            "texts.jsonl",
            "--output",
            output,
        ];
        args.extend_from_slice(extra);
        scratch.hbt(&args)
    };
    success(&encode(
        folder_text,
        "recorded.parquet",
        &["--prefix", "query"],
    ));
    let (ids, rows) =
        hbt_data::user_texts::read_embeddings(&scratch.path("recorded.parquet")).unwrap();
    assert_eq!(ids, ["q1", "q2"]);
    assert_eq!(rows[0].len(), 16);
    let norm: f32 = rows[0].iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "normalised as trained: {norm}");

    // The recorded prefix is applied: giving it again changes nothing; another one does.
    success(&encode(
        folder_text,
        "explicit.parquet",
        &["--prefix", "query", "--query-prefix", "query: "],
    ));
    success(&encode(
        folder_text,
        "other.parquet",
        &["--prefix", "query", "--query-prefix", ""],
    ));
    let read = |name: &str| {
        hbt_data::user_texts::read_embeddings(&scratch.path(name))
            .unwrap()
            .1
    };
    assert_eq!(read("explicit.parquet"), rows);
    assert_ne!(read("other.parquet"), rows);

    // convert writes a folder that evaluates like the original.
    success(&scratch.hbt(&["model", "convert", folder_text, "converted"]));
    success(&encode(
        "converted",
        "converted.parquet",
        &["--prefix", "query"],
    ));
    assert_eq!(read("converted.parquet"), rows);
    let again = scratch.hbt(&["model", "convert", folder_text, "converted"]);
    assert_one_line_error(&again, "converted");
}

#[test]
fn models_that_cannot_load_are_one_line_errors() {
    let scratch = Scratch::with_tiny_data();
    std::fs::write(scratch.path("texts.txt"), "one\ntwo\n").unwrap();
    std::fs::write(scratch.path("bad.bin"), b"not a model").unwrap();
    std::fs::write(scratch.path("tokenizer.json"), b"{}").unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "eval",
                "--checkpoint",
                "q4:missing.bin",
                "--task",
                "tiny-eval",
                "--out",
                "o",
            ],
            "missing.bin",
        ),
        (
            &[
                "encode",
                "--model",
                "q4:bad.bin",
                "--input",
                "texts.txt",
                "--output",
                "e.parquet",
            ],
            "bad.bin",
        ),
        (
            &[
                "encode",
                "--model",
                "no such folder",
                "--input",
                "texts.txt",
                "--output",
                "e.parquet",
            ],
            "no such folder",
        ),
        (&["model", "convert", "q4:bad.bin", "out"], "bad.bin"),
    ];
    for (args, culprit) in cases {
        let out = scratch.hbt(args);
        assert_one_line_error(&out, culprit);
    }
    assert!(!scratch.path("e.parquet").exists() && !scratch.path("out").exists());
}
