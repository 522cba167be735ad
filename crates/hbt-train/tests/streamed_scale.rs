//! Streamed training data at scale. **A scale test, not data**: a Parquet file of 5,038,800
//! QA rows made by repeating the real MLQA-R question rows (4,199 per copy, 1,200 copies) under
//! new group ids (`copy-N/ID`). A child process (this test binary again) builds the row store
//! from it and draws 2,000 hybrid batches; its peak resident memory (VmHWM) must stay under
//! [`PEAK_BOUND_MIB`] (the texts it spills to disk are larger than that bound) and the
//! batches' kinds and languages must keep their expected shares within 3 sd.

use std::collections::BTreeMap;
use std::fs::File;
use std::sync::Arc;

use hbt_data::lareqa::read_lareqa_dir;
use hbt_data::row_store::RowStore;
use hbt_data::squad::SentenceSource;
use hbt_train::{BatchKind, BatchSampler, SamplerConfig, Strategy, TrainingSource};
use polars::prelude::*;

const COPIES: usize = 1200;
/// The bound on the child's peak resident memory: index, polars' slices and the binary.
const PEAK_BOUND_MIB: f64 = 600.0;
const CHILD: &str = "HBT_SCALE_TEST_PARQUET";

/// The child: builds the store, samples, prints its findings as `key value` lines.
fn child(parquet: &str) {
    let spill = format!("{parquet}.spill");
    let started = std::time::Instant::now();
    let store = Arc::new(RowStore::build(parquet.as_ref(), spill.as_ref(), &mut |_| {}).unwrap());
    let built = started.elapsed().as_secs_f64();
    let (train, _dev) = store.split(0.001, 1).unwrap();
    let config = SamplerConfig {
        strategy: Strategy::Hybrid,
        alpha: 0.5,
        batch_size: 32,
        language_weighting: Default::default(),
        seed: 1,
    };
    let source = TrainingSource::from_store("scale", store.clone(), train);
    let mut sampler = BatchSampler::new(vec![source], config).unwrap();
    let (mut mono, mut english) = (0usize, 0usize);
    let mut mono_batches = 0;
    for _ in 0..2000 {
        let batch = sampler.next_batch().unwrap();
        if batch.kind == BatchKind::Mono {
            mono += 1;
            mono_batches += 1;
            english += usize::from(batch.pairs[0].question_lang.as_str() == "en");
        }
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak_kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    let spill_bytes = std::fs::metadata(&spill).unwrap().len();
    println!("spill_mib {:.1}", spill_bytes as f64 / 1048576.0);
    println!("rows {}", store.rows());
    println!("groups {}", store.groups());
    println!("index_mib {:.1}", store.index_bytes() as f64 / 1048576.0);
    println!("build_s {built:.1}");
    println!("peak_mib {:.1}", peak_kib / 1024.0);
    println!("mono {mono}");
    println!("mono_english {english} {mono_batches}");
    let _ = std::fs::remove_file(&spill);
}

#[test]
fn five_million_streamed_rows_sample_in_bounded_memory() {
    if let Ok(parquet) = std::env::var(CHILD) {
        return child(&parquet);
    }
    let Some(data) = hbt_testkit::real_data_dir() else {
        return;
    };
    let groups = read_lareqa_dir(
        &data.join("mlqa-r"),
        None,
        SentenceSource::ShippedOrSplitter,
    )
    .unwrap()
    .groups();
    let rows: Vec<(&str, String, &str, &str)> = groups
        .iter()
        .flat_map(|g| {
            g.members.iter().map(|(lang, m)| {
                (
                    g.id.as_str(),
                    lang.to_string(),
                    m.question.as_str(),
                    m.answer.as_str(),
                )
            })
        })
        .collect();
    let english_rows = rows.iter().filter(|r| r.1 == "en").count();
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("scale-test-repeated-mlqa-r.parquet");
    let column = |name: &str, values: Vec<String>| Column::new(name.into(), values);
    let copy = |n: usize| -> DataFrame {
        DataFrame::new(
            rows.len(),
            vec![
                column(
                    "group_id",
                    rows.iter().map(|r| format!("copy-{n}/{}", r.0)).collect(),
                ),
                column("lang", rows.iter().map(|r| r.1.clone()).collect()),
                column("question", rows.iter().map(|r| r.2.to_string()).collect()),
                column("answer", rows.iter().map(|r| r.3.to_string()).collect()),
            ],
        )
        .unwrap()
    };
    let first = copy(0);
    let mut writer = ParquetWriter::new(File::create(&parquet).unwrap())
        .batched(first.schema())
        .unwrap();
    writer.write_batch(&first).unwrap();
    for n in 1..COPIES {
        writer.write_batch(&copy(n)).unwrap();
    }
    writer.finish().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "five_million_streamed_rows_sample_in_bounded_memory",
            "--nocapture",
        ])
        .env(CHILD, &parquet)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let found: BTreeMap<&str, Vec<f64>> = stdout
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let key = parts.next()?;
            let values: Option<Vec<f64>> = parts.map(|v| v.parse().ok()).collect();
            Some((key, values?))
        })
        .collect();
    eprintln!("scale test (repeated MLQA-R rows): {found:?}");
    assert_eq!(found["rows"][0] as usize, rows.len() * COPIES);
    assert!(found["rows"][0] >= 5e6);
    assert!(found["peak_mib"][0] < PEAK_BOUND_MIB, "{found:?}");
    assert!(found["spill_mib"][0] > PEAK_BOUND_MIB, "{found:?}");
    // Hybrid α 0.5: half the batches mono (binomial, 3 sd).
    let mono = found["mono"][0];
    assert!(
        (mono - 1000.0).abs() <= 3.0 * 500f64.sqrt(),
        "{mono} mono batches of 2000"
    );
    // Mono batches pick their language in proportion to its groups: English is in every group.
    let (english, mono_batches) = (found["mono_english"][0], found["mono_english"][1]);
    let p = english_rows as f64 / rows.len() as f64;
    let (mean, sd) = (mono_batches * p, (mono_batches * p * (1.0 - p)).sqrt());
    assert!(
        (english - mean).abs() <= 3.0 * sd,
        "{english} English of {mono_batches}, expected {mean:.0} ± {sd:.1}"
    );
}
