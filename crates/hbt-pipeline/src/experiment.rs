//! `hbt experiment NAME` and `hbt train NAME` as a library call: validate the whole experiment,
//! then run the stages of every run into `results/NAME/RUN/` on the backend the experiment
//! names, then the reference runs and the report.

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context, Result};
use burn::backend::Autodiff;
use burn::tensor::backend::AutodiffBackend;
use hbt_model::backend::{FlexBackend, NdArrayBackend};
use hbt_schema::{
    BackendKind, ExperimentConfig, ModelKind, RunManifest, StageTime, CONFIG_FILE, MANIFEST_FILE,
    MANIFEST_SCHEMA_VERSION,
};

use crate::config::{find_experiment, load_experiment, Experiment, RunSpec};
use crate::locations::Locations;
use crate::lock::ExperimentLock;
use crate::manifest::{git_state, timestamp};
use crate::progress::Progress;
use crate::run_dir::RunDir;
use crate::stages;
use crate::stages::data::PreparedData;
use crate::stages::eval::{EvalJob, EvalSettings, Ranker};
pub use hbt_train::Nodes;

/// Which stages a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stages {
    /// Data and training only (`hbt train`).
    Train,
    /// Every stage and the report (`hbt experiment`).
    All,
}

/// Finds, reads and validates an experiment file (a name in the experiments folder or a path).
pub fn load(name_or_path: &str, locations: &Locations) -> Result<Experiment> {
    load_experiment(&find_experiment(name_or_path, &locations.experiments_dir)?)
}

/// The backend must be compiled in; the error names the cargo feature to enable.
pub fn check_backend(backend: BackendKind) -> Result<()> {
    if !hbt_model::backend::is_compiled(backend) {
        bail!("`{backend}` is not compiled into this hbt (rebuild with `--features {backend}`)");
    }
    Ok(())
}

/// What a finished experiment produced.
#[derive(Debug)]
pub struct ExperimentOutcome {
    /// The results folder of every run, in run order.
    pub runs: Vec<PathBuf>,
    /// The report, when every stage ran.
    pub report: Option<hbt_report::ReportSummary>,
}

/// How [`run`] treats the runs of an experiment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Continue interrupted runs from their newest checkpoint, and skip runs already finished
    /// with the same settings (their `config.toml` equal, their `manifest.json` written).
    pub resume: bool,
    /// Only these runs (by name, reference rows included: `bm25`, `pretrained`...); empty: all.
    pub only: Vec<String>,
    /// Run even when a run's memory estimate exceeds the memory available.
    pub skip_memory_check: bool,
    /// This process's place in a multi-node run (`None`: a run on this machine alone). The
    /// other nodes train their share of each run; node 0 keeps the records, evaluates and
    /// reports.
    pub nodes: Option<Nodes>,
}

/// Runs every run of `experiment` (and, with [`Stages::All`], its reference runs and report).
pub fn run(
    experiment: &Experiment,
    locations: &Locations,
    options: &RunOptions,
    stages: Stages,
    progress: &dyn Progress,
) -> Result<ExperimentOutcome> {
    let resume = options.resume;
    if stages == Stages::All {
        if let Some(spec) = experiment
            .runs
            .iter()
            .find(|s| s.config.data.eval.is_empty())
        {
            bail!(
                "{}: run {}: key `data.eval` is empty: nothing to evaluate (`hbt train` trains without evaluating)",
                experiment.path.display(),
                spec.name
            );
        }
    }
    if !options.skip_memory_check {
        let available = crate::memory::available_bytes();
        for spec in &experiment.runs {
            crate::memory::check_fits(&spec.name, &spec.config, available)?;
        }
    }
    let _lock = ExperimentLock::acquire(&locations.results_dir, &experiment.name)?;
    crate::run_dir::remove_stale_partials(&locations.results_dir.join(&experiment.name))?;
    for spec in &experiment.runs {
        check_backend(spec.config.backend)
            .with_context(|| format!("run {}: key `backend`", spec.name))?;
    }
    let mut runs: Vec<(RunSpec, ModelKind)> = experiment
        .runs
        .iter()
        .map(|spec| (spec.clone(), ModelKind::Trained))
        .collect();
    if stages == Stages::All {
        // Reference rows share the first run's data, tokenizer and seed.
        let first = &experiment.runs[0];
        for reference in &first.config.eval.references {
            let mut spec = first.clone();
            spec.name = reference.name().to_string();
            runs.push((spec, reference.model_kind()));
        }
    }
    if !options.only.is_empty() {
        let names: Vec<&str> = runs.iter().map(|(spec, _)| spec.name.as_str()).collect();
        if let Some(unknown) = options.only.iter().find(|n| !names.contains(&n.as_str())) {
            bail!(
                "--runs: `{unknown}` is not a run of {} (runs: {})",
                experiment.name,
                names.join(", ")
            );
        }
        runs.retain(|(spec, _)| options.only.contains(&spec.name));
    }
    let follower = options.nodes.as_ref().is_some_and(|n| n.rank > 0);
    if follower {
        // Reference rows involve no training: node 0 evaluates them alone.
        runs.retain(|(_, kind)| *kind == ModelKind::Trained);
    }
    let total = runs.len();
    let mut finished = Vec::with_capacity(total);
    for (i, (spec, kind)) in runs.iter().enumerate() {
        progress.line(
            "run",
            &format!("{} run {}/{total}: {}", experiment.name, i + 1, spec.name),
        );
        let run = RunContext {
            experiment: &experiment.name,
            spec,
            kind: *kind,
            locations,
            resume,
            stages,
            nodes: options.nodes.as_ref(),
            progress,
        };
        if resume && run.finished_before()? {
            progress.line("run", &format!("{}: finished before, skipped", spec.name));
            finished.push(run.target());
            continue;
        }
        finished.extend(run.execute()?);
    }
    let report = match stages {
        Stages::All if !follower => Some(crate::results::write_report_in(
            &locations.results_dir.join(&experiment.name),
            &experiment.name,
            true,
        )?),
        _ => None,
    };
    Ok(ExperimentOutcome {
        runs: finished,
        report,
    })
}

/// One run of an experiment.
struct RunContext<'a> {
    experiment: &'a str,
    spec: &'a RunSpec,
    kind: ModelKind,
    locations: &'a Locations,
    resume: bool,
    stages: Stages,
    nodes: Option<&'a Nodes>,
    progress: &'a dyn Progress,
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
    fn config(&self) -> &ExperimentConfig {
        &self.spec.config
    }

    fn checkpoints(&self) -> PathBuf {
        self.locations
            .results_dir
            .join(self.experiment)
            .join("checkpoints")
            .join(&self.spec.name)
    }

    /// Where the run's results are once committed.
    fn target(&self) -> PathBuf {
        self.locations
            .results_dir
            .join(self.experiment)
            .join(&self.spec.name)
    }

    /// True when the run's folder holds a complete result (its manifest, and metrics when
    /// evaluation is part of the stages) made with the same settings.
    fn finished_before(&self) -> Result<bool> {
        let dir = self.target();
        let complete = dir.join(MANIFEST_FILE).is_file()
            && (self.stages == Stages::Train || dir.join(hbt_schema::METRICS_FILE).is_file());
        if !complete {
            return Ok(false);
        }
        let saved = std::fs::read_to_string(dir.join(CONFIG_FILE)).unwrap_or_default();
        Ok(saved == self.config().to_toml()?)
    }

    /// Runs the stages; the run's folder, or `None` on a node other than node 0 of a
    /// multi-node run (which keeps nothing).
    fn execute(&self) -> Result<Option<PathBuf>> {
        let started = SystemTime::now();
        // The code state when the run starts (a long run may outlive later commits).
        let (git_commit, git_dirty) = git_state();
        let config = self.config();
        let run_dir = RunDir::create(
            &self.locations.results_dir,
            self.experiment,
            &self.spec.name,
        )?;
        run_dir.write(CONFIG_FILE, config.to_toml()?.as_bytes())?;
        let mut clock = StageClock::default();
        let prepared = clock.time("data", || {
            stages::data::run(config, self.locations, &run_dir, self.progress)
        })?;
        let kept = match config.backend {
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
        };
        if !kept {
            return Ok(None);
        }
        let manifest = RunManifest {
            schema_version: MANIFEST_SCHEMA_VERSION,
            hbt_version: env!("CARGO_PKG_VERSION").to_string(),
            experiment: self.experiment.to_string(),
            run: self.spec.name.clone(),
            git_commit,
            git_dirty,
            started_at: timestamp(started),
            finished_at: timestamp(SystemTime::now()),
            seed: config.seed,
            backend: config.backend,
            product_library: (config.backend == BackendKind::Flex).then(|| {
                hbt_kernels::cpu::product::Provider::get()
                    .name()
                    .to_string()
            }),
            command: std::env::args().collect(),
            data: prepared.files,
            stages: clock.times,
        };
        run_dir.write_json(MANIFEST_FILE, &manifest)?;
        run_dir.commit().map(Some)
    }

    /// The stages that need the encoder, on backend `B`; false when this node keeps nothing
    /// (a node other than node 0 of a multi-node run).
    fn model_stages<B: AutodiffBackend>(
        &self,
        prepared: &PreparedData,
        run_dir: &RunDir,
        clock: &mut StageClock,
    ) -> Result<bool> {
        let config = self.config();
        let device = B::Device::default();
        let tokenizer = &prepared.tokenizer;
        let model = match self.kind {
            ModelKind::Bm25 => None,
            ModelKind::Untrained | ModelKind::Pretrained => {
                Some(stages::model::initial_encoder::<B::InnerBackend>(
                    config,
                    tokenizer,
                    prepared.pretrained.as_ref(),
                    &device,
                )?)
            }
            ModelKind::Trained => match clock.time("train", || {
                let model = stages::model::initial_encoder::<B>(
                    config,
                    tokenizer,
                    prepared.pretrained.as_ref(),
                    &device,
                )?;
                stages::train::run(
                    config,
                    prepared,
                    model,
                    run_dir,
                    stages::train::Checkpoints {
                        dir: &self.checkpoints(),
                        resume: self.resume,
                    },
                    &device,
                    self.nodes,
                    self.progress,
                )
            })? {
                Some(model) => Some(model),
                None => return Ok(false),
            },
        };
        if self.stages == Stages::Train {
            return Ok(true);
        }
        let ranker = match &model {
            Some(model) => Ranker::Dense { model, tokenizer },
            None => Ranker::Bm25,
        };
        let job = EvalJob {
            tasks: &prepared.eval,
            train_languages: &stages::eval::train_languages(prepared),
            kind: self.kind,
            out: run_dir.path(),
        };
        clock.time("eval", || {
            stages::eval::run(
                &job,
                &ranker,
                &EvalSettings::of(config),
                &device,
                self.progress,
            )
        })?;
        Ok(true)
    }
}
