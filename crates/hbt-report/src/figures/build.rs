//! Assembling every figure of an experiment from its runs and writing the files.

use std::path::Path;

use hbt_schema::metrics::QaMetrics;
use hbt_schema::{ModelKind, Strategy};

use super::alpha_sweep::{AlphaSweep, SweepPoint};
use super::curves::{averaged_dev, averaged_loss, smoothing_window, CurveSeries, TrainingCurves};
use super::heatmap::{nice_vmax, Heatmap};
use super::rank_distance::{DistanceSeries, RankDistanceCdf};
use super::style::series_styles;
use super::{render, FigureFile};
use crate::error::Result;
use crate::groups::{format_alpha, slugify, RunGroup};
use crate::load::Experiment;
use crate::stats::Summary;

/// What [`write_figures`] produced.
#[derive(Debug, Clone, Default)]
pub struct FigureOutput {
    /// Written figures, in report order.
    pub files: Vec<FigureFile>,
    /// Figures that were skipped, and why.
    pub notes: Vec<String>,
}

/// The strategy name used to pick each group's colour.
fn style_kinds(groups: &[RunGroup<'_>]) -> Vec<String> {
    groups
        .iter()
        .map(|g| match g.model {
            ModelKind::Bm25 => "bm25".to_string(),
            ModelKind::Untrained | ModelKind::Pretrained => g.model.name().to_string(),
            ModelKind::Trained => g.strategy.map(|s| s.name().to_string()).unwrap_or_default(),
        })
        .collect()
}

/// Draws every figure of the experiment into `dir` (PNG + SVG each).
pub fn write_figures(
    experiment: &Experiment,
    groups: &[RunGroup<'_>],
    dir: &Path,
) -> Result<FigureOutput> {
    let mut out = FigureOutput::default();
    let kinds = style_kinds(groups);
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    let styles = series_styles(&kinds);
    for task in experiment.qa_tasks() {
        heatmaps(experiment, groups, &task, dir, &mut out)?;
        rank_distances(groups, &styles, &task, dir, &mut out)?;
        alpha_sweep(groups, &task, dir, &mut out)?;
    }
    training_curves(experiment, groups, &styles, dir, &mut out)?;
    Ok(out)
}

fn heatmaps(
    experiment: &Experiment,
    groups: &[RunGroup<'_>],
    task: &str,
    dir: &Path,
    out: &mut FigureOutput,
) -> Result<()> {
    let (langs, zero) = experiment.task_languages(task);
    let mut maps = Vec::new();
    for g in groups {
        for run in &g.runs {
            let Some(t) = run.metrics.qa_task(task) else {
                continue;
            };
            let who = match run.seed() {
                Some(seed) if !g.model.is_reference() && g.runs.len() > 1 => {
                    format!("{}, seed {seed}", g.label)
                }
                _ => g.label.clone(),
            };
            let title = format!("{task}: X→Y mAP, {who}");
            if let Some(h) = Heatmap::from_task(title, t, &langs, &zero) {
                let caption = format!(
                    "{task}: mAP of queries in X (rows) against the pool in Y (columns) for run \
                     `{}` ({who}); diagonal (outlined): monolingual mAP.",
                    run.name
                );
                maps.push((format!("heatmap_{task}_{}", slugify(&run.name)), caption, h));
            }
        }
    }
    let vmax = nice_vmax(maps.iter().map(|m| m.2.max_value()).fold(0.0, f64::max));
    for (stem, caption, mut h) in maps {
        h.vmax = vmax;
        out.files.push(render(&h, dir, &stem, &caption)?);
    }
    Ok(())
}

fn rank_distances(
    groups: &[RunGroup<'_>],
    styles: &[super::style::SeriesStyle],
    task: &str,
    dir: &Path,
    out: &mut FigureOutput,
) -> Result<()> {
    let mut series = Vec::new();
    for (g, style) in groups.iter().zip(styles) {
        let mut distances = Vec::new();
        let mut have_rows = false;
        for run in &g.runs {
            match run.per_query_if_present()? {
                Some(rows) => {
                    have_rows = true;
                    distances.extend(
                        rows.iter()
                            .filter(|r| r.dataset == task && r.setting == "multi")
                            .filter_map(|r| r.rank_distance()),
                    );
                }
                None => out.notes.push(format!(
                    "rank-distance figure: run `{}` has no per_query.parquet",
                    run.name
                )),
            }
        }
        if have_rows && !distances.is_empty() {
            distances.sort_unstable();
            series.push(DistanceSeries {
                label: g.label.clone(),
                style: *style,
                distances,
            });
        }
    }
    if series.is_empty() {
        out.notes.push(format!(
            "no rank-distance figure for {task}: no multi-setting query with two or more relevant answers"
        ));
        return Ok(());
    }
    let fig = RankDistanceCdf {
        title: format!("{task}: rank distance (multi setting)"),
        series,
    };
    let caption = format!(
        "{task}: cumulative distribution of the rank distance (max − min rank of a query's \
         relevant answers, multi setting) per strategy, pooled over seeds; curves further up-left \
         mean less language bias. Markers sit at the medians."
    );
    out.files.push(render(
        &fig,
        dir,
        &format!("rank_distance_{task}"),
        &caption,
    )?);
    Ok(())
}

fn sweep_point(tasks: &[&QaMetrics], alpha: f64) -> SweepPoint {
    let setting = |i: usize| {
        let v: Vec<f64> = tasks
            .iter()
            .filter_map(|t| match i {
                0 => Some(t.mono.mean.map),
                1 => t.cross.as_ref().map(|s| s.mean.map),
                _ => Some(t.multi.mean.map),
            })
            .collect();
        Summary::of(&v)
    };
    let rd: Vec<f64> = tasks
        .iter()
        .filter_map(|t| t.multi.rank_distance.mean)
        .collect();
    SweepPoint {
        alpha,
        map: [setting(0), setting(1), setting(2)],
        rank_distance: Summary::of(&rd),
    }
}

fn alpha_sweep(
    groups: &[RunGroup<'_>],
    task: &str,
    dir: &Path,
    out: &mut FigureOutput,
) -> Result<()> {
    fn tasks_of<'a>(g: &RunGroup<'a>, task: &str) -> Vec<&'a QaMetrics> {
        g.runs
            .iter()
            .filter_map(|r| r.metrics.qa_task(task))
            .collect()
    }
    let mut hybrid: Vec<SweepPoint> = groups
        .iter()
        .filter(|g| g.strategy == Some(Strategy::Hybrid))
        .filter_map(|g| Some(sweep_point(&tasks_of(g, task), g.alpha?)))
        .collect();
    hybrid.sort_by(|a, b| a.alpha.total_cmp(&b.alpha));
    hybrid.dedup_by(|a, b| a.alpha == b.alpha);
    if hybrid.len() < 2 {
        return Ok(());
    }
    let endpoints = groups
        .iter()
        .filter_map(|g| match g.strategy? {
            Strategy::Cross => Some(sweep_point(&tasks_of(g, task), 0.0)),
            Strategy::Mono => Some(sweep_point(&tasks_of(g, task), 1.0)),
            _ => None,
        })
        .collect();
    let alphas: Vec<String> = hybrid.iter().map(|p| format_alpha(p.alpha)).collect();
    let fig = AlphaSweep {
        title: format!("{task}: hybrid α sweep"),
        hybrid,
        endpoints,
    };
    let caption = format!(
        "{task}: mAP per setting (top) and mean rank distance (bottom) against α for hybrid \
         runs (α = {}); hollow markers: the cross (α = 0) and mono (α = 1) strategies; error \
         bars: ± one standard deviation over seeds.",
        alphas.join(", ")
    );
    out.files
        .push(render(&fig, dir, &format!("alpha_sweep_{task}"), &caption)?);
    Ok(())
}

fn training_curves(
    experiment: &Experiment,
    groups: &[RunGroup<'_>],
    styles: &[super::style::SeriesStyle],
    dir: &Path,
    out: &mut FigureOutput,
) -> Result<()> {
    let mut logs = Vec::new();
    let mut longest = 0;
    for (g, style) in groups.iter().zip(styles) {
        if g.model.is_reference() {
            continue;
        }
        let mut train = Vec::new();
        let mut dev = Vec::new();
        for run in &g.runs {
            match run.train_log()? {
                Some(t) => {
                    longest = longest.max(t.len());
                    train.push(t);
                }
                None => out.notes.push(format!(
                    "training curves: run `{}` has no train_log.csv",
                    run.name
                )),
            }
            if let Some(d) = run.dev_log()? {
                dev.push(d);
            }
        }
        if !train.is_empty() || !dev.is_empty() {
            logs.push((g.label.clone(), *style, train, dev));
        }
    }
    if logs.is_empty() {
        return Ok(());
    }
    let window = smoothing_window(longest);
    let series = logs
        .into_iter()
        .map(|(label, style, train, dev)| {
            let (dev, selected) = averaged_dev(&dev);
            CurveSeries {
                label,
                style,
                loss: averaged_loss(&train, window),
                dev,
                selected,
            }
        })
        .collect();
    let fig = TrainingCurves {
        title: format!("{}: training", experiment.name),
        series,
        window,
    };
    let caption = format!(
        "Training loss ({window}-step moving average, top) and dev recall@1 per checkpoint \
         (bottom) per strategy, averaged over seeds; circled: the checkpoint kept as the final model."
    );
    out.files
        .push(render(&fig, dir, "training_curves", &caption)?);
    Ok(())
}
