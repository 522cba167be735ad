//! Comparing two runs, or two strategies over seeds: metric deltas from `metrics.json` and paired
//! significance tests over queries from `per_query.parquet`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{ReportError, Result};
use crate::groups::RunGroup;
use crate::load::{QueryKey, Run};
use crate::stats::{bootstrap_ci, mean, sign_flip_p, stable_hash};
use crate::tables::{fmt_num, md_escape};

/// Settings of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct CompareOptions {
    /// Bootstrap resamples for the confidence interval.
    pub resamples: usize,
    /// Random sign flips for the permutation test (small samples are tested exactly).
    pub permutations: usize,
    /// Confidence level of the interval.
    pub confidence: f64,
    /// Significance threshold for p-values.
    pub significance: f64,
    /// Seed of the resampling; the same seed gives the same numbers.
    pub seed: u64,
    /// Settings to test (`mono`, `cross`, `multi`, ...); empty means every setting present.
    pub settings: Vec<String>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            resamples: 10_000,
            permutations: 10_000,
            confidence: 0.95,
            significance: 0.05,
            seed: 0,
            settings: Vec::new(),
        }
    }
}

/// One side of a comparison: a label and the runs averaged on that side.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// Label (run name or strategy label).
    pub label: String,
    /// Run folders averaged on this side.
    pub runs: Vec<String>,
}

/// The change of one aggregate metric from `metrics.json` (B − A; means over seeds).
#[derive(Debug, Clone, Serialize)]
pub struct MetricDelta {
    /// Task (dataset).
    pub dataset: String,
    /// `mono`, `cross` or `multi`.
    pub setting: String,
    /// `map` or `mrr_at_10`.
    pub metric: String,
    /// Value on side A.
    pub a: f64,
    /// Value on side B.
    pub b: f64,
    /// B − A.
    pub delta: f64,
}

/// A paired test over the queries of one dataset and setting.
#[derive(Debug, Clone, Serialize)]
pub struct PairedTest {
    /// Task (dataset).
    pub dataset: String,
    /// Setting (`mono`, `cross`, `multi`, ...).
    pub setting: String,
    /// Per-query measure: `ap`, `rr_at_10` or `rank_distance` (max − min rank of a query's
    /// parallel answers, multilingual pool only; lower is less language-biased).
    pub measure: String,
    /// Number of paired queries.
    pub queries: usize,
    /// Mean of the measure on side A over the paired queries.
    pub mean_a: f64,
    /// Mean on side B.
    pub mean_b: f64,
    /// Mean of the paired differences (B − A).
    pub mean_diff: f64,
    /// Lower end of the bootstrap confidence interval of the mean difference.
    pub ci_low: f64,
    /// Upper end of the interval.
    pub ci_high: f64,
    /// Two-sided p-value of the paired sign-flip test.
    pub p_value: f64,
    /// True when `p_value` < the significance threshold.
    pub significant: bool,
}

/// The result of [`compare_runs`] / [`compare_groups`].
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Side A (the baseline).
    pub a: Side,
    /// Side B (differences are B − A).
    pub b: Side,
    /// The options used.
    pub options: CompareOptions,
    /// Aggregate deltas from `metrics.json`.
    pub deltas: Vec<MetricDelta>,
    /// Paired tests over queries.
    pub tests: Vec<PairedTest>,
    /// Queries that could not be paired, and similar remarks.
    pub notes: Vec<String>,
}

/// Compares run `b` against run `a` (differences are B − A).
pub fn compare_runs(a: &Run, b: &Run, options: &CompareOptions) -> Result<Comparison> {
    compare_run_sets(
        &a.name,
        std::slice::from_ref(&a),
        &b.name,
        std::slice::from_ref(&b),
        options,
    )
}

/// Compares two strategy groups over seeds: per-query values are averaged over the seed runs of
/// each group (keeping queries present in all of them), then paired.
pub fn compare_groups(
    a: &RunGroup<'_>,
    b: &RunGroup<'_>,
    options: &CompareOptions,
) -> Result<Comparison> {
    compare_run_sets(&a.label, &a.runs, &b.label, &b.runs, options)
}

/// Compares two sets of runs (each averaged over its members) under the given labels.
pub fn compare_run_sets(
    label_a: &str,
    a: &[&Run],
    label_b: &str,
    b: &[&Run],
    options: &CompareOptions,
) -> Result<Comparison> {
    if a.is_empty() || b.is_empty() {
        return Err(ReportError::NothingToCompare {
            message: "a side has no runs".to_string(),
        });
    }
    let deltas = metric_deltas(a, b);
    let mut notes = Vec::new();
    let qa = averaged_queries(a)?;
    let qb = averaged_queries(b)?;
    if let Some(unknown) = options
        .settings
        .iter()
        .find(|s| !qa.keys().chain(qb.keys()).any(|key| &key.1 == *s))
    {
        let mut known: Vec<&str> = qa.keys().chain(qb.keys()).map(|k| k.1.as_str()).collect();
        known.sort_by(|x, y| setting_rank(x).cmp(&setting_rank(y)).then(x.cmp(y)));
        known.dedup();
        return Err(ReportError::NotFound {
            what: format!(
                "setting `{unknown}`: not a setting of {label_a} or {label_b} (settings: {})",
                known.join(", ")
            ),
        });
    }
    let mut by_test: BTreeMap<(String, String), Vec<(QueryValues, QueryValues)>> = BTreeMap::new();
    let mut unpaired_a = 0usize;
    for (key, va) in &qa {
        if !options.settings.is_empty() && !options.settings.contains(&key.1) {
            continue;
        }
        match qb.get(key) {
            Some(vb) => by_test
                .entry((key.0.clone(), key.1.clone()))
                .or_default()
                .push((*va, *vb)),
            None => unpaired_a += 1,
        }
    }
    let unpaired_b = qb
        .keys()
        .filter(|k| options.settings.is_empty() || options.settings.contains(&k.1))
        .filter(|k| !qa.contains_key(*k))
        .count();
    if unpaired_a + unpaired_b > 0 {
        notes.push(format!(
            "{unpaired_a} queries only in {label_a} and {unpaired_b} only in {label_b} were left out"
        ));
    }
    if by_test.is_empty() {
        return Err(ReportError::NothingToCompare {
            message: format!("{label_a} and {label_b} share no query in per_query.parquet"),
        });
    }
    let mut keys: Vec<(String, String)> = by_test.keys().cloned().collect();
    keys.sort_by(|x, y| {
        x.0.cmp(&y.0)
            .then(setting_rank(&x.1).cmp(&setting_rank(&y.1)))
            .then(x.1.cmp(&y.1))
    });
    let mut tests = Vec::new();
    for key in keys {
        let pairs = &by_test[&key];
        for measure in ["ap", "rr_at_10", "rank_distance"] {
            let (xa, xb): (Vec<f64>, Vec<f64>) = pairs
                .iter()
                .filter_map(|(a, b)| Some((a.measure(measure)?, b.measure(measure)?)))
                .unzip();
            if xa.is_empty() {
                continue;
            }
            let d: Vec<f64> = xa.iter().zip(&xb).map(|(x, y)| y - x).collect();
            let seed = options.seed ^ stable_hash(&[&key.0, &key.1, measure]);
            let (ci_low, ci_high) = bootstrap_ci(&d, options.resamples, options.confidence, seed);
            let p_value = sign_flip_p(&d, options.permutations, seed.rotate_left(17));
            tests.push(PairedTest {
                dataset: key.0.clone(),
                setting: key.1.clone(),
                measure: measure.to_string(),
                queries: d.len(),
                mean_a: mean(&xa),
                mean_b: mean(&xb),
                mean_diff: mean(&d),
                ci_low,
                ci_high,
                p_value,
                significant: p_value < options.significance,
            });
        }
    }
    Ok(Comparison {
        a: side(label_a, a),
        b: side(label_b, b),
        options: options.clone(),
        deltas,
        tests,
        notes,
    })
}

/// One query's per-query measures (averaged over a side's runs).
#[derive(Debug, Clone, Copy, Default)]
struct QueryValues {
    ap: f64,
    rr_at_10: f64,
    /// Max − min rank of the relevant items; `None` with fewer than two.
    rank_distance: Option<f64>,
}

impl QueryValues {
    /// The named measure (`ap`, `rr_at_10`, `rank_distance`).
    fn measure(&self, name: &str) -> Option<f64> {
        match name {
            "ap" => Some(self.ap),
            "rr_at_10" => Some(self.rr_at_10),
            _ => self.rank_distance,
        }
    }
}

fn side(label: &str, runs: &[&Run]) -> Side {
    Side {
        label: label.to_string(),
        runs: runs.iter().map(|r| r.name.clone()).collect(),
    }
}

fn setting_rank(s: &str) -> usize {
    match s {
        "mono" => 0,
        "cross" => 1,
        "multi" => 2,
        _ => 3,
    }
}

/// Per-query measures averaged over runs; only queries present in every run are kept (a rank
/// distance only when every run has one).
fn averaged_queries(runs: &[&Run]) -> Result<BTreeMap<QueryKey, QueryValues>> {
    let mut acc: BTreeMap<QueryKey, (QueryValues, usize, usize)> = BTreeMap::new();
    for run in runs {
        for row in run.per_query()? {
            let (sum, count, distances) = acc.entry(row.key()).or_default();
            sum.ap += row.ap;
            sum.rr_at_10 += row.rr_at_10;
            if let Some(d) = row.rank_distance() {
                *sum.rank_distance.get_or_insert(0.0) += f64::from(d);
                *distances += 1;
            }
            *count += 1;
        }
    }
    let n = runs.len() as f64;
    Ok(acc
        .into_iter()
        .filter(|(_, (_, count, _))| *count == runs.len())
        .map(|(k, (sum, _, distances))| {
            let values = QueryValues {
                ap: sum.ap / n,
                rr_at_10: sum.rr_at_10 / n,
                rank_distance: sum
                    .rank_distance
                    .filter(|_| distances == runs.len())
                    .map(|d| d / n),
            };
            (k, values)
        })
        .collect())
}

/// mAP and MRR@10 of mono / cross / multi per QA dataset, mean over each side's runs.
fn metric_deltas(a: &[&Run], b: &[&Run]) -> Vec<MetricDelta> {
    let mut datasets: Vec<String> = Vec::new();
    for run in a.iter().chain(b) {
        for t in run.metrics.qa_tasks() {
            if !datasets.contains(&t.task) {
                datasets.push(t.task.clone());
            }
        }
    }
    let value = |runs: &[&Run], ds: &str, setting: &str, metric: &str| -> f64 {
        let vals: Vec<f64> = runs
            .iter()
            .filter_map(|r| {
                let t = r.metrics.qa_task(ds)?;
                let m = match setting {
                    "mono" => t.mono.mean,
                    "cross" => t.cross.as_ref()?.mean,
                    _ => t.multi.mean,
                };
                Some(if metric == "map" { m.map } else { m.mrr_at_10 })
            })
            .collect();
        if vals.len() == runs.len() {
            mean(&vals)
        } else {
            f64::NAN
        }
    };
    let mut out = Vec::new();
    for ds in &datasets {
        for setting in ["mono", "cross", "multi"] {
            for metric in ["map", "mrr_at_10"] {
                let va = value(a, ds, setting, metric);
                let vb = value(b, ds, setting, metric);
                if va.is_nan() && vb.is_nan() {
                    continue;
                }
                out.push(MetricDelta {
                    dataset: ds.clone(),
                    setting: setting.to_string(),
                    metric: metric.to_string(),
                    a: va,
                    b: vb,
                    delta: vb - va,
                });
            }
        }
    }
    out
}

impl Comparison {
    /// The comparison as JSON (pretty-printed).
    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings and numbers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The comparison as Markdown: a deltas table and a significance table.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let a = md_escape(&self.a.label);
        let b = md_escape(&self.b.label);
        s.push_str(&format!("## {b} vs {a}\n\n"));
        s.push_str(&format!(
            "A = {a} (runs: {}); B = {b} (runs: {}). Differences are B − A.\n\n",
            self.a.runs.join(", "),
            self.b.runs.join(", ")
        ));
        if !self.deltas.is_empty() {
            s.push_str("### Metric deltas (metrics.json)\n\n");
            s.push_str("| dataset | setting | metric | A | B | Δ (B − A) |\n");
            s.push_str("|:--|:--|:--|--:|--:|--:|\n");
            for d in &self.deltas {
                s.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    md_escape(&d.dataset),
                    d.setting,
                    metric_name(&d.metric),
                    fmt_num(d.a, 4),
                    fmt_num(d.b, 4),
                    signed(d.delta, 4)
                ));
            }
            s.push('\n');
        }
        let level = format!("{}", (self.options.confidence * 100.0).round());
        s.push_str("### Paired tests over queries (per_query.parquet)\n\n");
        s.push_str(&format!(
            "| dataset | setting | measure | queries | A | B | Δ | {level}% CI | p | sig. |\n"
        ));
        s.push_str("|:--|:--|:--|--:|--:|--:|--:|:--:|--:|:--:|\n");
        for t in &self.tests {
            let (label, digits) = match t.measure.as_str() {
                "ap" => ("AP", 4),
                "rr_at_10" => ("RR@10", 4),
                _ => ("rank distance", 1),
            };
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | [{}, {}] | {} | {} |\n",
                md_escape(&t.dataset),
                t.setting,
                label,
                t.queries,
                fmt_num(t.mean_a, digits),
                fmt_num(t.mean_b, digits),
                signed(t.mean_diff, digits),
                signed(t.ci_low, digits),
                signed(t.ci_high, digits),
                fmt_p(t.p_value),
                if t.significant { "✓" } else { "" }
            ));
        }
        s.push_str(&format!(
            "\nCI: percentile bootstrap over queries ({} resamples). p: two-sided paired \
             sign-flip test ({} random flips; exact when at most {} queries differ). \
             ✓ = p < {}. Seed {}. Rank distance (multilingual pool, queries with two or more \
             parallel answers): max − min rank of the answers; a negative Δ means B ranks \
             parallel answers closer together (less language bias).\n",
            self.options.resamples,
            self.options.permutations,
            crate::stats::EXACT_SIGN_FLIP_MAX,
            self.options.significance,
            self.options.seed
        ));
        for note in &self.notes {
            s.push_str(&format!("\nNote: {note}\n"));
        }
        s
    }
}

fn metric_name(m: &str) -> &str {
    match m {
        "map" => "mAP",
        "mrr_at_10" => "MRR@10",
        other => other,
    }
}

fn signed(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "–".to_string();
    }
    let s = format!("{x:+.digits$}");
    // "-0.0000" and "+0.0000" read as zero.
    if s[1..].chars().all(|c| c == '0' || c == '.') {
        format!("{:.digits$}", 0.0)
    } else {
        s
    }
}

fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        "–".to_string()
    } else if p < 0.001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}
