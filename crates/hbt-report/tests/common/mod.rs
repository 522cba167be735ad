//! A small results-folder fixture: hand-written metrics.json, config.toml, train/dev logs and
//! a per_query.parquet written with polars.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::{json, Value};

/// XQuAD-R-like languages; `el` is zero-shot.
pub const LANGS: [&str; 4] = ["de", "el", "en", "es"];
pub const TRAIN_LANGS: [&str; 3] = ["de", "en", "es"];
pub const QUERIES: usize = 6;
pub const TASK: &str = "xquad-r";

/// One run of the fixture.
#[derive(Clone, Debug)]
pub struct Spec {
    pub name: &'static str,
    pub model: &'static str,
    pub strategy: &'static str,
    pub alpha: f64,
    pub seed: u64,
    /// Added to every mAP in metrics.json.
    pub quality: f64,
    /// Added to every per-query AP and RR@10, in 64ths (keeps values exact in binary).
    pub shift_64ths: i32,
    /// Rank distance scale (multi setting).
    pub spread: u32,
}

impl Spec {
    pub fn trained(name: &'static str, strategy: &'static str, alpha: f64, seed: u64) -> Spec {
        Spec {
            name,
            model: "trained",
            strategy,
            alpha,
            seed,
            quality: 0.0,
            shift_64ths: 0,
            spread: 4,
        }
    }

    pub fn quality(mut self, q: f64) -> Spec {
        self.quality = q;
        self
    }

    pub fn shift(mut self, s: i32) -> Spec {
        self.shift_64ths = s;
        self
    }

    pub fn spread(mut self, s: u32) -> Spec {
        self.spread = s;
        self
    }
}

fn m(map: f64) -> Value {
    json!({"queries": QUERIES, "map": map, "mrr_at_10": (map + 0.1).min(1.0),
           "recall_at_1": map * 0.8, "recall_at_5": map, "recall_at_10": map,
           "recall_at_100": 1.0, "ndcg_at_10": map})
}

/// mono mAP of language index `i` before the run's quality offset.
pub fn mono_base(i: usize) -> f64 {
    0.50 + 0.05 * i as f64
}

/// cross mAP of X→Y before the quality offset.
pub fn cross_base(x: usize, y: usize) -> f64 {
    0.20 + 0.04 * x as f64 + 0.01 * y as f64
}

/// multi mAP of query language `i` before the quality offset.
pub fn multi_base(i: usize) -> f64 {
    0.30 + 0.02 * i as f64
}

/// The metrics.json value of a run (mAP values shifted by `quality`).
pub fn metrics_json(spec: &Spec) -> Value {
    let q = spec.quality;
    let mono: serde_json::Map<String, Value> = LANGS
        .iter()
        .enumerate()
        .map(|(i, l)| (l.to_string(), m(mono_base(i) + q)))
        .collect();
    let mut pairs = serde_json::Map::new();
    let mut cross_sum = 0.0;
    for (x, lx) in LANGS.iter().enumerate() {
        for (y, ly) in LANGS.iter().enumerate() {
            if x != y {
                pairs.insert(format!("{lx}-{ly}"), m(cross_base(x, y) + q));
                cross_sum += cross_base(x, y) + q;
            }
        }
    }
    let multi: serde_json::Map<String, Value> = LANGS
        .iter()
        .enumerate()
        .map(|(i, l)| (l.to_string(), m(multi_base(i) + q)))
        .collect();
    let rd_lang: serde_json::Map<String, Value> = LANGS
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                l.to_string(),
                json!({"mean": spec.spread as f64 * (i + 1) as f64, "median": spec.spread as f64, "queries": QUERIES}),
            )
        })
        .collect();
    let mono_mean = (0..4).map(mono_base).sum::<f64>() / 4.0 + q;
    let multi_mean = (0..4).map(multi_base).sum::<f64>() / 4.0 + q;
    let rd_mean = spec.spread as f64 * 2.5;
    let zero: Vec<&str> = if spec.model == "trained" {
        vec!["el"]
    } else {
        vec![]
    };
    json!({
        "schema_version": 1,
        "model": spec.model,
        "train_languages": if spec.model == "trained" { TRAIN_LANGS.to_vec() } else { vec![] },
        "tasks": [{
            "task": TASK, "kind": "qa",
            "languages": LANGS,
            "zero_shot_languages": zero,
            "mono": {"mean": m(mono_mean), "per_language": mono},
            "cross": {"mean": m(cross_sum / 12.0), "pairs": pairs},
            "multi": {
                "mean": m(multi_mean), "per_language": multi,
                "rank_distance": {"mean": rd_mean, "median": spec.spread as f64, "queries": 24, "per_language": rd_lang},
                "same_language_share_at_10": {"en": {"share": 0.4, "pool_share": 0.25}}
            }
        }]
    })
}

/// Per-query AP in 64ths for a query (before the run's shift): dyadic, so shifts are exact.
fn ap_64ths(setting: usize, ql: usize, pl: usize, qid: usize) -> i32 {
    ((setting * 7 + ql * 5 + pl * 3 + qid * 11) % 40) as i32 + 8
}

/// Writes per_query.parquet for a run.
pub fn write_per_query(path: &Path, spec: &Spec) {
    let mut dataset = Vec::new();
    let mut setting = Vec::new();
    let mut query_lang = Vec::new();
    let mut pool_lang = Vec::new();
    let mut query_id = Vec::new();
    let mut ap = Vec::new();
    let mut rr = Vec::new();
    let mut rr10 = Vec::new();
    let mut recall = Vec::new();
    let mut ndcg = Vec::new();
    let mut ranks: Vec<Series> = Vec::new();
    let mut push = |s: &str, ql: usize, pl: Option<usize>, qid: usize, r: Vec<u32>| {
        let si = ["mono", "cross", "multi"]
            .iter()
            .position(|x| *x == s)
            .unwrap();
        let v = (ap_64ths(si, ql, pl.unwrap_or(9), qid) + spec.shift_64ths) as f64 / 64.0;
        dataset.push(TASK.to_string());
        setting.push(s.to_string());
        query_lang.push(LANGS[ql].to_string());
        pool_lang.push(pl.map(|p| LANGS[p]).unwrap_or("all").to_string());
        query_id.push(format!("q{qid}"));
        ap.push(v);
        rr.push(v);
        rr10.push(v);
        recall.push(1.0);
        ndcg.push(v);
        ranks.push(Series::new("".into(), r));
    };
    for ql in 0..LANGS.len() {
        for qid in 0..QUERIES {
            push("mono", ql, Some(ql), qid, vec![1 + (qid as u32 % 3)]);
            for pl in 0..LANGS.len() {
                if pl != ql {
                    push("cross", ql, Some(pl), qid, vec![1 + (qid as u32 % 4)]);
                }
            }
            // Four relevant answers; the spread sets how far apart they land.
            let base = 1 + qid as u32;
            let step = spec.spread * (1 + ql as u32);
            push(
                "multi",
                ql,
                None,
                qid,
                vec![
                    base,
                    base + step,
                    base + 2 * step + qid as u32,
                    base + 3 * step,
                ],
            );
        }
    }
    let n = dataset.len();
    let columns: Vec<Column> = vec![
        Series::new("dataset".into(), dataset).into(),
        Series::new("setting".into(), setting).into(),
        Series::new("query_lang".into(), query_lang).into(),
        Series::new("pool_lang".into(), pool_lang).into(),
        Series::new("query_id".into(), query_id).into(),
        Series::new("ap".into(), ap).into(),
        Series::new("rr".into(), rr).into(),
        Series::new("rr_at_10".into(), rr10).into(),
        Series::new("recall_at_10".into(), recall).into(),
        Series::new("ndcg_at_10".into(), ndcg).into(),
        Series::new("relevant_ranks".into(), ranks).into(),
    ];
    let mut df = DataFrame::new(n, columns).unwrap();
    ParquetWriter::new(fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

/// Writes one run folder under `experiment`.
pub fn write_run(experiment: &Path, spec: &Spec) -> PathBuf {
    let dir = experiment.join(spec.name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("metrics.json"),
        serde_json::to_string_pretty(&metrics_json(spec)).unwrap(),
    )
    .unwrap();
    fs::write(
        dir.join("config.toml"),
        format!(
            "description = \"fixture\"\nseed = {}\nbackend = \"flex\"\n\n[data]\ntrain = [\"mlqa-r\"]\neval = [\"xquad-r\"]\n\n[train]\nstrategy = \"{}\"\nalpha = {:?}\nbatch_size = 16\nsteps = 60\n",
            spec.seed, spec.strategy, spec.alpha
        ),
    )
    .unwrap();
    write_per_query(&dir.join("per_query.parquet"), spec);
    if spec.model == "trained" {
        let mut train = String::from("step,loss,learning_rate,batch_kind,languages\n");
        for step in 1..=60u64 {
            let loss = 3.0 * (-(step as f64) / (20.0 + spec.quality * 100.0)).exp()
                + 0.3
                + 0.15 * ((step * 7 + spec.seed) % 5) as f64 / 5.0;
            let kind = if step % 2 == 0 { "mono" } else { "cross" };
            train.push_str(&format!("{step},{loss:.4},0.0005,{kind},de-en;en-es\n"));
        }
        fs::write(dir.join("train_log.csv"), train).unwrap();
        let mut dev = String::from("step,dev_loss,dev_recall_at_1,selected\n");
        for (i, step) in [15u64, 30, 45, 60].iter().enumerate() {
            let r1 = 0.3 + 0.1 * i as f64 + spec.quality - if i == 3 { 0.05 } else { 0.0 };
            dev.push_str(&format!(
                "{step},{:.3},{r1:.3},{}\n",
                2.0 - 0.3 * i as f64,
                i == 2
            ));
        }
        fs::write(dir.join("dev_log.csv"), dev).unwrap();
    }
    dir
}

/// A reference run (bm25 / untrained): metrics.json and per_query.parquet only.
pub fn write_reference(experiment: &Path, name: &'static str, model: &'static str) -> PathBuf {
    let spec = Spec {
        name,
        model,
        strategy: "",
        alpha: 0.0,
        seed: 0,
        quality: -0.15,
        shift_64ths: -6,
        spread: 30,
    };
    let dir = experiment.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("metrics.json"),
        serde_json::to_string_pretty(&metrics_json(&spec)).unwrap(),
    )
    .unwrap();
    write_per_query(&dir.join("per_query.parquet"), &spec);
    dir
}

/// The standard fixture: bm25, two mono seeds, cross, two hybrid α values, and one run folder
/// still in progress (no metrics.json).
pub fn standard(experiment: &Path) {
    write_reference(experiment, "bm25", "bm25");
    write_run(
        experiment,
        &Spec::trained("mono-s1", "mono", 0.5, 1)
            .quality(0.00)
            .spread(12),
    );
    write_run(
        experiment,
        &Spec::trained("mono-s2", "mono", 0.5, 2)
            .quality(0.02)
            .spread(12),
    );
    write_run(
        experiment,
        &Spec::trained("cross-s1", "cross", 0.5, 1)
            .quality(-0.04)
            .spread(2),
    );
    write_run(
        experiment,
        &Spec::trained("hybrid-a0.5-s1", "hybrid", 0.5, 1)
            .quality(0.03)
            .spread(4),
    );
    write_run(
        experiment,
        &Spec::trained("hybrid-a0.25-s1", "hybrid", 0.25, 1)
            .quality(-0.01)
            .spread(3),
    );
    let partial = experiment.join("in-progress");
    fs::create_dir_all(&partial).unwrap();
    fs::write(partial.join("config.toml"), "seed = 3\n").unwrap();
}
