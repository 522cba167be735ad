//! `hbt data stats|inspect|split-check` on the real datasets.

mod common;

use common::{assert_one_line_error, Scratch};

fn hbt_on_real_data(args: &[&str]) -> Option<std::process::Output> {
    let data = hbt_testkit::real_data_dir()?;
    let scratch = Scratch::with_tiny_data();
    Some(scratch.hbt_env(args, &[("HBT_DATA_DIR", data.to_str().unwrap())]))
}

#[test]
fn stats_print_the_published_counts() {
    let Some(out) = hbt_on_real_data(&["data", "stats", "xquad-r"]) else {
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    for row in [
        "| th | 1190 | 852 |",
        "| de | 1190 | 1276 |",
        "| en | 1190 | 1180 |",
        "| 11 | 1190 |",
    ] {
        assert!(table.contains(row), "missing {row}:\n{table}");
    }
    let Some(out) = hbt_on_real_data(&["data", "stats", "mlqa-r", "--json"]) else {
        return;
    };
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let en = stats["languages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lang"] == "en")
        .unwrap();
    assert_eq!(
        (en["questions"].as_u64(), en["candidates"].as_u64()),
        (Some(1148), Some(6264))
    );
    assert_eq!(stats["groups"]["groups"], 1148);
}

#[test]
fn inspect_shows_parallel_answers() {
    let Some(out) =
        hbt_on_real_data(&["data", "inspect", "mlqa-r", "--lang", "hi", "--limit", "2"])
    else {
        return;
    };
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("group ").count(), 2, "{text}");
    assert!(
        text.contains("[hi] Q:") && text.contains("[en] Q:"),
        "{text}"
    );
}

#[test]
fn split_check_reports_every_language() {
    let Some(out) = hbt_on_real_data(&["data", "split-check", "mlqa-r"]) else {
        return;
    };
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for lang in ["ar", "de", "en", "es", "hi", "vi", "zh", "all"] {
        assert!(
            text.contains(&format!("| {lang} |")),
            "{lang} missing:\n{text}"
        );
    }
}

#[test]
fn unknown_dataset_and_language_are_one_line_errors() {
    let scratch = Scratch::with_tiny_data();
    assert_one_line_error(&scratch.hbt(&["data", "stats", "squad-x"]), "squad-x");
    assert_one_line_error(&scratch.hbt(&["data", "fetch", "squad-x"]), "squad-x");
    let tiny = scratch.path("tiny-eval");
    let out = scratch.hbt(&["data", "inspect", tiny.to_str().unwrap(), "--lang", "zz"]);
    assert_one_line_error(&out, "zz");
}
