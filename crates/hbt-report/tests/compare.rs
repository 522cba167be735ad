//! Significance tests on cases with a known answer.

mod common;

use common::*;
use hbt_report::{compare_groups, compare_runs, load_experiment, load_run, CompareOptions};

#[test]
fn identical_runs_give_p_one_and_zero_interval() {
    let dir = tempfile::tempdir().unwrap();
    let a = load_run(&write_run(dir.path(), &Spec::trained("a", "mono", 0.5, 1))).unwrap();
    let b = load_run(&write_run(dir.path(), &Spec::trained("b", "mono", 0.5, 2))).unwrap();
    let cmp = compare_runs(&a, &b, &CompareOptions::default()).unwrap();
    let settings: Vec<(&str, &str)> = cmp
        .tests
        .iter()
        .map(|t| (t.setting.as_str(), t.measure.as_str()))
        .collect();
    assert_eq!(
        settings,
        [
            ("mono", "ap"),
            ("mono", "rr_at_10"),
            ("cross", "ap"),
            ("cross", "rr_at_10"),
            ("multi", "ap"),
            ("multi", "rr_at_10"),
            ("multi", "rank_distance"),
        ]
    );
    for t in &cmp.tests {
        assert_eq!(t.p_value, 1.0, "{t:?}");
        assert_eq!((t.ci_low, t.ci_high), (0.0, 0.0), "{t:?}");
        assert_eq!(t.mean_diff, 0.0);
        assert!(!t.significant);
    }
    assert_eq!(cmp.tests[0].queries, LANGS.len() * QUERIES);
    assert_eq!(
        cmp.tests[2].queries,
        LANGS.len() * (LANGS.len() - 1) * QUERIES
    );
    for d in &cmp.deltas {
        assert_eq!(d.delta, 0.0, "{d:?}");
    }
    assert!(cmp.notes.is_empty());
}

#[test]
fn constant_shift_is_significant_with_exact_interval() {
    let dir = tempfile::tempdir().unwrap();
    let a = load_run(&write_run(dir.path(), &Spec::trained("a", "mono", 0.5, 1))).unwrap();
    // Every per-query AP and RR@10 is 8/64 = 0.125 higher; metrics.json mAP 0.05 higher.
    let b = load_run(&write_run(
        dir.path(),
        &Spec::trained("b", "hybrid", 0.5, 1).shift(8).quality(0.05),
    ))
    .unwrap();
    let cmp = compare_runs(&a, &b, &CompareOptions::default()).unwrap();
    assert_eq!(cmp.tests.len(), 7);
    let rank_distance = cmp.tests.iter().find(|t| t.measure == "rank_distance");
    assert_eq!(
        rank_distance.map(|t| t.p_value),
        Some(1.0),
        "same answer ranks"
    );
    for t in cmp.tests.iter().filter(|t| t.measure != "rank_distance") {
        assert!(t.p_value < 0.05, "{t:?}");
        assert!(t.significant);
        assert!(t.ci_low <= 0.125 && 0.125 <= t.ci_high, "{t:?}");
        assert_eq!((t.ci_low, t.ci_high), (0.125, 0.125));
        assert_eq!(t.mean_diff, 0.125);
    }
    for d in &cmp.deltas {
        assert!((d.delta - 0.05).abs() < 1e-12, "{d:?}");
    }
    let md = cmp.to_markdown();
    assert!(md.contains("[+0.1250, +0.1250]"), "{md}");
    assert!(md.contains("✓"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&cmp.to_json()).unwrap();
    assert_eq!(json["tests"][0]["ci_low"], 0.125);
    assert_eq!(json["a"]["label"], "a");

    // Seeded: the same options give the same numbers.
    let again = compare_runs(&a, &b, &CompareOptions::default()).unwrap();
    assert_eq!(again.to_json(), cmp.to_json());
}

#[test]
fn a_shift_on_every_query_gets_the_smallest_monte_carlo_p() {
    let dir = tempfile::tempdir().unwrap();
    let a = load_run(&write_run(dir.path(), &Spec::trained("a", "mono", 0.5, 1))).unwrap();
    let b = load_run(&write_run(
        dir.path(),
        &Spec::trained("b", "mono", 0.5, 1).shift(-4),
    ))
    .unwrap();
    let options = CompareOptions {
        settings: vec!["multi".to_string()],
        ..CompareOptions::default()
    };
    let cmp = compare_runs(&a, &b, &options).unwrap();
    assert_eq!(cmp.tests.len(), 3);
    let t = &cmp.tests[0];
    // 24 queries: Monte Carlo with 10,000 flips, none as extreme: p = 1 / 10,001.
    assert_eq!(t.queries, 24);
    assert_eq!(t.p_value, 1.0 / 10_001.0);
    assert_eq!(t.mean_diff, -0.0625);
}

#[test]
fn strategies_compare_over_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("fixture");
    // Two mono seeds shifted by 0 and 8 64ths average to +4/64; hybrid is +4/64 everywhere.
    write_run(&exp, &Spec::trained("mono-s1", "mono", 0.5, 1));
    write_run(&exp, &Spec::trained("mono-s2", "mono", 0.5, 2).shift(8));
    write_run(&exp, &Spec::trained("hybrid-s1", "hybrid", 0.5, 1).shift(4));
    write_run(&exp, &Spec::trained("hybrid-s2", "hybrid", 0.5, 2).shift(4));
    let experiment = load_experiment(&exp).unwrap();
    let mono = experiment.find_group("mono").unwrap();
    let hybrid = experiment.find_group("hybrid-a0.5").unwrap();
    assert_eq!(mono.runs.len(), 2);
    assert_eq!(hybrid.label, "hybrid (α=0.5)");
    let cmp = compare_groups(&mono, &hybrid, &CompareOptions::default()).unwrap();
    assert_eq!(cmp.a.runs, ["mono-s1", "mono-s2"]);
    for t in &cmp.tests {
        assert_eq!(t.p_value, 1.0, "{t:?}");
        assert_eq!((t.ci_low, t.ci_high), (0.0, 0.0));
    }
    assert!(experiment.find_group("mixed").is_err());
    assert!(experiment.find_group("trained").is_err());
}

#[test]
fn rank_distance_is_tested_per_query_on_the_multilingual_pool() {
    let dir = tempfile::tempdir().unwrap();
    // Spread s puts a query's four answers at ranks b, b+st, b+2st+qid, b+3st with
    // st = s·(1 + language index) > qid, so its rank distance is 3·s·(1 + language index).
    let a = load_run(&write_run(
        dir.path(),
        &Spec::trained("a", "mono", 0.5, 1).spread(8),
    ))
    .unwrap();
    let b = load_run(&write_run(
        dir.path(),
        &Spec::trained("b", "hybrid", 0.5, 1).spread(16),
    ))
    .unwrap();
    let cmp = compare_runs(&a, &b, &CompareOptions::default()).unwrap();
    let t = cmp
        .tests
        .iter()
        .find(|t| t.measure == "rank_distance")
        .expect("a rank-distance test");
    assert_eq!(t.setting, "multi");
    assert_eq!(t.queries, LANGS.len() * QUERIES);
    // Mean over languages of 24·(1 + i): 24 · 2.5 = 60; A's mean is 3·8·2.5 = 60 too.
    assert_eq!(t.mean_a, 60.0);
    assert_eq!(t.mean_b, 120.0);
    assert_eq!(t.mean_diff, 60.0);
    assert!(t.significant && t.ci_low > 0.0, "{t:?}");
    assert!(cmp.to_markdown().contains("| rank distance | 24 |"));
}
