//! `hbt bench` end to end on the real XQuAD-R data (a few sentences, one batch), and its refusals.

mod common;

use common::Scratch;
use std::path::Path;

/// Runs `hbt ARGS` with the real data folder and asserts success (stderr shown otherwise).
fn bench_ok(scratch: &Scratch, data: &Path, args: &[&str]) -> std::process::Output {
    let out = scratch.hbt_env(args, &[("HBT_DATA_DIR", data.to_str().unwrap())]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn bench_encode_reports_both_backends() {
    let Some(data) = hbt_testkit::real_data_dir() else {
        return;
    };
    let scratch = Scratch::with_tiny_data();
    let json = scratch.path("bench.json");
    let out = bench_ok(
        &scratch,
        &data,
        &[
            "bench",
            "encode",
            "--repeats",
            "1",
            "--limit",
            "16",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    let table = String::from_utf8_lossy(&out.stdout);
    for needle in ["| flex |", "| ndarray |", "16 sentences", "flex / ndarray"] {
        assert!(table.contains(needle), "missing {needle}:\n{table}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["sentences"], 16);
    assert_eq!(report["backends"].as_array().unwrap().len(), 2);
    assert!(report["ratio_flex_over_ndarray"].as_f64().unwrap() > 0.0);
}

/// `hbt bench train` on one real batch: the JSON figures, and the export the PyTorch reference
/// reads (weights folder and token ids within the benchmark's length limits).
#[test]
fn bench_train_reports_rates_and_exports_the_inputs() {
    let Some(data) = hbt_testkit::real_data_dir() else {
        return;
    };
    let scratch = Scratch::with_tiny_data();
    let json = scratch.path("train.json");
    let export = scratch.path("export");
    bench_ok(
        &scratch,
        &data,
        &[
            "bench",
            "train",
            "--backend",
            "flex",
            "--steps",
            "1",
            "--repeats",
            "1",
            "--warmup",
            "1",
            "--length-buckets",
            "2",
            "--export",
            export.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["batches"], 1);
    assert_eq!(report["length_buckets"], 2);
    let executed = report["executed_gflop_per_pass"].as_f64().unwrap();
    assert!(executed > 0.0 && executed <= report["gflop_per_pass"].as_f64().unwrap());
    let flex = &report["backends"][0];
    assert_eq!(flex["backend"], "flex");
    assert!(flex["steps_per_s"]["median"].as_f64().unwrap() > 0.0);
    assert!(flex["gemm_peak_gflops"].as_f64().unwrap() > 0.0);
    assert!(flex["first_loss"].as_f64().unwrap().is_finite());

    assert!(export.join("model/config.json").is_file());
    assert!(export.join("model/model.safetensors").is_file());
    let batches: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(export.join("batches.json")).unwrap())
            .unwrap();
    let batch = &batches["batches"][0];
    let lengths = |side: &str| -> Vec<usize> {
        batch[side]
            .as_array()
            .unwrap()
            .iter()
            .map(|ids| ids.as_array().unwrap().len())
            .collect()
    };
    assert_eq!(lengths("questions").len(), 64);
    assert!(lengths("questions").iter().all(|&n| (1..=32).contains(&n)));
    assert!(lengths("answers").iter().all(|&n| (1..=128).contains(&n)));
}

/// Backend names are typed: clap refuses an unknown one, naming it, before anything runs.
#[test]
fn bench_train_refuses_an_unknown_backend_in_one_line() {
    let scratch = Scratch::with_tiny_data();
    let out = scratch.hbt(&["bench", "train", "--backend", "flex,tpu"]);
    common::assert_one_line_error(&out, "tpu");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("flex, ndarray"), "{stderr}");
}

/// A known backend the training benchmark does not measure is refused before any data is read.
#[test]
fn bench_train_refuses_cuda_in_one_line() {
    let scratch = Scratch::with_tiny_data();
    let out = scratch.hbt(&["bench", "train", "--backend", "flex,cuda"]);
    common::assert_one_line_error(&out, "--backend cuda");
}
