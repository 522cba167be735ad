//! Rank-distance distribution per strategy: the empirical cumulative distribution (ECDF) of
//! max − min rank of a query's relevant answers in the multi setting, on a log axis.
//! Curves further left/up mean parallel answers are ranked closer together (less language bias).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::parts::{column_size, draw_marker, with_legend, with_title, LegendEntry};
use super::style::{self, SeriesStyle};
use super::{font, DrawResult, Figure};

/// One strategy's distances.
#[derive(Debug, Clone)]
pub struct DistanceSeries {
    /// Legend label.
    pub label: String,
    /// Look of the curve.
    pub style: SeriesStyle,
    /// Rank distances of all queries (pooled over seeds), sorted ascending.
    pub distances: Vec<u32>,
}

/// The ECDF figure of one dataset.
#[derive(Debug, Clone)]
pub struct RankDistanceCdf {
    /// Title above the plot.
    pub title: String,
    /// One curve per strategy.
    pub series: Vec<DistanceSeries>,
}

/// Median of sorted values.
pub(crate) fn median(sorted: &[u32]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0
    }
}

/// ECDF points (distance, fraction ≤ distance) at each distinct distance, as a step curve.
fn ecdf_steps(sorted: &[u32]) -> Vec<(f64, f64)> {
    let n = sorted.len() as f64;
    let mut out: Vec<(f64, f64)> = Vec::new();
    let mut prev = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let d = sorted[i];
        while i < sorted.len() && sorted[i] == d {
            i += 1;
        }
        let x = (d.max(1)) as f64;
        out.push((x, prev));
        prev = i as f64 / n;
        out.push((x, prev));
    }
    out
}

/// A tick label of a count: `100`, `10k` (a six-digit right-most tick does not fit the margin).
fn compact_count(value: f64) -> String {
    if value >= 1000.0 {
        format!("{:.0}k", value / 1000.0)
    } else {
        format!("{value:.0}")
    }
}

impl Figure for RankDistanceCdf {
    fn size(&self) -> (u32, u32) {
        column_size(&self.legend(), 760)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let root = with_title(root, &self.title)?;
        let root = with_legend(&root, &self.legend())?;
        let max = self
            .series
            .iter()
            .filter_map(|s| s.distances.last())
            .max()
            .copied()
            .unwrap_or(10)
            .max(10) as f64;
        let x_max = 10f64.powf(max.log10().ceil());
        let mut chart = ChartBuilder::on(&root)
            .margin(15)
            .margin_right(35)
            .x_label_area_size(95)
            .y_label_area_size(110)
            .build_cartesian_2d((1f64..x_max).log_scale(), 0f64..1f64)?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .bold_line_style(RGBColor(225, 225, 225))
            .x_label_formatter(&|v| compact_count(*v))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .y_labels(6)
            .label_style(font(style::TICK_SIZE))
            .axis_desc_style(font(style::DESC_SIZE))
            .x_desc("rank distance (max − min rank), log scale")
            .y_desc("fraction of queries ≤ x")
            .draw()?;
        for s in &self.series {
            if s.distances.is_empty() {
                continue;
            }
            let pts = ecdf_steps(&s.distances);
            let color = s.style.color.stroke_width(4);
            if s.style.dashed {
                chart.draw_series(DashedLineSeries::new(pts, 14, 8, color))?;
            } else {
                chart.draw_series(LineSeries::new(pts, color))?;
            }
            // A marker at the median tells strategies apart without colour.
            let med = median(&s.distances).max(1.0);
            draw_marker(
                chart.plotting_area(),
                (med, 0.5),
                s.style.marker,
                s.style.color,
                10,
                false,
            )?;
        }
        Ok(())
    }
}

impl RankDistanceCdf {
    fn legend(&self) -> Vec<LegendEntry> {
        self.series
            .iter()
            .filter(|s| !s.distances.is_empty())
            .map(|s| {
                LegendEntry::line(
                    format!("{} (median {})", s.label, fmt_median(median(&s.distances))),
                    s.style.color,
                    Some(s.style.marker),
                    s.style.dashed,
                )
            })
            .collect()
    }
}

fn fmt_median(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{m:.0}")
    } else {
        format!("{m:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdf_steps_reach_one() {
        let s = ecdf_steps(&[1, 1, 3, 10]);
        assert_eq!(s.first(), Some(&(1.0, 0.0)));
        assert_eq!(s.last(), Some(&(10.0, 1.0)));
        assert_eq!(s[1], (1.0, 0.5));
        assert_eq!(median(&[1, 1, 3, 10]), 2.0);
    }

    #[test]
    fn large_ticks_are_written_in_thousands() {
        let ticks: Vec<String> = [1.0, 100.0, 1000.0, 100_000.0].map(compact_count).to_vec();
        assert_eq!(ticks, ["1", "100", "1k", "100k"]);
    }
}
