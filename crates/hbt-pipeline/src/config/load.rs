//! Reading an experiment file: parse each file of the `extends` chain, check it against the
//! schema, merge parent and child, expand `[sweep]` into named runs, validate every run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use toml::{Table, Value};

use hbt_schema::{ExperimentConfig, Reference};

use super::validate::validate;
use crate::names::check_name;

/// One run of an experiment: its name and fully resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    /// Run name: `main` without a sweep, else built from the swept keys and values.
    pub name: String,
    /// The resolved configuration (defaults filled in, sweep values applied).
    pub config: ExperimentConfig,
    /// The sweep values that make this run, as (dotted key, value).
    pub sweep: Vec<(String, Value)>,
}

/// An experiment file expanded into its runs.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Experiment name (the file stem).
    pub name: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// Its runs, in sweep order.
    pub runs: Vec<RunSpec>,
}

/// Finds an experiment by name (`experiments/NAME.toml`) or by path to a TOML file.
pub fn find_experiment(name_or_path: &str, experiments_dir: &Path) -> Result<PathBuf> {
    let as_path = PathBuf::from(name_or_path);
    if as_path.extension().is_some_and(|e| e == "toml") || name_or_path.contains('/') {
        if as_path.is_file() {
            return Ok(as_path);
        }
        bail!("{}: experiment file not found", as_path.display());
    }
    let path = experiments_dir.join(format!("{name_or_path}.toml"));
    if path.is_file() {
        return Ok(path);
    }
    let known = list_experiments(experiments_dir);
    bail!(
        "unknown experiment `{name_or_path}`: no {} ({})",
        path.display(),
        closest_names(name_or_path, &known)
    )
}

/// At most this many names are listed after an unknown experiment name.
const LISTED_NAMES: usize = 8;

/// `known: A, B` when there are few known names, else the closest ones by edit distance and
/// how many there are in all.
fn closest_names(name: &str, known: &[String]) -> String {
    if known.is_empty() {
        return "known: none".into();
    }
    if known.len() <= LISTED_NAMES {
        return format!("known: {}", known.join(", "));
    }
    let mut ranked: Vec<&String> = known.iter().collect();
    ranked.sort_by_key(|candidate| (strsim::levenshtein(name, candidate), candidate.as_str()));
    let closest: Vec<&str> = ranked[..LISTED_NAMES].iter().map(|s| s.as_str()).collect();
    format!(
        "closest of {} known: {}; see experiments/",
        known.len(),
        closest.join(", ")
    )
}

fn list_experiments(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    names.sort();
    names
}

/// Loads, merges, expands and validates an experiment file.
pub fn load_experiment(path: &Path) -> Result<Experiment> {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .with_context(|| format!("{}: not a usable experiment file name", path.display()))?
        .to_string();
    check_name("experiment", &name).with_context(|| path.display().to_string())?;
    let (mut table, sweep) = read_chain(path, &mut Vec::new())?;
    table.remove("sweep");
    let combos = expand_sweep(path, &sweep)?;
    let mut runs = Vec::with_capacity(combos.len());
    for combo in combos {
        let mut run_table = table.clone();
        for (key, value) in &combo {
            set_dotted(&mut run_table, key, value.clone());
        }
        let references_given = run_table
            .get("eval")
            .and_then(Value::as_table)
            .is_some_and(|eval| eval.contains_key("references"));
        let mut config = to_config(path, run_table).with_context(|| sweep_label(&combo))?;
        if !references_given {
            config.eval.references = default_references(&config);
        }
        validate(&config)
            .with_context(|| format!("{}{}", path.display(), sweep_context(&combo)))?;
        let name = run_name(&combo);
        check_name("run", &name)
            .with_context(|| format!("{}{}", path.display(), sweep_context(&combo)))?;
        runs.push(RunSpec {
            name,
            config,
            sweep: combo,
        });
    }
    Ok(Experiment {
        name,
        path: path.to_path_buf(),
        runs,
    })
}

/// The reference rows of a run whose file names none: BM25 and the encoder before training
/// (`untrained` from scratch, `pretrained` for a pretrained model).
fn default_references(config: &ExperimentConfig) -> Vec<Reference> {
    let before_training = if config.model.pretrained.is_empty() {
        Reference::Untrained
    } else {
        Reference::Pretrained
    };
    vec![Reference::Bm25, before_training]
}

/// ` (sweep KEY = VALUE, ...)` after a file name; empty without a sweep.
fn sweep_context(combo: &[(String, Value)]) -> String {
    let label = sweep_label(combo);
    if label.is_empty() {
        label
    } else {
        format!(" ({label})")
    }
}

/// `sweep KEY = VALUE, ...`; empty without a sweep.
fn sweep_label(combo: &[(String, Value)]) -> String {
    if combo.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = combo.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("sweep {}", parts.join(", "))
}

/// Reads `path` and its `extends` ancestors; returns the merged table and merged sweep.
fn read_chain(path: &Path, seen: &mut Vec<PathBuf>) -> Result<(Table, Table)> {
    let canonical = path
        .canonicalize()
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if seen.contains(&canonical) {
        bail!("{}: `extends` forms a cycle", path.display());
    }
    seen.push(canonical);
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let mut table: Table = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| format!("line {}: ", text[..s.start].lines().count().max(1)))
            .unwrap_or_default();
        anyhow::anyhow!(
            "{}: {line}invalid TOML: {}",
            path.display(),
            e.message().trim().replace('\n', "; ")
        )
    })?;
    let extends = match table.remove("extends") {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => bail!(
            "{}: key `extends`: expected a file name, got {}",
            path.display(),
            other.type_str()
        ),
    };
    let sweep = match table.remove("sweep") {
        None => Table::new(),
        Some(Value::Table(t)) => flatten_sweep(path, "", t)?,
        Some(other) => bail!(
            "{}: key `sweep`: expected a table, got {}",
            path.display(),
            other.type_str()
        ),
    };
    // Check this file on its own, so an error names the file that holds it.
    to_config(path, table.clone())?;
    for key in sweep.keys() {
        check_sweep_key(path, &table, key)?;
    }
    let Some(parent) = extends else {
        return Ok((table, sweep));
    };
    let parent_path = path.parent().unwrap_or(Path::new(".")).join(&parent);
    if !parent_path.is_file() {
        bail!(
            "{}: key `extends`: {} not found",
            path.display(),
            parent_path.display()
        );
    }
    let (mut merged, mut merged_sweep) = read_chain(&parent_path, seen)?;
    merge(&mut merged, table);
    merged_sweep.extend(sweep);
    Ok((merged, merged_sweep))
}

/// Deserialises a table into the schema; errors name the file and the key.
fn to_config(path: &Path, table: Table) -> Result<ExperimentConfig> {
    serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| {
        let key = e.path().to_string();
        let message = one_line(e.into_inner());
        if key == "." {
            anyhow::anyhow!("{}: {}", path.display(), message.trim())
        } else {
            anyhow::anyhow!("{}: key `{key}`: {}", path.display(), message.trim())
        }
    })
}

/// Serde and toml messages can span lines; hbt errors are one line.
fn one_line(message: impl std::fmt::Display) -> String {
    message
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sweep keys may be written dotted (`"train.alpha" = [...]`) or as nested tables.
fn flatten_sweep(path: &Path, prefix: &str, table: Table) -> Result<Table> {
    let mut out = Table::new();
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key
        } else {
            format!("{prefix}.{key}")
        };
        let found = match value {
            Value::Table(inner) => flatten_sweep(path, &full, inner)?,
            Value::Array(values) if !values.is_empty() => {
                Table::from_iter([(full, Value::Array(values))])
            }
            _ => bail!(
                "{}: key `sweep.{full}`: expected a non-empty list of values",
                path.display()
            ),
        };
        for (key, values) in found {
            if out.contains_key(&key) {
                bail!(
                    "{}: key `sweep.{key}` is given twice (dotted and as a nested table); keep one",
                    path.display()
                );
            }
            out.insert(key, values);
        }
    }
    Ok(out)
}

/// A sweep key must name a real setting: setting its first value must still fit the schema.
fn check_sweep_key(path: &Path, table: &Table, key: &str) -> Result<()> {
    let mut probe = table.clone();
    set_dotted(&mut probe, key, Value::Array(Vec::new()));
    match serde_path_to_error::deserialize::<_, ExperimentConfig>(Value::Table(probe)) {
        Err(e) if e.inner().to_string().starts_with("unknown field") => {
            let message = one_line(e.into_inner());
            bail!(
                "{}: key `sweep.{key}`: no such setting ({message})",
                path.display()
            )
        }
        _ => Ok(()),
    }
}

/// The cartesian product of the sweep's lists, keys in sorted order; one empty run without a sweep.
fn expand_sweep(path: &Path, sweep: &Table) -> Result<Vec<Vec<(String, Value)>>> {
    let mut combos: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (key, values) in sweep {
        let Value::Array(values) = values else {
            bail!("{}: key `sweep.{key}`: expected a list", path.display());
        };
        combos = combos
            .into_iter()
            .flat_map(|combo| {
                values.iter().map(move |v| {
                    let mut next = combo.clone();
                    next.push((key.clone(), v.clone()));
                    next
                })
            })
            .collect();
    }
    let names: BTreeMap<String, usize> = combos.iter().map(|c| (run_name(c), 0)).collect();
    if names.len() != combos.len() {
        bail!("{}: `sweep` lists a value twice", path.display());
    }
    Ok(combos)
}

/// `main` without a sweep; else `leaf-value` per swept key joined by `_` (e.g. `strategy-mono`,
/// `devices-cpu-cpu`).
fn run_name(combo: &[(String, Value)]) -> String {
    if combo.is_empty() {
        return "main".to_string();
    }
    let parts: Vec<String> = combo
        .iter()
        .map(|(key, value)| {
            let leaf = key.rsplit('.').next().unwrap_or(key);
            let text = |value: &Value| match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            // A list (e.g. `train.devices`) reads as its items joined by `-`: `cpu-cpu`.
            let value = match value {
                Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join("-"),
                other => text(other),
            };
            let clean: String = value
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("{leaf}-{clean}")
        })
        .collect();
    parts.join("_")
}

/// Deep merge: tables merge key by key, anything else in `child` replaces the parent's value.
fn merge(parent: &mut Table, child: Table) {
    for (key, value) in child {
        match (parent.get_mut(&key), value) {
            (Some(Value::Table(p)), Value::Table(c)) => merge(p, c),
            (_, value) => {
                parent.insert(key, value);
            }
        }
    }
}

fn set_dotted(table: &mut Table, key: &str, value: Value) {
    let mut parts: Vec<&str> = key.split('.').collect();
    let last = parts.pop().unwrap_or(key);
    let mut current = table;
    for part in parts {
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        let Value::Table(next) = entry else {
            unreachable!("just made a table")
        };
        current = next;
    }
    current.insert(last.to_string(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn an_unknown_name_lists_few_names_whole_and_many_by_closeness() {
        let few: Vec<String> = ["alpha-sweep", "study"].map(String::from).to_vec();
        assert_eq!(closest_names("stdy", &few), "known: alpha-sweep, study");
        let many: Vec<String> = (0..20)
            .map(|i| format!("run-{i:02}"))
            .chain(["me5-study".into()])
            .collect();
        let listed = closest_names("me5-studi", &many);
        assert!(
            listed.starts_with("closest of 21 known: me5-study, "),
            "{listed}"
        );
        assert_eq!(listed.matches(", ").count(), LISTED_NAMES - 1, "{listed}");
        assert_eq!(closest_names("x", &[]), "known: none");
    }

    #[test]
    fn defaults_fill_an_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let exp = load_experiment(&write(dir.path(), "e.toml", "")).unwrap();
        assert_eq!(exp.runs.len(), 1);
        assert_eq!(exp.runs[0].name, "main");
        assert_eq!(exp.runs[0].config, ExperimentConfig::default());
    }

    #[test]
    fn extends_merges_tables_and_child_wins() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "base.toml",
            "seed = 7\n[train]\nbatch_size = 16\nsteps = 50\n",
        );
        let child = write(
            dir.path(),
            "child.toml",
            "extends = \"base.toml\"\n[train]\nsteps = 99\n",
        );
        let config = &load_experiment(&child).unwrap().runs[0].config;
        assert_eq!(config.seed, 7);
        assert_eq!(config.train.batch_size, 16);
        assert_eq!(config.train.steps, 99);
    }

    #[test]
    fn a_swept_list_names_its_runs_by_its_items() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "d.toml",
            "[sweep]\n\"train.devices\" = [[\"cpu\"], [\"cpu\", \"cpu\"]]\n",
        );
        let exp = load_experiment(&path).unwrap();
        let names: Vec<&str> = exp.runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["devices-cpu", "devices-cpu-cpu"]);
        assert_eq!(exp.runs[1].config.train.devices.len(), 2);
    }

    #[test]
    fn sweep_expands_into_named_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "s.toml",
            "[sweep]\n\"train.strategy\" = [\"mono\", \"hybrid\"]\n[sweep.train]\nalpha = [0.25, 0.75]\n",
        );
        let exp = load_experiment(&path).unwrap();
        let names: Vec<&str> = exp.runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "alpha-0.25_strategy-mono",
                "alpha-0.25_strategy-hybrid",
                "alpha-0.75_strategy-mono",
                "alpha-0.75_strategy-hybrid"
            ]
        );
        assert_eq!(exp.runs[3].config.train.alpha, 0.75);
        assert_eq!(
            exp.runs[3].config.train.strategy,
            hbt_schema::Strategy::Hybrid
        );
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("[train]\nlerning_rate = 0.1\n", "lerning_rate"),
            ("[train]\nbatch_size = \"big\"\n", "train.batch_size"),
            ("[train]\nalpha = 1.5\n", "train.alpha"),
            ("seed = [1\n", "line 1"),
            ("[sweep]\n\"train.alpah\" = [1]\n", "sweep.train.alpah"),
            ("[sweep]\n\"train.alpha\" = [0.5, 2.0]\n", "train.alpha"),
            ("extends = \"nowhere.toml\"\n", "nowhere.toml"),
            ("backend = \"tpu\"\n", "`backend`: unknown variant `tpu`, expected one of `flex`, `ndarray`, `cuda`"),
            ("[train]\nstrategy = \"hybird\"\n", "`train.strategy`: unknown variant `hybird`, expected one of `mono`, `mixed`, `cross`, `hybrid`"),
            ("[model]\npooling = \"max\"\n", "`model.pooling`: unknown variant `max`, expected one of `cls`, `mean`, `pooler`"),
            ("[data]\ntrain_languages = [\"xx\"]\n", "`data.train_languages[0]`: unknown language `xx`"),
        ];
        for (text, culprit) in cases {
            let path = write(dir.path(), "bad.toml", text);
            let err = format!("{:#}", load_experiment(&path).unwrap_err());
            assert!(
                err.contains("bad.toml") && err.contains(culprit),
                "{text:?} -> {err}"
            );
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn extends_cycles_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.toml", "extends = \"b.toml\"\n");
        let b = write(dir.path(), "b.toml", "extends = \"a.toml\"\n");
        let err = format!("{:#}", load_experiment(&b).unwrap_err());
        assert!(err.contains("cycle"), "{err}");
    }
}
