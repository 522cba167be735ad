//! How well `split_sentences` reproduces the sentence breaks shipped with XQuAD-R and MLQA-R.
//!
//! Prints a Markdown table per dataset and language and fails when a language falls below its
//! floor (set a little below the measured agreement, so that regressions fail).

use std::path::Path;

use hbt_data::splitter::{measure_agreement, SplitAgreement};
use serde_json::Value;

/// (dataset, language, minimum share of shipped sentences reproduced, minimum share of
/// paragraphs segmented identically).
const FLOORS: &[(&str, &str, f64, f64)] = &[
    ("xquad-r", "ar", 0.98, 0.96),
    ("xquad-r", "de", 0.97, 0.91),
    ("xquad-r", "el", 0.94, 0.88),
    ("xquad-r", "en", 0.97, 0.95),
    ("xquad-r", "es", 0.92, 0.85),
    ("xquad-r", "hi", 0.97, 0.93),
    ("xquad-r", "ru", 0.96, 0.92),
    ("xquad-r", "th", 0.24, 0.10),
    ("xquad-r", "tr", 0.88, 0.70),
    ("xquad-r", "vi", 0.93, 0.88),
    ("xquad-r", "zh", 0.90, 0.83),
    ("mlqa-r", "ar", 0.96, 0.90),
    ("mlqa-r", "de", 0.95, 0.87),
    ("mlqa-r", "en", 0.97, 0.92),
    ("mlqa-r", "es", 0.95, 0.91),
    ("mlqa-r", "hi", 0.97, 0.94),
    ("mlqa-r", "vi", 0.92, 0.82),
    ("mlqa-r", "zh", 0.95, 0.90),
];

/// Agreement summed over all paragraphs of one SQuAD-layout file with `sentence_breaks`.
fn file_agreement(path: &Path) -> SplitAgreement {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let mut total = SplitAgreement::default();
    let articles = json["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no data array", path.display()));
    for article in articles {
        let paragraphs = article["paragraphs"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: article without paragraphs", path.display()));
        for paragraph in paragraphs {
            let context = paragraph["context"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: paragraph without context", path.display()));
            let breaks: Vec<(usize, usize)> = paragraph["sentence_breaks"]
                .as_array()
                .unwrap_or_else(|| panic!("{}: paragraph without sentence_breaks", path.display()))
                .iter()
                .map(|pair| {
                    let start = pair[0].as_u64().expect("break start is an integer");
                    let end = pair[1].as_u64().expect("break end is an integer");
                    (start as usize, end as usize)
                })
                .collect();
            total.add(measure_agreement(context, &breaks));
        }
    }
    total
}

#[test]
fn splitter_reproduces_shipped_sentence_breaks() {
    let Some(dir) = hbt_testkit::real_data_dir() else {
        return;
    };
    let mut table = String::from(
        "| dataset | lang | paragraphs | identical % | shipped sentences | reproduced % |\n\
         |---------|------|-----------:|------------:|------------------:|-------------:|\n",
    );
    let mut failures = Vec::new();
    let mut overall = SplitAgreement::default();
    for &(dataset, lang, min_sentence, min_paragraph) in FLOORS {
        let path = dir.join(dataset).join(format!("{lang}.json"));
        let agreement = file_agreement(&path);
        assert!(
            agreement.paragraphs > 0,
            "{} has no paragraphs",
            path.display()
        );
        overall.add(agreement);
        table.push_str(&format!(
            "| {dataset} | {lang} | {} | {:.1} | {} | {:.1} |\n",
            agreement.paragraphs,
            100.0 * agreement.paragraph_rate(),
            agreement.shipped_sentences,
            100.0 * agreement.sentence_rate(),
        ));
        if agreement.sentence_rate() < min_sentence || agreement.paragraph_rate() < min_paragraph {
            failures.push(format!(
                "{dataset}/{lang}: sentences {:.4} (floor {min_sentence}), paragraphs {:.4} (floor {min_paragraph})",
                agreement.sentence_rate(),
                agreement.paragraph_rate(),
            ));
        }
    }
    table.push_str(&format!(
        "| all | all | {} | {:.1} | {} | {:.1} |\n",
        overall.paragraphs,
        100.0 * overall.paragraph_rate(),
        overall.shipped_sentences,
        100.0 * overall.sentence_rate(),
    ));
    println!("{table}");
    assert!(
        failures.is_empty(),
        "agreement below floor:\n{}",
        failures.join("\n")
    );
}
