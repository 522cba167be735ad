//! `hbt experiment NAME` and `hbt train NAME` (with `--check`: validate and list the runs).

use anyhow::{Context, Result};
use hbt_pipeline::experiment::{self, Stages};
use hbt_pipeline::Locations;

use crate::cli::ExperimentArgs;
use crate::progress::Terminal;

/// Runs (or with `--check`, validates) an experiment.
pub fn run(args: &ExperimentArgs, locations: &Locations, stages: Stages) -> Result<()> {
    let experiment = experiment::load(&args.name, locations)?;
    if args.check {
        println!(
            "{}: ok, {} run(s)",
            experiment.path.display(),
            experiment.runs.len()
        );
        for spec in &experiment.runs {
            match experiment::check_backend(spec.config.backend)
                .with_context(|| format!("run {}: key `backend`", spec.name))
            {
                Ok(()) => println!("  {}", spec.name),
                // Valid, but this build cannot run it: say so without failing the check.
                Err(e) => println!("  {} (note: {e:#})", spec.name),
            }
        }
        return Ok(());
    }
    let terminal = Terminal::new();
    let started = std::time::Instant::now();
    let options = experiment::RunOptions {
        resume: args.resume,
        only: args.runs.clone(),
        skip_memory_check: args.skip_memory_check,
        nodes: nodes(args)?,
    };
    let outcome = experiment::run(&experiment, locations, &options, stages, &terminal)?;
    for dir in &outcome.runs {
        println!("{}", dir.display());
    }
    if let Some(summary) = &outcome.report {
        super::report::print_summary(summary, "the whole experiment", started);
    }
    Ok(())
}

/// The multi-node settings of the command line (`None` without `--nodes`).
fn nodes(args: &ExperimentArgs) -> Result<Option<experiment::Nodes>> {
    let (Some(count), Some(rank), Some(coordinator)) =
        (args.nodes, args.node_rank, args.coordinator.clone())
    else {
        return Ok(None);
    };
    if count == 0 {
        anyhow::bail!("--nodes: must be at least 1");
    }
    if rank >= count {
        anyhow::bail!("--node-rank: {rank} is not below --nodes {count}");
    }
    let port =
        hbt_train::parallel::address_port("coordinator", &coordinator).context("--coordinator")?;
    let node_address = match &args.node_address {
        Some(address) => address.clone(),
        None => {
            let host = coordinator.rsplit_once(':').map_or("", |(host, _)| host);
            let own = u16::try_from(usize::from(port) + 1 + rank).context(
                "--coordinator: no port left above it for the nodes; give --node-address",
            )?;
            format!("{host}:{own}")
        }
    };
    let timeout = std::time::Duration::try_from_secs_f64(args.node_timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .with_context(|| {
            format!(
                "--node-timeout: {} is not a positive number of seconds",
                args.node_timeout
            )
        })?;
    Ok(Some(experiment::Nodes {
        rank,
        count,
        coordinator,
        node_address,
        timeout,
    }))
}
