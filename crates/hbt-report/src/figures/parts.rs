//! Pieces shared by the figures: title band, legend band (outside the plot, so it never hides
//! data) and marker shapes.

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
