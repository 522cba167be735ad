//! The parts of a run's resolved `config.toml` that the report needs: the batch strategy, α and
//! the seed. The whole table is kept to tell apart runs that differ in other settings.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{ReportError, Result};
use crate::io::read_text;

/// What the report reads from a run's `config.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// Top-level `seed`.
    pub seed: Option<u64>,
    /// `[train] strategy`: `mono`, `mixed`, `cross` or `hybrid`.
    pub strategy: Option<String>,
    /// `[train] alpha`: probability of a mono batch for `hybrid`.
    pub alpha: Option<f64>,
    /// Every other setting, flattened to dotted keys (`train.batch_size` → `32`), without the
    /// seed; runs whose flattened settings are equal differ only by seed.
    pub settings: BTreeMap<String, String>,
}

impl RunConfig {
    /// Reads `config.toml` at `path`.
    pub fn read(path: &Path) -> Result<RunConfig> {
        let text = read_text(path)?;
        RunConfig::parse(path, &text)
    }

    /// Parses the text of a `config.toml`; `path` only names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<RunConfig> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ReportError::format(path, e.to_string()))?;
        let seed = match table.get("seed") {
            None => None,
            Some(toml::Value::Integer(i)) if *i >= 0 => Some(*i as u64),
            Some(other) => {
                return Err(ReportError::format(
                    path,
                    format!("`seed` must be a non-negative integer, found {other}"),
                ))
            }
        };
        let train = table.get("train").and_then(|t| t.as_table());
        let strategy = match train.and_then(|t| t.get("strategy")) {
            None => None,
            Some(toml::Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(ReportError::format(
                    path,
                    format!("`train.strategy` must be a string, found {other}"),
                ))
            }
        };
        let alpha = match train.and_then(|t| t.get("alpha")) {
            None => None,
            Some(toml::Value::Float(f)) => Some(*f),
            Some(toml::Value::Integer(i)) => Some(*i as f64),
            Some(other) => {
                return Err(ReportError::format(
                    path,
                    format!("`train.alpha` must be a number, found {other}"),
                ))
            }
        };
        let mut settings = BTreeMap::new();
        flatten("", &table, &mut settings);
        settings.remove("seed");
        Ok(RunConfig {
            seed,
            strategy,
            alpha,
            settings,
        })
    }

    /// The settings that matter for training: α is dropped unless the strategy is `hybrid`
    /// (it has no effect on the other strategies), and descriptive keys are ignored.
    pub(crate) fn training_settings(&self) -> BTreeMap<String, String> {
        let mut s = self.settings.clone();
        s.remove("description");
        if self.strategy.as_deref() != Some("hybrid") {
            s.remove("train.alpha");
        }
        s
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strategy_alpha_and_seed() {
        let c = RunConfig::parse(
            Path::new("config.toml"),
            "seed = 7\n[train]\nstrategy = \"hybrid\"\nalpha = 0.25\nsteps = 10\n",
        )
        .unwrap();
        assert_eq!(c.seed, Some(7));
        assert_eq!(c.strategy.as_deref(), Some("hybrid"));
        assert_eq!(c.alpha, Some(0.25));
        assert!(!c.settings.contains_key("seed"));
        assert_eq!(c.settings["train.steps"], "10");
    }

    #[test]
    fn bad_toml_names_the_file() {
        let e = RunConfig::parse(Path::new("r/config.toml"), "seed = [").unwrap_err();
        assert!(e.to_string().starts_with("r/config.toml:"), "{e}");
    }
}
