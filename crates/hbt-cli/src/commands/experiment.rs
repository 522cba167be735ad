//! `hbt experiment NAME` and `hbt train NAME`: validate the whole experiment, then run the
//! stages of every run into `results/NAME/RUN/`, on the backend the experiment names.

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};
use burn::backend::Autodiff;
use burn::tensor::backend::AutodiffBackend;
use hbt_model::backend::{BackendKind, FlexBackend, NdArrayBackend};

use crate::cli::ExperimentArgs;
use crate::config::{find_experiment, load_experiment, RunSpec};
use crate::locations::Locations;
use crate::manifest::{git_state, timestamp, RunManifest, StageTime, MANIFEST_SCHEMA};
use crate::run_dir::RunDir;
use crate::stages;
use crate::stages::data::PreparedData;
use crate::stages::eval::{EvalSettings, Ranker};

/// Which stages a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stages {
    /// Data and training only (`hbt train`).
    Train,
    /// Every stage (`hbt experiment`).
    All,
}

/// Runs (or with `--check`, validates) an experiment.
pub fn run(args: &ExperimentArgs, locations: &Locations, stages: Stages) -> Result<()> {
    let path = find_experiment(&args.name, &locations.experiments_dir)?;
    let experiment = load_experiment(&path)?;
    if args.check {
        println!("{}: ok, {} run(s)", path.display(), experiment.runs.len());
        for spec in &experiment.runs {
            match check_backend(spec) {
                Ok(()) => println!("  {}", spec.name),
                // Valid, but this build cannot run it: say so without failing the check.
                Err(e) => println!("  {} (note: {e:#})", spec.name),
            }
        }
        return Ok(());
    }
    for spec in &experiment.runs {
        check_backend(spec)?;
    }
    let mut runs: Vec<(RunSpec, RunKind)> = experiment
        .runs
        .iter()
        .map(|spec| (spec.clone(), RunKind::Trained))
        .collect();
    if stages == Stages::All {
        // Reference rows share the first run's data, tokenizer and seed.
        let first = &experiment.runs[0];
        for reference in &first.config.eval.references {
            let kind = if reference == "bm25" {
                RunKind::Bm25
            } else {
                RunKind::Untrained
            };
            let mut spec = first.clone();
            spec.name = reference.clone();
            runs.push((spec, kind));
        }
    }
    let total = runs.len();
    for (i, (spec, kind)) in runs.iter().enumerate() {
        eprintln!(
            "== {} run {}/{total}: {} ==",
            experiment.name,
            i + 1,
            spec.name
        );
        let run = RunContext {
            experiment: &experiment.name,
            spec,
            kind: *kind,
            locations,
            resume: args.resume,
            stages,
        };
        let target = run.execute()?;
        println!("{}", target.display());
    }
    if stages == Stages::All {
        super::report::report_experiment(&experiment.name, locations, true)?;
    }
    Ok(())
}

/// What a run evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RunKind {
    /// The trained encoder.
    Trained,
    /// The BM25 reference.
    Bm25,
    /// The encoder before training (the same initialisation as the trained runs).
    Untrained,
}

/// The backend must be compiled in; the error names the cargo feature to enable.
fn check_backend(spec: &RunSpec) -> Result<()> {
    compiled_backend(&spec.config.backend)
        .map(|_| ())
        .with_context(|| format!("run {}: key `backend`", spec.name))
}

/// The backend called `name`, if this build has it; else an error naming the cargo feature.
pub fn compiled_backend(name: &str) -> Result<BackendKind> {
    let backend: BackendKind = name.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    if !backend.is_compiled() {
        bail!("`{backend}` is not compiled into this hbt (rebuild with `--features {backend}`)");
    }
    Ok(backend)
}

/// One run of an experiment.
struct RunContext<'a> {
    experiment: &'a str,
    spec: &'a RunSpec,
    kind: RunKind,
    locations: &'a Locations,
    resume: bool,
    stages: Stages,
}

/// Wall times of the stages run so far.
#[derive(Default)]
struct StageClock {
    times: Vec<StageTime>,
}

impl StageClock {
    fn time<T>(&mut self, stage: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
        let clock = Instant::now();
        let out = work()?;
        self.times.push(StageTime {
            stage: stage.into(),
            seconds: clock.elapsed().as_secs_f64(),
        });
        Ok(out)
    }
}

impl RunContext<'_> {
    fn checkpoints(&self) -> PathBuf {
        self.locations
            .results_dir
            .join(self.experiment)
            .join("checkpoints")
            .join(&self.spec.name)
    }

    fn execute(&self) -> Result<PathBuf> {
        let started = SystemTime::now();
        let config = &self.spec.config;
        let run_dir = RunDir::create(
            &self.locations.results_dir,
            self.experiment,
            &self.spec.name,
        )?;
        run_dir.write("config.toml", toml::to_string_pretty(config)?.as_bytes())?;
        let mut clock = StageClock::default();
        let prepared = clock.time("data", || {
            stages::data::run(config, self.locations, &run_dir)
        })?;
        match compiled_backend(&config.backend).context("key `backend`")? {
            BackendKind::Flex => {
                self.model_stages::<Autodiff<FlexBackend>>(&prepared, &run_dir, &mut clock)?
            }
            BackendKind::NdArray => {
                self.model_stages::<Autodiff<NdArrayBackend>>(&prepared, &run_dir, &mut clock)?
            }
            #[cfg(feature = "cuda")]
            BackendKind::Cuda => self.model_stages::<Autodiff<hbt_model::backend::CudaBackend>>(
                &prepared, &run_dir, &mut clock,
            )?,
            #[cfg(not(feature = "cuda"))]
            BackendKind::Cuda => unreachable!("checked by check_backend before any run starts"),
        }
        let (git_commit, git_dirty) = git_state();
        let manifest = RunManifest {
            schema_version: MANIFEST_SCHEMA,
            hbt_version: env!("CARGO_PKG_VERSION"),
            experiment: self.experiment.to_string(),
            run: self.spec.name.clone(),
            git_commit,
            git_dirty,
            started_at: timestamp(started),
            finished_at: timestamp(SystemTime::now()),
            seed: config.seed,
            backend: config.backend.clone(),
            command: std::env::args().collect(),
            data: prepared.files,
            stages: clock.times,
        };
        run_dir.write(
            "manifest.json",
            serde_json::to_string_pretty(&manifest)?.as_bytes(),
        )?;
        run_dir.commit()
    }

    /// The stages that need the encoder, on backend `B`.
    fn model_stages<B: AutodiffBackend>(
        &self,
        prepared: &PreparedData,
        run_dir: &RunDir,
        clock: &mut StageClock,
    ) -> Result<()> {
        let config = &self.spec.config;
        let device = B::Device::default();
        let tokenizer = &prepared.tokenizer;
        let model = match self.kind {
            RunKind::Bm25 => None,
            RunKind::Untrained => Some(stages::model::initial_encoder::<B::InnerBackend>(
                config, tokenizer, &device,
            )?),
            RunKind::Trained => Some(clock.time("train", || {
                let model = stages::model::initial_encoder::<B>(config, tokenizer, &device)?;
                let checkpoints = self.checkpoints();
                stages::train::run(
                    config,
                    prepared,
                    model,
                    run_dir,
                    Path::new(&checkpoints),
                    self.resume,
                    &device,
                )
            })?),
        };
        if self.stages == Stages::Train {
            return Ok(());
        }
        let ranker = match &model {
            Some(model) => Ranker::Dense { model, tokenizer },
            None => Ranker::Bm25,
        };
        clock.time("eval", || {
            stages::eval::run(
                &prepared.eval,
                &stages::eval::train_languages(prepared),
                &ranker,
                self.kind == RunKind::Untrained,
                &EvalSettings::of(config),
                run_dir.path(),
                &device,
            )
        })
    }
}
