//! `hbt experiment NAME`: validate the whole experiment, then run every stage of every run
//! into `results/NAME/RUN/`.

use std::time::SystemTime;

use anyhow::{bail, Result};

use crate::cli::ExperimentArgs;
use crate::config::{find_experiment, load_experiment, RunSpec};
use crate::locations::Locations;
use crate::manifest::{git_state, timestamp, RunManifest, StageTime, MANIFEST_SCHEMA};
use crate::run_dir::RunDir;
use crate::stages;

/// Runs (or with `--check`, validates) an experiment.
pub fn run(args: &ExperimentArgs, locations: &Locations) -> Result<()> {
    let path = find_experiment(&args.name, &locations.experiments_dir)?;
    let experiment = load_experiment(&path)?;
    for spec in &experiment.runs {
        check_backend(spec)?;
    }
    if args.check {
        println!("{}: ok, {} run(s)", path.display(), experiment.runs.len());
        for spec in &experiment.runs {
            println!("  {}", spec.name);
        }
        return Ok(());
    }
    let total = experiment.runs.len();
    for (i, spec) in experiment.runs.iter().enumerate() {
        eprintln!(
            "== {} run {}/{total}: {} ==",
            experiment.name,
            i + 1,
            spec.name
        );
        let target = run_one(&experiment.name, spec, locations)?;
        println!("{}", target.display());
    }
    Ok(())
}

/// The backend must be compiled in; the error names the cargo feature to enable.
fn check_backend(spec: &RunSpec) -> Result<()> {
    if !hbt_model::backend::is_compiled(&spec.config.backend) {
        bail!(
            "run {}: key `backend`: `{}` is not compiled into this hbt (rebuild with `--features {}`)",
            spec.name,
            spec.config.backend,
            spec.config.backend
        );
    }
    Ok(())
}

fn run_one(experiment: &str, spec: &RunSpec, locations: &Locations) -> Result<std::path::PathBuf> {
    let started = SystemTime::now();
    let run_dir = RunDir::create(&locations.results_dir, experiment, &spec.name)?;
    run_dir.write(
        "config.toml",
        toml::to_string_pretty(&spec.config)?.as_bytes(),
    )?;
    let mut stages_run = Vec::new();

    let clock = std::time::Instant::now();
    let prepared = stages::data::run(&spec.config, locations, &run_dir)?;
    stages_run.push(StageTime {
        stage: "data".into(),
        seconds: clock.elapsed().as_secs_f64(),
    });

    let (git_commit, git_dirty) = git_state();
    let manifest = RunManifest {
        schema_version: MANIFEST_SCHEMA,
        hbt_version: env!("CARGO_PKG_VERSION"),
        experiment: experiment.to_string(),
        run: spec.name.clone(),
        git_commit,
        git_dirty,
        started_at: timestamp(started),
        finished_at: timestamp(SystemTime::now()),
        seed: spec.config.seed,
        backend: spec.config.backend.clone(),
        command: std::env::args().collect(),
        data: prepared.files,
        stages: stages_run,
    };
    run_dir.write(
        "manifest.json",
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    run_dir.commit()
}
