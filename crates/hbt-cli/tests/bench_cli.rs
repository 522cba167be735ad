//! `hbt bench encode` end to end on the real XQuAD-R data, cut to a few sentences.

mod common;

use common::Scratch;

#[test]
fn bench_encode_reports_both_backends() {
    let Some(data) = hbt_testkit::real_data_dir() else {
        return;
    };
    let scratch = Scratch::with_tiny_data();
    let json = scratch.path("bench.json");
    let out = scratch.hbt_env(
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
        &[("HBT_DATA_DIR", data.to_str().unwrap())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
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
