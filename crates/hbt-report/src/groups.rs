//! Strategy groups: runs that share every setting but the seed are one row of the tables
//! (mean ± std over seeds). Reference runs group by model kind.

use std::collections::BTreeMap;

use hbt_schema::{ExperimentConfig, ModelKind, Strategy};

use crate::error::{ReportError, Result};
use crate::load::{Experiment, Run};

/// Runs that differ only by seed (or reference runs of one kind).
#[derive(Debug, Clone)]
pub struct RunGroup<'a> {
    /// Human label: `BM25`, `untrained`, `mono`, `hybrid (α=0.5)`, ...
    pub label: String,
    /// File-name-safe label: `bm25`, `mono`, `hybrid-a0.5`, ...
    pub slug: String,
    /// Model kind of the runs.
    pub model: ModelKind,
    /// Batch strategy (trained runs).
    pub strategy: Option<Strategy>,
    /// α (hybrid runs).
    pub alpha: Option<f64>,
    /// The runs, sorted by seed then name.
    pub runs: Vec<&'a Run>,
}

impl RunGroup<'_> {
    /// Seeds of the runs, where known.
    pub fn seeds(&self) -> Vec<u64> {
        self.runs.iter().filter_map(|r| r.seed()).collect()
    }
}

/// Formats α without trailing zeros (`0.5`, `0.25`, `1`).
pub fn format_alpha(alpha: f64) -> String {
    let s = format!("{alpha:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn strategy_rank(s: Option<Strategy>) -> usize {
    match s {
        Some(Strategy::Mono) => 0,
        Some(Strategy::Mixed) => 1,
        Some(Strategy::Cross) => 2,
        Some(Strategy::Hybrid) => 3,
        None => 4,
    }
}

fn model_rank(m: ModelKind) -> usize {
    match m {
        ModelKind::Bm25 => 0,
        ModelKind::Untrained => 1,
        ModelKind::Pretrained => 2,
        ModelKind::Trained => 3,
    }
}

/// Groups the runs of an experiment: reference runs first (BM25, untrained, pretrained), then strategies
/// in the order mono, mixed, cross, hybrid (by α), then any other.
///
/// Two trained runs share a group when their `config.toml` settings are equal apart from the
/// seed (α is ignored for non-hybrid strategies). When several groups would get the same
/// label (a sweep over another setting), the label names the settings that tell them apart.
pub fn group_runs(experiment: &Experiment) -> Vec<RunGroup<'_>> {
    type Key = (usize, usize, u64, BTreeMap<String, String>);
    let mut by_key: BTreeMap<Key, Vec<&Run>> = BTreeMap::new();
    for run in &experiment.runs {
        let model = run.model();
        let key: Key = if model.is_reference() {
            (model_rank(model), 0, 0, BTreeMap::new())
        } else {
            let settings = run
                .config
                .as_ref()
                .map(training_settings)
                .unwrap_or_default();
            let alpha_bits = run.alpha().map(|a| (a * 1e9).round() as u64).unwrap_or(0);
            (
                model_rank(model),
                strategy_rank(run.strategy()),
                alpha_bits,
                settings,
            )
        };
        by_key.entry(key).or_default().push(run);
    }
    let mut groups: Vec<(RunGroup<'_>, BTreeMap<String, String>)> = by_key
        .into_iter()
        .map(|(key, mut runs)| {
            runs.sort_by(|a, b| a.seed().cmp(&b.seed()).then(a.name.cmp(&b.name)));
            let first = runs[0];
            let model = first.model();
            let strategy = first.strategy();
            let alpha = first.alpha();
            let (label, slug) = match (model, strategy, alpha) {
                (ModelKind::Bm25, _, _) => ("BM25".to_string(), "bm25".to_string()),
                (ModelKind::Untrained | ModelKind::Pretrained, _, _) => {
                    (model.name().to_string(), model.name().to_string())
                }
                (_, Some(s), Some(a)) => (
                    format!("{s} (α={})", format_alpha(a)),
                    format!("{s}-a{}", format_alpha(a)),
                ),
                (_, Some(s), None) => (s.to_string(), slugify(s.name())),
                (_, None, _) => (first.name.clone(), slugify(&first.name)),
            };
            (
                RunGroup {
                    label,
                    slug,
                    model,
                    strategy,
                    alpha,
                    runs,
                },
                key.3,
            )
        })
        .collect();
    disambiguate(&mut groups);
    groups.into_iter().map(|(g, _)| g).collect()
}

/// The settings of a run that matter for grouping, flattened to dotted keys
/// (`train.batch_size` → `32`, values as TOML writes them): everything but the seed and the
/// description, and α only for `hybrid` (it has no effect on the other strategies). Runs whose
/// training settings are equal differ only by seed.
fn training_settings(config: &ExperimentConfig) -> BTreeMap<String, String> {
    let mut settings = BTreeMap::new();
    // A config of plain fields always serialises to a table.
    if let Ok(toml::Value::Table(table)) = toml::Value::try_from(config) {
        flatten("", &table, &mut settings);
    }
    settings.remove("seed");
    settings.remove("description");
    if config.train.strategy != Strategy::Hybrid {
        settings.remove("train.alpha");
    }
    settings
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
    for (key, value) in table {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(t) => flatten(&name, t, out),
            other => {
                out.insert(name, other.to_string());
            }
        }
    }
}

/// Appends the distinguishing settings to labels that collide.
fn disambiguate(groups: &mut [(RunGroup<'_>, BTreeMap<String, String>)]) {
    let labels: Vec<String> = groups.iter().map(|(g, _)| g.label.clone()).collect();
    for label in &labels {
        let idx: Vec<usize> = (0..groups.len())
            .filter(|&i| &groups[i].0.label == label)
            .collect();
        if idx.len() < 2 {
            continue;
        }
        let mut keys: Vec<String> = Vec::new();
        for &i in &idx {
            for k in groups[i].1.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        let differing: Vec<String> = keys
            .into_iter()
            .filter(|k| {
                let first = groups[idx[0]].1.get(k);
                idx.iter().any(|&i| groups[i].1.get(k) != first)
            })
            .collect();
        for &i in &idx {
            let extra: Vec<String> = differing
                .iter()
                .map(|k| {
                    let short = k.rsplit('.').next().unwrap_or(k);
                    let v = groups[i].1.get(k).map(String::as_str).unwrap_or("-");
                    format!("{short}={}", v.trim_matches('"'))
                })
                .collect();
            let extra = if extra.is_empty() {
                groups[i].0.runs[0].name.clone()
            } else {
                extra.join(", ")
            };
            let g = &mut groups[i].0;
            g.label = format!("{} [{extra}]", g.label);
            g.slug = format!("{}-{}", g.slug, slugify(&extra));
        }
    }
}

impl Experiment {
    /// The strategy groups of this experiment (see [`group_runs`]).
    pub fn groups(&self) -> Vec<RunGroup<'_>> {
        group_runs(self)
    }

    /// The strategy group named `name`: its label (`hybrid (α=0.5)`), slug (`hybrid-a0.5`), or a
    /// strategy (`hybrid`) or model (`bm25`) name when that picks exactly one group.
    pub fn find_group(&self, name: &str) -> Result<RunGroup<'_>> {
        let groups = group_runs(self);
        let available = || {
            groups
                .iter()
                .map(|g| format!("`{}`", g.slug))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(g) = groups.iter().find(|g| g.label == name || g.slug == name) {
            return Ok(g.clone());
        }
        let matching: Vec<&RunGroup<'_>> = groups
            .iter()
            .filter(|g| g.strategy.is_some_and(|s| s.name() == name) || g.model.name() == name)
            .collect();
        match matching.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(ReportError::NotFound {
                what: format!(
                    "no strategy `{name}` in {} (available: {})",
                    self.dir.display(),
                    available()
                ),
            }),
            _ => Err(ReportError::NotFound {
                what: format!(
                    "`{name}` matches several groups in {} (use one of: {})",
                    self.dir.display(),
                    available()
                ),
            }),
        }
    }
}

/// Lower-case ASCII letters, digits, `.` and `-`; everything else becomes `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = match c {
            'α' => 'a',
            c if c.is_ascii_alphanumeric() || c == '.' => c.to_ascii_lowercase(),
            _ => '-',
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_and_slug_formatting() {
        assert_eq!(format_alpha(0.5), "0.5");
        assert_eq!(format_alpha(0.25), "0.25");
        assert_eq!(format_alpha(1.0), "1");
        assert_eq!(format_alpha(0.0), "0");
        assert_eq!(slugify("hybrid (α=0.5)"), "hybrid-a-0.5");
        assert_eq!(slugify("lr=5e-4, x"), "lr-5e-4-x");
    }

    #[test]
    fn training_settings_flatten_the_config_without_seed_and_unused_alpha() {
        let config = ExperimentConfig::from_toml(
            "seed = 7\ndescription = \"x\"\n[train]\nstrategy = \"mono\"\nbatch_size = 16\n",
        )
        .unwrap();
        let s = training_settings(&config);
        assert_eq!(s["train.batch_size"], "16");
        assert_eq!(s["train.strategy"], "\"mono\"");
        assert_eq!(s["data.train"], "[\"mlqa-r\"]");
        for absent in ["seed", "description", "train.alpha"] {
            assert!(!s.contains_key(absent), "{absent}");
        }
        let hybrid =
            ExperimentConfig::from_toml("[train]\nstrategy = \"hybrid\"\nalpha = 0.25\n").unwrap();
        assert_eq!(training_settings(&hybrid)["train.alpha"], "0.25");
    }
}
