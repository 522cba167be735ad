//! Streamed training data: a source kept in a row store on disk draws exactly the batches of
//! the same groups held in memory, under every strategy, with two sources mixed by size.

use std::sync::Arc;

use hbt_data::row_store::RowStore;
use hbt_train::{BatchSampler, SamplerConfig, Strategy, TrainingSource};

/// QA rows of `groups` groups in up to three languages (every third group in one only).
fn rows(groups: usize, prefix: &str) -> String {
    (0..groups)
        .flat_map(|g| {
            let langs: &[&str] = if g % 3 == 0 { &["en"] } else { &["en", "de", "zh"] };
            langs
                .iter()
                .map(|l| {
                    format!(
                        "{{\"group_id\": \"{prefix}{g}\", \"lang\": \"{l}\", \"question\": \"{prefix} q{g} {l}\", \"answer\": \"a{g} {l}\"}}\n"
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn store(dir: &std::path::Path, name: &str, text: &str) -> Arc<RowStore> {
    let path = dir.join(format!("{name}.jsonl"));
    std::fs::write(&path, text).unwrap();
    Arc::new(RowStore::build(&path, &dir.join(format!("{name}.spill")), &mut |_| {}).unwrap())
}

#[test]
fn a_stored_source_draws_the_batches_of_the_same_groups_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let stores = [
        store(dir.path(), "big", &rows(300, "b")),
        store(dir.path(), "small", &rows(90, "s")),
    ];
    for strategy in [
        Strategy::Mono,
        Strategy::Mixed,
        Strategy::Cross,
        Strategy::Hybrid,
    ] {
        let config = SamplerConfig {
            strategy,
            alpha: 0.5,
            batch_size: 8,
            language_weighting: Default::default(),
            seed: 5,
        };
        let mut stored_sources = Vec::new();
        let mut memory_sources = Vec::new();
        for (store, name) in stores.iter().zip(["big", "small"]) {
            let (train, _dev) = store.split(0.1, 5).unwrap();
            let groups = train
                .iter()
                .map(|&g| store.group(g as usize).unwrap())
                .collect();
            memory_sources.push(TrainingSource::from_groups(name, groups));
            stored_sources.push(TrainingSource::from_store(name, store.clone(), train));
        }
        let mut stored = BatchSampler::new(stored_sources, config).unwrap();
        let mut memory = BatchSampler::new(memory_sources, config).unwrap();
        assert_eq!(stored.source_sizes(), memory.source_sizes());
        assert_eq!(stored.dropped(), memory.dropped());
        let mut from_small = 0;
        for step in 0..400 {
            let batch = stored.next_batch().unwrap();
            assert_eq!(
                batch,
                memory.next_batch().unwrap(),
                "{strategy:?} batch {step}"
            );
            from_small += batch.source;
        }
        assert_eq!(stored.state(), memory.state());
        // Sources are drawn in proportion to their usable groups (3 sd of a binomial).
        let sizes = stored.source_sizes();
        let p = sizes[1] as f64 / (sizes[0] + sizes[1]) as f64;
        let (mean, sd) = (400.0 * p, (400.0 * p * (1.0 - p)).sqrt());
        assert!(
            (from_small as f64 - mean).abs() <= 3.0 * sd,
            "{strategy:?}: {from_small} batches from the small source, expected {mean:.0} ± {sd:.1}"
        );
    }
}
