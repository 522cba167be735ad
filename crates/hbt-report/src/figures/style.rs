//! Look of the figures: the bundled font, the Okabe–Ito palette, sizes for a paper column.

use std::sync::OnceLock;

use plotters::style::{register_font, FontStyle, RGBColor};

/// Font family every figure uses; registered from the bundled DejaVu Sans, so no system font
/// or fontconfig is needed.
pub const FONT: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Registers the bundled font with plotters (once per process).
pub(crate) fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            for style in [FontStyle::Normal, FontStyle::Bold] {
                register_font(FONT, style, DEJAVU_SANS)
                    .map_err(|_| "the bundled DejaVuSans.ttf could not be parsed".to_string())?;
            }
            Ok(())
        })
        .clone()
}

/// Print resolution the PNGs are drawn for.
pub const DPI: u32 = 300;
/// Width of one paper column (3.5 in at 300 dpi), in pixels.
pub const COLUMN_WIDTH: u32 = 1050;

/// Title size (px at 300 dpi; 8 pt).
pub const TITLE_SIZE: f64 = 34.0;
/// Axis description size (7.5 pt).
pub const DESC_SIZE: f64 = 32.0;
/// Tick label size (7 pt).
pub const TICK_SIZE: f64 = 29.0;
/// Legend text size.
pub const LEGEND_SIZE: f64 = 27.0;
/// Heatmap cell value size.
pub const CELL_SIZE: f64 = 25.0;

/// Okabe–Ito colours (colour-blind safe).
pub mod okabe_ito {
    use plotters::style::RGBColor;
    /// Black.
    pub const BLACK: RGBColor = RGBColor(0, 0, 0);
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    /// Sky blue.
    pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
    /// Bluish green.
    pub const BLUISH_GREEN: RGBColor = RGBColor(0, 158, 115);
    /// Yellow.
    pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
    /// Blue.
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    /// Vermillion.
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    /// Reddish purple.
    pub const REDDISH_PURPLE: RGBColor = RGBColor(204, 121, 167);
    /// Grey (not part of Okabe–Ito; used for the untrained reference).
    pub const GREY: RGBColor = RGBColor(120, 120, 120);
}

/// A series' look: colour plus a marker shape and dash pattern, so series differ without colour.
#[derive(Debug, Clone, Copy)]
pub struct SeriesStyle {
    /// Line and marker colour.
    pub color: RGBColor,
    /// Marker shape.
    pub marker: Marker,
    /// Dashed line (reference runs).
    pub dashed: bool,
}

/// Marker shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Filled circle.
    Circle,
    /// Filled triangle.
    Triangle,
    /// Filled square.
    Square,
    /// Diagonal cross.
    Cross,
    /// Open ring (outline only), used to circle a point.
    Ring,
}

const MARKERS: [Marker; 4] = [
    Marker::Circle,
    Marker::Triangle,
    Marker::Square,
    Marker::Cross,
];

/// Styles for series named by strategy (`mono`, `mixed`, `cross`, `hybrid`, `bm25`,
/// `untrained`, other): fixed colours per strategy, further hybrid settings get the next
/// Okabe–Ito colours.
pub fn series_styles(kinds: &[&str]) -> Vec<SeriesStyle> {
    use okabe_ito::*;
    let spare = [
        REDDISH_PURPLE,
        SKY_BLUE,
        YELLOW,
        BLUISH_GREEN,
        BLUE,
        VERMILLION,
    ];
    let mut hybrid_seen = 0usize;
    let mut other_seen = 0usize;
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let (color, dashed) = match *kind {
                "mono" => (BLUE, false),
                "mixed" => (BLUISH_GREEN, false),
                "cross" => (VERMILLION, false),
                "hybrid" => {
                    hybrid_seen += 1;
                    if hybrid_seen == 1 {
                        (ORANGE, false)
                    } else {
                        (spare[(hybrid_seen - 2) % spare.len()], false)
                    }
                }
                "bm25" => (BLACK, true),
                "untrained" | "pretrained" => (GREY, true),
                _ => {
                    other_seen += 1;
                    (spare[(other_seen + 2) % spare.len()], false)
                }
            };
            SeriesStyle {
                color,
                marker: MARKERS[i % MARKERS.len()],
                dashed,
            }
        })
        .collect()
}

/// Viridis colour for `t` in [0, 1] (perceptually uniform, colour-blind safe).
pub fn viridis(t: f64) -> RGBColor {
    use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
    ViridisRGB.get_color(t.clamp(0.0, 1.0) as f32)
}

/// Black or white, whichever reads better on `bg`.
pub fn text_color_on(bg: RGBColor) -> RGBColor {
    let luminance = 0.2126 * bg.0 as f64 + 0.7152 * bg.1 as f64 + 0.0722 * bg.2 as f64;
    if luminance > 140.0 {
        RGBColor(0, 0, 0)
    } else {
        RGBColor(255, 255, 255)
    }
}
