//! Training curves per strategy: the training loss (moving average, top) and the dev recall@1
//! at each checkpoint (bottom). Curves are averaged over a strategy's seeds; the checkpoint that
//! became the final model is circled.

use std::collections::BTreeMap;

use hbt_schema::{DevRow, TrainLogRow};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{column_size, draw_marker, panel_chart, stacked_panels, LegendEntry, PanelAxes};
use super::style::{Marker, SeriesStyle};
use super::{DrawResult, Figure};

/// (x, y) points of a curve.
pub type Points = Vec<(f64, f64)>;

/// One strategy's curves.
#[derive(Debug, Clone)]
pub struct CurveSeries {
    /// Legend label.
    pub label: String,
    /// Look of the curves.
    pub style: SeriesStyle,
    /// (step, smoothed loss).
    pub loss: Vec<(f64, f64)>,
    /// (step, dev recall@1).
    pub dev: Vec<(f64, f64)>,
    /// Points of `dev` whose checkpoint was selected in some run.
    pub selected: Vec<(f64, f64)>,
}

/// The training-curves figure.
#[derive(Debug, Clone)]
pub struct TrainingCurves {
    /// Title above the plots.
    pub title: String,
    /// One entry per strategy.
    pub series: Vec<CurveSeries>,
    /// Moving-average window (steps) used for the loss.
    pub window: usize,
}

/// The loss window: about 1/25 of the longest run, at least 1.
pub fn smoothing_window(longest: usize) -> usize {
    (longest / 25).max(1)
}

/// Mean loss per step over runs, then a trailing moving average of `window` steps.
pub fn averaged_loss(runs: &[Vec<TrainLogRow>], window: usize) -> Vec<(f64, f64)> {
    let mut by_step: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
    for log in runs {
        for s in log {
            if s.loss.is_finite() {
                let e = by_step.entry(s.step).or_insert((0.0, 0));
                e.0 += s.loss;
                e.1 += 1;
            }
        }
    }
    let raw: Vec<(f64, f64)> = by_step
        .into_iter()
        .map(|(step, (sum, n))| (step as f64, sum / n as f64))
        .collect();
    let mut out = Vec::with_capacity(raw.len());
    let mut sum = 0.0;
    for i in 0..raw.len() {
        sum += raw[i].1;
        if i >= window {
            sum -= raw[i - window].1;
        }
        let n = (i + 1).min(window);
        out.push((raw[i].0, sum / n as f64));
    }
    out
}

/// Mean dev recall@1 per checkpoint step over runs, and the points selected in some run.
pub fn averaged_dev(runs: &[Vec<DevRow>]) -> (Points, Points) {
    let mut by_step: BTreeMap<u64, (f64, usize, bool)> = BTreeMap::new();
    for log in runs {
        for p in log {
            let e = by_step.entry(p.step).or_insert((0.0, 0, false));
            if p.dev_recall_at_1.is_finite() {
                e.0 += p.dev_recall_at_1;
                e.1 += 1;
            }
            e.2 |= p.selected;
        }
    }
    let mut dev = Vec::new();
    let mut selected = Vec::new();
    for (step, (sum, n, sel)) in by_step {
        if n == 0 {
            continue;
        }
        let pt = (step as f64, sum / n as f64);
        dev.push(pt);
        if sel {
            selected.push(pt);
        }
    }
    (dev, selected)
}

impl Figure for TrainingCurves {
    fn size(&self) -> (u32, u32) {
        column_size(&self.legend(), 1250)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (top, bottom) = stacked_panels(root, &self.title, &self.legend(), 0.5)?;
        let max_step = self
            .series
            .iter()
            .flat_map(|s| s.loss.iter().chain(&s.dev))
            .map(|p| p.0)
            .fold(1.0f64, f64::max);

        let losses = self.series.iter().flat_map(|s| s.loss.iter().map(|p| p.1));
        let (lo, hi) = padded(losses);
        let loss_desc = if self.window > 1 {
            format!("train loss ({}-step mean)", self.window)
        } else {
            "train loss".to_string()
        };
        let axes = PanelAxes::top(&loss_desc);
        let mut chart = panel_chart(&top, 0.0..max_step, lo..hi, &axes)?;
        for s in &self.series {
            chart.draw_series(LineSeries::new(
                s.loss.iter().copied(),
                s.style.color.stroke_width(4),
            ))?;
        }

        let recalls = self.series.iter().flat_map(|s| s.dev.iter().map(|p| p.1));
        let (lo, hi) = padded(recalls);
        // Six ticks over a narrow range (recall moving within 0.94–0.96) need a third decimal
        // to stay distinct.
        let decimals = if hi - lo < 0.1 { 3 } else { 2 };
        let recall_label = move |v: &f64| format!("{v:.decimals$}");
        let axes = PanelAxes::bottom(
            &|v| format!("{v:.0}"),
            "optimizer step",
            6,
            &recall_label,
            "dev recall@1",
        );
        let mut chart = panel_chart(&bottom, 0.0..max_step, lo.max(0.0)..hi.min(1.05), &axes)?;
        for s in &self.series {
            let color = s.style.color;
            chart.draw_series(LineSeries::new(
                s.dev.iter().copied(),
                color.stroke_width(4),
            ))?;
            for p in &s.dev {
                draw_marker(chart.plotting_area(), *p, s.style.marker, color, 9, false)?;
            }
            for p in &s.selected {
                draw_marker(chart.plotting_area(), *p, Marker::Ring, color, 18, false)?;
            }
        }
        Ok(())
    }
}

impl TrainingCurves {
    fn legend(&self) -> Vec<LegendEntry> {
        let mut entries: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|s| LegendEntry::line(s.label.clone(), s.style.color, Some(s.style.marker), false))
            .collect();
        if self.series.iter().any(|s| !s.selected.is_empty()) {
            entries.push(LegendEntry::marker(
                "selected checkpoint",
                RGBColor(90, 90, 90),
                Marker::Ring,
                false,
            ));
        }
        entries
    }
}

/// Range of values with 6 % padding (a unit range when empty or flat).
fn padded(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.06).max(1e-3);
    (lo - pad, hi + pad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(step: u64, loss: f64) -> TrainLogRow {
        TrainLogRow {
            step,
            loss,
            learning_rate: 0.0,
            batch_kind: hbt_schema::BatchKind::Mono,
            languages: "en-en".into(),
        }
    }

    #[test]
    fn loss_is_averaged_over_runs_then_smoothed() {
        let a = vec![step(1, 4.0), step(2, 2.0), step(3, 0.0)];
        let b = vec![step(1, 2.0), step(2, 2.0), step(3, 2.0)];
        let out = averaged_loss(&[a, b], 2);
        assert_eq!(out, vec![(1.0, 3.0), (2.0, 2.5), (3.0, 1.5)]);
    }
}
