//! X→Y mAP heatmap of one run: rows are query languages, columns pool languages, the diagonal
//! (outlined) is the monolingual mAP; every cell prints its value.

use hbt_schema::metrics::QaMetrics;
use hbt_schema::Lang;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::parts::with_title;
use super::style::{self, text_color_on, viridis};
use super::{font, DrawResult, Figure};

/// The data of one heatmap.
#[derive(Debug, Clone)]
pub struct Heatmap {
    /// Title above the plot.
    pub title: String,
    /// Languages (both axes, same order).
    pub languages: Vec<Lang>,
    /// Which languages are zero-shot (marked with a dagger in the tick labels).
    pub zero_shot: Vec<bool>,
    /// `values[x][y]`: mAP of queries in X against the pool in Y (mono on the diagonal).
    pub values: Vec<Vec<Option<f64>>>,
    /// Upper end of the colour scale (shared across runs so heatmaps compare).
    pub vmax: f64,
}

impl Heatmap {
    /// The matrix of a QA task's metrics (`None` when the task has no cross pairs).
    pub fn from_task(
        title: String,
        task: &QaMetrics,
        languages: &[Lang],
        zero: &[Lang],
    ) -> Option<Heatmap> {
        let cross = task.cross.as_ref()?;
        if cross.pairs.is_empty() {
            return None;
        }
        let values = languages
            .iter()
            .map(|&x| {
                languages
                    .iter()
                    .map(|&y| {
                        let v = if x == y {
                            task.mono.per_language.get(&x).map(|m| m.map)
                        } else {
                            task.cross_pair(x, y).map(|m| m.map)
                        };
                        v.filter(|v| !v.is_nan())
                    })
                    .collect()
            })
            .collect();
        Some(Heatmap {
            title,
            languages: languages.to_vec(),
            zero_shot: languages.iter().map(|l| zero.contains(l)).collect(),
            values,
            vmax: 1.0,
        })
    }

    /// Largest value in the matrix.
    pub fn max_value(&self) -> f64 {
        self.values
            .iter()
            .flatten()
            .flatten()
            .fold(0.0, |a: f64, &b| a.max(b))
    }

    fn label(&self, i: usize) -> String {
        let mark = if self.zero_shot[i] { "†" } else { "" };
        format!("{}{mark}", self.languages[i])
    }
}

/// Rounds a colour-scale maximum up to a multiple of 0.1 (at most 1).
pub fn nice_vmax(max: f64) -> f64 {
    if max <= 0.0 || max.is_nan() {
        return 1.0;
    }
    ((max * 10.0).ceil() / 10.0).min(1.0)
}

/// An axis of `n` unit cells over [0, n] whose ticks sit at the cell centres (i + 0.5).
#[derive(Debug, Clone, Copy)]
struct CellAxis(usize);

impl Ranged for CellAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = value / self.0.max(1) as f64;
        limit.0 + (share * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.0).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.0 as f64
    }
}

impl Figure for Heatmap {
    fn size(&self) -> (u32, u32) {
        (style::COLUMN_WIDTH, 1000)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.languages.len();
        let nf = n as f64;
        let root = with_title(root, &self.title)?;
        let (w, _) = root.dim_in_pixel();
        let (main, bar) = root.split_horizontally(w as i32 - 150);
        let bottom = 110;
        // Row 0 is drawn at the top.
        let mut chart = ChartBuilder::on(&main)
            .margin(12)
            .margin_right(4)
            .x_label_area_size(bottom)
            .y_label_area_size(105)
            .build_cartesian_2d(CellAxis(n), CellAxis(n))?;
        let index = |v: f64| {
            let i = v.floor();
            (i >= 0.0 && i < nf).then_some(i as usize)
        };
        let x_label = |v: &f64| index(*v).map(|i| self.label(i)).unwrap_or_default();
        let y_label = |v: &f64| index(*v).map(|i| self.label(n - 1 - i)).unwrap_or_default();
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .label_style(font(style::TICK_SIZE))
            .axis_desc_style(font(style::DESC_SIZE))
            .x_desc("candidate pool language (Y)")
            .y_desc("query language (X)")
            .draw()?;
        let cell_font = font(style::CELL_SIZE).pos(Pos::new(HPos::Center, VPos::Center));
        for (xi, row) in self.values.iter().enumerate() {
            let y = (n - 1 - xi) as f64;
            for (yi, v) in row.iter().enumerate() {
                let x = yi as f64;
                let corners = [(x, y), (x + 1.0, y + 1.0)];
                let center = (x + 0.5, y + 0.5);
                let (bg, text, fg) = match v {
                    Some(v) => {
                        let bg = viridis(v / self.vmax);
                        let text = format!("{v:.2}");
                        // ".52" rather than "0.52" keeps the cells readable with 11 languages.
                        let text = text.strip_prefix('0').unwrap_or(&text).to_string();
                        (bg, text, text_color_on(bg))
                    }
                    None => (
                        RGBColor(235, 235, 235),
                        "–".to_string(),
                        RGBColor(110, 110, 110),
                    ),
                };
                chart.draw_series(std::iter::once(Rectangle::new(corners, bg.filled())))?;
                chart.draw_series(std::iter::once(Text::new(
                    text,
                    center,
                    cell_font.clone().color(&fg),
                )))?;
                if xi == yi {
                    chart.draw_series(std::iter::once(Rectangle::new(
                        corners,
                        WHITE.stroke_width(4),
                    )))?;
                }
            }
        }
        self.draw_colorbar(&bar, bottom)
    }
}

impl Heatmap {
    fn draw_colorbar<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        bottom: u32,
    ) -> DrawResult<DB> {
        let mut bar = ChartBuilder::on(area)
            .margin(12)
            .margin_left(6)
            .x_label_area_size(bottom)
            .right_y_label_area_size(80)
            .build_cartesian_2d(0f64..1f64, 0f64..self.vmax)?;
        bar.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(6)
            .y_label_formatter(&|v| format!("{v:.1}"))
            .label_style(font(style::TICK_SIZE))
            .draw()?;
        let steps = 100;
        bar.draw_series((0..steps).map(|i| {
            let lo = self.vmax * i as f64 / steps as f64;
            let hi = self.vmax * (i + 1) as f64 / steps as f64;
            Rectangle::new(
                [(0.0, lo), (1.0, hi)],
                viridis((lo + hi) / 2.0 / self.vmax).filled(),
            )
        }))?;
        // Caption of the bar, under it (where the heatmap's x description sits).
        let (w, h) = area.dim_in_pixel();
        area.draw(&Text::new(
            "mAP",
            (w as i32 / 2 - 20, h as i32 - bottom as i32 + 30),
            font(style::DESC_SIZE).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
        Ok(())
    }
}
