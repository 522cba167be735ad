//! Pieces shared by the figures: title band, legend band (outside the plot, so it never hides
//! data), the charts of figures with two stacked panels, and marker shapes.

use std::ops::Range;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::{self, Marker};
use super::{font, DrawResult};

/// The glyphs of the bundled font sit about this share of the font size above the requested
/// anchor; text is nudged down by it so that it looks centred.
const GLYPH_NUDGE: f64 = 0.12;

/// Draws `title` centred in a band at the top of `root`; returns the area below it.
pub(crate) fn with_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let band = (style::TITLE_SIZE * 2.0) as u32;
    let (top, rest) = root.split_vertically(band);
    let (w, _) = top.dim_in_pixel();
    top.draw(&Text::new(
        title.to_string(),
        (
            w as i32 / 2,
            (band as f64 / 2.0 + style::TITLE_SIZE * GLYPH_NUDGE) as i32,
        ),
        font(style::TITLE_SIZE).pos(Pos::new(HPos::Center, VPos::Center)),
    ))?;
    Ok(rest)
}

/// One legend item.
#[derive(Debug, Clone)]
pub(crate) struct LegendEntry {
    /// Text.
    pub label: String,
    /// Colour of the sample.
    pub color: RGBColor,
    /// Marker drawn on the sample, if any.
    pub marker: Option<Marker>,
    /// Whether the marker is hollow.
    pub hollow: bool,
    /// Draw a line sample.
    pub line: bool,
    /// Dashed line sample.
    pub dashed: bool,
}

impl LegendEntry {
    /// A line (with marker) sample.
    pub fn line(
        label: impl Into<String>,
        color: RGBColor,
        marker: Option<Marker>,
        dashed: bool,
    ) -> Self {
        LegendEntry {
            label: label.into(),
            color,
            marker,
            hollow: false,
            line: true,
            dashed,
        }
    }

    /// A marker-only sample.
    pub fn marker(label: impl Into<String>, color: RGBColor, marker: Marker, hollow: bool) -> Self {
        LegendEntry {
            label: label.into(),
            color,
            marker: Some(marker),
            hollow,
            line: false,
            dashed: false,
        }
    }
}

const SAMPLE_W: i32 = 56;
const GAP: i32 = 34;
const ROW_H: f64 = style::LEGEND_SIZE * 1.45;

/// Width of a legend item in pixels, measured with the bundled font.
fn item_width(e: &LegendEntry) -> i32 {
    let text = (style::FONT, style::LEGEND_SIZE)
        .into_font()
        .box_size(&e.label)
        .map(|(w, _)| w as i32)
        // DejaVu Sans averages ~0.58 em per character.
        .unwrap_or((e.label.chars().count() as f64 * style::LEGEND_SIZE * 0.58) as i32);
    SAMPLE_W + 12 + text + GAP
}

/// Items packed left to right into rows that fit `width` (each row is centred when drawn).
fn layout(entries: &[LegendEntry], width: u32) -> Vec<Vec<usize>> {
    let avail = width as i32 - 40;
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0;
    for (i, e) in entries.iter().enumerate() {
        let w = item_width(e);
        match rows.last_mut() {
            Some(row) if used + w - GAP <= avail => {
                row.push(i);
                used += w;
            }
            _ => {
                rows.push(vec![i]);
                used = w;
            }
        }
    }
    rows
}

/// Height in pixels of the legend band for `entries` across `width`.
pub(crate) fn legend_height(entries: &[LegendEntry], width: u32) -> u32 {
    if entries.is_empty() {
        return 0;
    }
    (layout(entries, width).len() as f64 * ROW_H + 16.0) as u32
}

/// Splits a legend band off the top of `area`, draws the legend in it (a grid of items, centred)
/// and returns the area below.
pub(crate) fn with_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, _) = area.dim_in_pixel();
    let h = legend_height(entries, w);
    if h == 0 {
        return Ok(area.clone());
    }
    let (band, rest) = area.split_vertically(h);
    for (r, row) in layout(entries, w).iter().enumerate() {
        let used: i32 = row.iter().map(|&i| item_width(&entries[i])).sum::<i32>() - GAP;
        let mut x = (w as i32 - used).max(0) / 2;
        let y = (8.0 + ROW_H * r as f64 + ROW_H / 2.0) as i32;
        for &i in row {
            let e = &entries[i];
            if e.line {
                if e.dashed {
                    for s in (0..SAMPLE_W).step_by(16) {
                        band.draw(&PathElement::new(
                            vec![(x + s, y), (x + (s + 9).min(SAMPLE_W), y)],
                            e.color.stroke_width(4),
                        ))?;
                    }
                } else {
                    band.draw(&PathElement::new(
                        vec![(x, y), (x + SAMPLE_W, y)],
                        e.color.stroke_width(4),
                    ))?;
                }
            }
            if let Some(m) = e.marker {
                draw_marker(&band, (x + SAMPLE_W / 2, y), m, e.color, 9, e.hollow)?;
            }
            band.draw(&Text::new(
                e.label.clone(),
                (
                    x + SAMPLE_W + 12,
                    y + (style::LEGEND_SIZE * GLYPH_NUDGE) as i32,
                ),
                font(style::LEGEND_SIZE).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += item_width(e);
        }
    }
    Ok(rest)
}

/// The size of a figure one column wide: `plots` pixels high plus its legend band.
pub(crate) fn column_size(legend: &[LegendEntry], plots: u32) -> (u32, u32) {
    (
        style::COLUMN_WIDTH,
        plots + legend_height(legend, style::COLUMN_WIDTH),
    )
}

/// The top and the bottom panel of a figure of two stacked panels.
pub(crate) type Panels<DB> = (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>);

/// Draws the title and legend bands of a figure of two stacked panels, then splits the area
/// left into the top panel (`top_share` of its height) and the bottom panel.
pub(crate) fn stacked_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[LegendEntry],
    top_share: f64,
) -> Result<Panels<DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let root = with_title(root, title)?;
    let root = with_legend(&root, legend)?;
    let (_, h) = root.dim_in_pixel();
    Ok(root.split_vertically((h as f64 * top_share) as u32))
}

/// A chart with `f64` coordinates on both axes.
pub(crate) type XyChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A tick label format.
pub(crate) type TickFormat<'a> = &'a dyn Fn(&f64) -> String;

/// The axes of one of two panels stacked in a figure, which share the x axis: the top panel
/// hides the x tick labels, the bottom one labels and describes the x axis.
pub(crate) struct PanelAxes<'a> {
    /// x tick format and x description; `None` for the top panel.
    x: Option<(TickFormat<'a>, &'a str)>,
    /// Number of y tick labels.
    y_labels: usize,
    /// y tick format.
    y_format: TickFormat<'a>,
    /// y description.
    y_desc: &'a str,
}

impl<'a> PanelAxes<'a> {
    /// The top panel: no x tick labels, six y ticks with two decimals.
    pub fn top(y_desc: &'a str) -> Self {
        PanelAxes {
            x: None,
            y_labels: 6,
            y_format: &two_decimals,
            y_desc,
        }
    }

    /// The bottom panel, which labels and describes the shared x axis.
    pub fn bottom(
        x_format: TickFormat<'a>,
        x_desc: &'a str,
        y_labels: usize,
        y_format: TickFormat<'a>,
        y_desc: &'a str,
    ) -> Self {
        PanelAxes {
            x: Some((x_format, x_desc)),
            y_labels,
            y_format,
            y_desc,
        }
    }
}

/// The tick format of the top panels' y axes.
fn two_decimals(v: &f64) -> String {
    format!("{v:.2}")
}

/// Builds the chart of a stacked panel on `area` over `x` × `y` and draws its light mesh,
/// six x ticks and the labels of `axes`.
pub(crate) fn panel_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: Range<f64>,
    y: Range<f64>,
    axes: &PanelAxes<'_>,
) -> Result<XyChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(area)
        .margin(15)
        .margin_right(30)
        .x_label_area_size(if axes.x.is_some() { 95 } else { 40 })
        .y_label_area_size(115)
        .build_cartesian_2d(x, y)?;
    let hidden: TickFormat = &|_| String::new();
    let mut mesh = chart.configure_mesh();
    mesh.max_light_lines(0)
        .bold_line_style(RGBColor(225, 225, 225))
        .x_labels(6)
        .x_label_formatter(axes.x.map_or(hidden, |(format, _)| format))
        .y_labels(axes.y_labels)
        .y_label_formatter(axes.y_format)
        .label_style(font(style::TICK_SIZE))
        .axis_desc_style(font(style::DESC_SIZE))
        .y_desc(axes.y_desc);
    if let Some((_, desc)) = axes.x {
        mesh.x_desc(desc);
    }
    mesh.draw()?;
    Ok(chart)
}

/// Draws a marker at `at` (in `area`'s coordinates); hollow markers have a white centre.
pub(crate) fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    shape: Marker,
    color: RGBColor,
    size: i32,
    hollow: bool,
) -> DrawResult<DB>
where
    CT::From: Clone,
{
    let inner = (size - 4).max(1);
    match shape {
        Marker::Circle => {
            area.draw(&Circle::new(at.clone(), size, color.filled()))?;
            if hollow {
                area.draw(&Circle::new(at, inner, WHITE.filled()))?;
            }
        }
        Marker::Triangle => {
            area.draw(&TriangleMarker::new(at.clone(), size + 3, color.filled()))?;
            if hollow {
                area.draw(&TriangleMarker::new(at, inner, WHITE.filled()))?;
            }
        }
        Marker::Square => {
            area.draw(
                &(EmptyElement::at(at.clone())
                    + Rectangle::new([(-size, -size), (size, size)], color.filled())),
            )?;
            if hollow {
                area.draw(
                    &(EmptyElement::at(at)
                        + Rectangle::new([(-inner, -inner), (inner, inner)], WHITE.filled())),
                )?;
            }
        }
        Marker::Cross => {
            area.draw(&Cross::new(at, size, color.stroke_width(4)))?;
        }
        Marker::Ring => {
            area.draw(&Circle::new(at, size, color.stroke_width(3)))?;
        }
    }
    Ok(())
}
