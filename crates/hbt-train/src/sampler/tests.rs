//! Sampler tests on small synthetic data.

use std::collections::{BTreeMap, HashSet};

use hbt_data::{GroupMember, Lang, ParallelGroup, TranslationPair};

use super::*;
use crate::error::TrainError;

fn lang(code: &str) -> Lang {
    Lang::parse(code).unwrap()
}

fn group(id: &str, langs: &[&str]) -> ParallelGroup {
    let members = langs
        .iter()
        .map(|l| {
            (
                lang(l),
                GroupMember {
                    question: format!("q:{id}:{l}"),
                    answer: format!("a:{id}:{l}"),
                    context: None,
                },
            )
        })
        .collect::<BTreeMap<_, _>>();
    ParallelGroup {
        id: id.to_string(),
        members,
    }
}

/// `n` groups over en/de/es/zh, some missing languages; every group has at least two.
/// Counts for 200: en 200, de 160, es 133, zh 107.
fn groups(prefix: &str, n: usize) -> Vec<ParallelGroup> {
    (0..n)
        .map(|i| {
            let mut langs = vec!["en"];
            if i % 5 != 0 {
                langs.push("de");
            }
            if i % 3 != 0 {
                langs.push("es");
            }
            if i % 2 == 0 || i % 15 == 0 {
                langs.push("zh");
            }
            group(&format!("{prefix}{i}"), &langs)
        })
        .collect()
}

/// A strategy with its α (α only matters for hybrid; 0.5 unless given).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Spec {
    strategy: Strategy,
    alpha: f64,
}

impl From<Strategy> for Spec {
    fn from(strategy: Strategy) -> Spec {
        Spec {
            strategy,
            alpha: 0.5,
        }
    }
}

fn hybrid(alpha: f64) -> Spec {
    Spec {
        strategy: Strategy::Hybrid,
        alpha,
    }
}

fn config(spec: impl Into<Spec>, batch_size: usize, seed: u64) -> SamplerConfig {
    let Spec { strategy, alpha } = spec.into();
    SamplerConfig {
        strategy,
        alpha,
        batch_size,
        language_weighting: LanguageWeighting::Proportional,
        seed,
    }
}

fn sampler(strategy: impl Into<Spec>, batch_size: usize, seed: u64) -> BatchSampler {
    BatchSampler::new(
        vec![TrainingSource::from_groups("synthetic", groups("g", 200))],
        config(strategy, batch_size, seed),
    )
    .unwrap()
}

const ALL: [Strategy; 4] = [
    Strategy::Mono,
    Strategy::Mixed,
    Strategy::Cross,
    Strategy::Hybrid,
];

/// Checks that every pair's texts belong to its group and languages.
fn check_texts(batch: &Batch) {
    for p in &batch.pairs {
        assert_eq!(p.question, format!("q:{}:{}", p.group_id, p.question_lang));
        assert_eq!(p.answer, format!("a:{}:{}", p.group_id, p.answer_lang));
    }
}

#[test]
fn hybrid_mono_share_is_within_three_sd_of_alpha() {
    let n = 10_000;
    for alpha in [0.0, 0.25, 0.5, 1.0] {
        let mut s = sampler(hybrid(alpha), 8, 11);
        let mut comp = BatchComposition::new();
        for batch in s.by_ref().take(n) {
            record(&mut comp, &batch);
        }
        let share = comp.mono_share();
        let sd = (alpha * (1.0 - alpha) / n as f64).sqrt();
        assert!(
            (share - alpha).abs() <= 3.0 * sd,
            "alpha {alpha}: mono share {share}, sd {sd}"
        );
        assert_eq!(comp.mono + comp.cross, n as u64);
        assert_eq!(comp.mixed, 0);
    }
}

#[test]
fn mono_batches_are_single_language() {
    for strategy in [Strategy::Mono.into(), hybrid(0.5)] {
        let mut s = sampler(strategy, 8, 3);
        let mut langs_seen = HashSet::new();
        for batch in s.by_ref().take(2000) {
            check_texts(&batch);
            if batch.kind == BatchKind::Mono {
                let l = batch.pairs[0].question_lang;
                langs_seen.insert(l);
                for p in &batch.pairs {
                    assert_eq!(p.question_lang, l);
                    assert_eq!(p.answer_lang, l);
                }
            }
        }
        assert_eq!(langs_seen.len(), 4);
    }
}

#[test]
fn mixed_pairs_share_a_language_that_varies_inside_batches() {
    let mut s = sampler(Strategy::Mixed, 8, 4);
    let mut multilingual_batches = 0;
    for batch in s.by_ref().take(1000) {
        check_texts(&batch);
        assert_eq!(batch.kind, BatchKind::Mixed);
        assert!(batch.pairs.iter().all(|p| p.question_lang == p.answer_lang));
        let langs: HashSet<Lang> = batch.pairs.iter().map(|p| p.question_lang).collect();
        if langs.len() > 1 {
            multilingual_batches += 1;
        }
    }
    assert!(multilingual_batches > 900, "{multilingual_batches}");
}

#[test]
fn cross_pairs_always_differ_in_language_and_cover_all_ordered_pairs() {
    for strategy in [Strategy::Cross.into(), hybrid(0.5)] {
        let mut s = sampler(strategy, 8, 5);
        let mut comp = BatchComposition::new();
        for batch in s.by_ref().take(2000) {
            check_texts(&batch);
            record(&mut comp, &batch);
            if batch.kind == BatchKind::Cross {
                assert!(batch.pairs.iter().all(|p| p.question_lang != p.answer_lang));
            }
        }
        let cross_keys = comp.pairs.keys().filter(|k| k[..2] != k[3..]).count();
        assert_eq!(cross_keys, 12, "{:?}", comp.pairs);
    }
}

#[test]
fn no_batch_repeats_a_group() {
    for strategy in ALL {
        for batch_size in [7, 16, 64] {
            let mut s = sampler(strategy, batch_size, 6);
            for batch in s.by_ref().take(500) {
                let ids: HashSet<&str> = batch.pairs.iter().map(|p| p.group_id.as_str()).collect();
                assert_eq!(ids.len(), batch.pairs.len(), "{strategy:?}");
            }
        }
    }
}

#[test]
fn every_group_is_visited_once_before_any_repeats() {
    for strategy in ALL {
        for batch_size in [7, 16] {
            let mut s = sampler(strategy, batch_size, 7);
            let total = s.source_sizes()[0];
            assert_eq!(total, 200);
            let mut seen = HashSet::new();
            let mut epochs = 0;
            let mut short = 0;
            for batch in s.by_ref().take(600) {
                if batch.pairs.len() < batch_size {
                    short += 1;
                }
                for p in &batch.pairs {
                    if !seen.insert(p.group_id.clone()) {
                        assert_eq!(
                            seen.len(),
                            total,
                            "{strategy:?}: a group repeated before the epoch was complete"
                        );
                        seen.clear();
                        seen.insert(p.group_id.clone());
                        epochs += 1;
                    }
                }
            }
            assert!(epochs >= 15, "{strategy:?} {epochs}");
            match strategy {
                Strategy::Mixed | Strategy::Cross => assert_eq!(short, 0, "{strategy:?}"),
                // At most one short batch per language per epoch.
                _ => assert!(short <= 4 * (epochs + 1), "{strategy:?}: {short} short"),
            }
        }
    }
}

#[test]
fn same_seed_same_sequence_different_seed_different_sequence() {
    for strategy in ALL {
        let a: Vec<Batch> = sampler(strategy, 8, 42).take(300).collect();
        let b: Vec<Batch> = sampler(strategy, 8, 42).take(300).collect();
        let c: Vec<Batch> = sampler(strategy, 8, 43).take(300).collect();
        assert_eq!(a, b, "{strategy:?}");
        assert_ne!(a, c, "{strategy:?}");
    }
}

#[test]
fn restoring_a_saved_state_continues_the_same_batches() {
    for strategy in ALL {
        let sources = || {
            vec![
                TrainingSource::from_groups("a", groups("a", 200)),
                TrainingSource::from_groups("b", groups("b", 90)),
            ]
        };
        let cfg = config(strategy, 8, 9);
        let straight: Vec<Batch> = BatchSampler::new(sources(), cfg)
            .unwrap()
            .take(500)
            .collect();
        let mut first = BatchSampler::new(sources(), cfg).unwrap();
        let head: Vec<Batch> = first.by_ref().take(137).collect();
        let saved = serde_json::to_string(&first.state()).unwrap();
        let state: SamplerState = serde_json::from_str(&saved).unwrap();
        let mut resumed = BatchSampler::new(sources(), cfg).unwrap();
        resumed.restore(&state).unwrap();
        assert_eq!(resumed.step(), 137);
        let tail: Vec<Batch> = resumed.take(363).collect();
        assert_eq!(head[..], straight[..137]);
        assert_eq!(tail[..], straight[137..], "{strategy:?}");
    }
}

#[test]
fn restore_refuses_a_state_of_another_sampler() {
    let s = sampler(Strategy::Mono, 8, 1);
    let mut other = sampler(Strategy::Mono, 8, 2);
    assert!(matches!(
        other.restore(&s.state()),
        Err(TrainError::StateMismatch(_))
    ));
    let mut other = sampler(Strategy::Mono, 16, 1);
    assert!(other.restore(&s.state()).is_err());
    let mut state = s.state();
    state.sources[0].visited.push(0);
    assert!(sampler(Strategy::Mono, 8, 1).restore(&state).is_err());
}

/// |observed − expected| ≤ 3 binomial sd over `n` draws.
fn assert_share(observed: u64, n: u64, p: f64, what: &str) {
    let share = observed as f64 / n as f64;
    let sd = (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (share - p).abs() <= 3.0 * sd,
        "{what}: share {share}, expected {p} ± 3·{sd}"
    );
}

#[test]
fn source_choice_is_proportional_to_size() {
    let n = 10_000u64;
    let mut s = BatchSampler::new(
        vec![
            TrainingSource::from_groups("big", groups("a", 200)),
            TrainingSource::from_groups("mid", groups("b", 100)),
            TrainingSource::from_groups("small", groups("c", 50)),
        ],
        config(hybrid(0.5), 8, 12),
    )
    .unwrap();
    let mut comp = BatchComposition::new();
    for batch in s.by_ref().take(n as usize) {
        record(&mut comp, &batch);
    }
    for (i, size) in [200.0, 100.0, 50.0].iter().enumerate() {
        assert_share(comp.by_source[i], n, size / 350.0, &format!("source {i}"));
    }
}

/// Mono batches per language.
fn mono_langs(s: &mut BatchSampler, n: usize) -> BTreeMap<Lang, u64> {
    let mut counts = BTreeMap::new();
    for batch in s.by_ref().take(n) {
        *counts.entry(batch.pairs[0].question_lang).or_insert(0) += 1;
    }
    counts
}

#[test]
fn mono_language_is_proportional_to_available_data() {
    // Languages that do not overlap: the shares are exact per epoch.
    let mut data = Vec::new();
    for (l, count) in [("en", 120), ("de", 60), ("zh", 20)] {
        data.extend((0..count).map(|i| group(&format!("{l}{i}"), &[l])));
    }
    let n = 10_000;
    let mut s = BatchSampler::new(
        vec![TrainingSource::from_groups("disjoint", data)],
        config(Strategy::Mono, 4, 13),
    )
    .unwrap();
    let counts = mono_langs(&mut s, n);
    for (l, p) in [("en", 0.6), ("de", 0.3), ("zh", 0.1)] {
        assert_share(counts[&lang(l)], n as u64, p, l);
    }

    // Overlapping languages (en 200, de 160, es 133, zh 107 of 600 members): the draw is
    // proportional while a language can fill a batch; near the end of an epoch the rarer
    // languages run out first, so the shares are close but not exact (documented).
    let mut s = sampler(Strategy::Mono, 4, 14);
    let counts = mono_langs(&mut s, n);
    for (l, members) in [("en", 200.0), ("de", 160.0), ("es", 133.0), ("zh", 107.0)] {
        let share = counts[&lang(l)] as f64 / n as f64;
        let want = members / 600.0;
        assert!((share - want).abs() < 0.04, "{l}: {share} vs {want}");
    }
}

#[test]
fn uniform_weighting_draws_languages_uniformly() {
    let data: Vec<ParallelGroup> = (0..200)
        .map(|i| group(&format!("g{i}"), &["ar", "de", "en", "zh"]))
        .collect();
    let n = 10_000;
    let mut cfg = config(Strategy::Mono, 8, 15);
    cfg.language_weighting = LanguageWeighting::Uniform;
    let mut s = BatchSampler::new(vec![TrainingSource::from_groups("full", data)], cfg).unwrap();
    let counts = mono_langs(&mut s, n);
    for l in ["ar", "de", "en", "zh"] {
        assert_share(counts[&lang(l)], n as u64, 0.25, l);
    }
}

fn translation_pairs(n: usize) -> Vec<TranslationPair> {
    (0..n)
        .map(|i| TranslationPair {
            id: format!("t{i}"),
            source_lang: lang("en"),
            source: format!("src{i}"),
            target_lang: lang("fr"),
            target: format!("tgt{i}"),
        })
        .collect()
}

#[test]
fn translation_sources_always_yield_cross_batches() {
    let mut s = BatchSampler::new(
        vec![
            TrainingSource::from_groups("qa", groups("g", 100)),
            TrainingSource::from_pairs("bitext", translation_pairs(100)),
        ],
        config(Strategy::Mono, 8, 16),
    )
    .unwrap();
    let mut from_pairs = 0;
    for batch in s.by_ref().take(400) {
        if batch.source == 1 {
            from_pairs += 1;
            assert_eq!(batch.kind, BatchKind::Cross);
            for p in &batch.pairs {
                let i = &p.group_id[1..];
                assert_eq!(p.question, format!("src{i}"));
                assert_eq!(p.answer, format!("tgt{i}"));
                assert_eq!((p.question_lang, p.answer_lang), (lang("en"), lang("fr")));
            }
        } else {
            assert_eq!(batch.kind, BatchKind::Mono);
        }
    }
    assert!(from_pairs > 100, "{from_pairs}");
}

#[test]
fn single_language_groups_are_dropped_only_when_cross_batches_are_drawn() {
    let mut data = groups("g", 50);
    data.extend((0..10).map(|i| group(&format!("solo{i}"), &["en"])));
    let make = |strategy: Spec| {
        BatchSampler::new(
            vec![TrainingSource::from_groups("s", data.clone())],
            config(strategy, 8, 17),
        )
        .unwrap()
    };
    assert_eq!(make(Strategy::Mono.into()).dropped(), vec![0]);
    assert_eq!(make(hybrid(1.0)).dropped(), vec![0]);
    assert_eq!(make(Strategy::Cross.into()).dropped(), vec![10]);
    assert_eq!(make(hybrid(0.3)).source_sizes(), vec![50]);
}

#[test]
fn bad_inputs_are_refused_with_the_name() {
    let err = BatchSampler::new(
        vec![
            TrainingSource::from_groups("ok", groups("g", 100)),
            TrainingSource::from_groups("tiny", groups("t", 5)),
        ],
        config(Strategy::Mono, 8, 1),
    )
    .unwrap_err();
    assert!(err.to_string().contains("`tiny`"), "{err}");
    let mut both = TrainingSource::from_groups("both", groups("g", 10));
    both.pairs = translation_pairs(10);
    let err = BatchSampler::new(vec![both], config(Strategy::Mono, 4, 1)).unwrap_err();
    assert_eq!(err, TrainError::MixedSource("both".into()));
    let err = BatchSampler::new(
        vec![TrainingSource::from_groups("g", groups("g", 10))],
        config(hybrid(1.5), 4, 1),
    )
    .unwrap_err();
    assert_eq!(err, TrainError::BadAlpha(1.5));
    assert_eq!(
        BatchSampler::new(vec![], config(Strategy::Mono, 4, 1)).unwrap_err(),
        TrainError::NoSources
    );
    let err = BatchSampler::new(
        vec![TrainingSource::from_groups("g", groups("g", 10))],
        config(Strategy::Mono, 0, 1),
    )
    .unwrap_err();
    assert_eq!(err, TrainError::ZeroBatchSize);
}

#[test]
fn composition_counts_batches_and_language_pairs_and_serialises() {
    let mut s = sampler(hybrid(0.5), 8, 18);
    let mut comp = BatchComposition::new();
    for batch in s.by_ref().take(100) {
        record(&mut comp, &batch);
    }
    assert_eq!(comp.batches, 100);
    assert_eq!(comp.mono + comp.cross, 100);
    let pairs: u64 = comp.pairs.values().sum();
    assert!((790..=800).contains(&pairs), "{pairs}");
    assert_eq!(comp.cross_lingual_pairs(), comp.cross * 8);
    let json = serde_json::to_string(&comp).unwrap();
    let back: BatchComposition = serde_json::from_str(&json).unwrap();
    assert_eq!(back, comp);
}

#[test]
fn strategy_and_config_serialise() {
    let cfg = config(hybrid(0.25), 32, 42);
    let json = serde_json::to_string(&cfg).unwrap();
    let back: SamplerConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cfg);
}
