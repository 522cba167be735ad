//! α sweep: for hybrid runs with different α (probability of a monolingual batch), mAP of the
//! mono / cross / multi settings (top) and the mean rank distance (bottom) against α.
//! Runs of the `cross` strategy (α = 0 in effect) and `mono` strategy (α = 1) are drawn as
//! hollow markers at the ends when present. Error bars: ± one standard deviation over seeds.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{
    column_size, draw_marker, panel_chart, stacked_panels, LegendEntry, PanelAxes, XyChart,
};
use super::style::{okabe_ito, Marker};
use super::{DrawResult, Figure};
use crate::stats::Summary;

/// One point of the sweep (a hybrid group, or a mono / cross endpoint).
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// α.
    pub alpha: f64,
    /// mAP of mono, cross and multi (in that order).
    pub map: [Option<Summary>; 3],
    /// Mean rank distance.
    pub rank_distance: Option<Summary>,
}

/// The α-sweep figure of one dataset.
#[derive(Debug, Clone)]
pub struct AlphaSweep {
    /// Title above the plots.
    pub title: String,
    /// Hybrid groups, sorted by α.
    pub hybrid: Vec<SweepPoint>,
    /// `cross` (α = 0) and `mono` (α = 1) strategy results, when present.
    pub endpoints: Vec<SweepPoint>,
}

const SETTINGS: [(&str, RGBColor, Marker); 3] = [
    ("mono", okabe_ito::BLUE, Marker::Circle),
    ("cross", okabe_ito::VERMILLION, Marker::Triangle),
    ("multi", okabe_ito::BLUISH_GREEN, Marker::Square),
];

impl AlphaSweep {
    fn legend(&self) -> Vec<LegendEntry> {
        let mut entries: Vec<LegendEntry> = SETTINGS
            .iter()
            .map(|(name, color, shape)| LegendEntry::line(*name, *color, Some(*shape), false))
            .collect();
        if !self.endpoints.is_empty() {
            entries.push(LegendEntry::marker(
                "cross / mono strategy (α = 0 / 1)",
                RGBColor(90, 90, 90),
                Marker::Circle,
                true,
            ));
        }
        entries
    }
}

impl Figure for AlphaSweep {
    fn size(&self) -> (u32, u32) {
        column_size(&self.legend(), 1250)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (top, bottom) = stacked_panels(root, &self.title, &self.legend(), 0.54)?;
        let all: Vec<&SweepPoint> = self.hybrid.iter().chain(&self.endpoints).collect();

        // Top: mAP per setting.
        let (lo, hi) = range(all.iter().flat_map(|p| p.map.iter().flatten()));
        let mut chart = panel_chart(&top, -0.05..1.05, lo..hi, &PanelAxes::top("mAP"))?;
        for (i, (_, color, shape)) in SETTINGS.iter().enumerate() {
            let pts: Vec<(f64, Summary)> = self
                .hybrid
                .iter()
                .filter_map(|p| p.map[i].map(|s| (p.alpha, s)))
                .collect();
            draw_points(&mut chart, &pts, *color, *shape, false, true)?;
            let ends: Vec<(f64, Summary)> = self
                .endpoints
                .iter()
                .filter_map(|p| p.map[i].map(|s| (p.alpha, s)))
                .collect();
            draw_points(&mut chart, &ends, *color, *shape, true, false)?;
        }

        // Bottom: rank distance.
        let (lo, hi) = range(all.iter().filter_map(|p| p.rank_distance.as_ref()));
        let axes = PanelAxes::bottom(
            &|v| format!("{v:.1}"),
            "α (share of monolingual batches)",
            5,
            &|v| format!("{v:.0}"),
            "rank distance",
        );
        let mut chart = panel_chart(&bottom, -0.05..1.05, lo.max(0.0)..hi, &axes)?;
        let pts: Vec<(f64, Summary)> = self
            .hybrid
            .iter()
            .filter_map(|p| p.rank_distance.map(|s| (p.alpha, s)))
            .collect();
        draw_points(
            &mut chart,
            &pts,
            okabe_ito::BLACK,
            Marker::Circle,
            false,
            true,
        )?;
        let ends: Vec<(f64, Summary)> = self
            .endpoints
            .iter()
            .filter_map(|p| p.rank_distance.map(|s| (p.alpha, s)))
            .collect();
        draw_points(
            &mut chart,
            &ends,
            okabe_ito::BLACK,
            Marker::Circle,
            true,
            false,
        )?;
        Ok(())
    }
}

/// Value range of summaries (mean ± std) with 8 % padding.
fn range<'a>(values: impl Iterator<Item = &'a Summary>) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for s in values {
        let sd = s.std.unwrap_or(0.0);
        lo = lo.min(s.mean - sd);
        hi = hi.max(s.mean + sd);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.02).max(1e-3);
    (lo - pad, hi + pad)
}

/// Points with ± std error bars, joined by a line when `line`.
fn draw_points<DB: DrawingBackend>(
    chart: &mut XyChart<'_, DB>,
    pts: &[(f64, Summary)],
    color: RGBColor,
    shape: Marker,
    hollow: bool,
    line: bool,
) -> DrawResult<DB> {
    if line {
        chart.draw_series(LineSeries::new(
            pts.iter().map(|(x, s)| (*x, s.mean)),
            color.stroke_width(4),
        ))?;
    }
    for (x, s) in pts {
        if let Some(sd) = s.std {
            chart.draw_series(std::iter::once(ErrorBar::new_vertical(
                *x,
                s.mean - sd,
                s.mean,
                s.mean + sd,
                color.stroke_width(3),
                16,
            )))?;
        }
        draw_marker(
            chart.plotting_area(),
            (*x, s.mean),
            shape,
            color,
            11,
            hollow,
        )?;
    }
    Ok(())
}
