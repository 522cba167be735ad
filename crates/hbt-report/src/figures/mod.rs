//! Figures drawn with plotters, each written as PNG (300 dpi, one paper column wide) and SVG:
//!
//! - [`heatmap`]: X→Y mAP matrix per run, values printed in the cells;
//! - [`rank_distance`]: cumulative distribution of the rank distance per strategy;
//! - [`alpha_sweep`]: mAP per setting and rank distance against α for hybrid runs;
//! - [`curves`]: smoothed training loss and dev recall@1 per strategy.
//!
//! Text uses the DejaVu Sans font bundled with this crate (no system font needed).

pub mod alpha_sweep;
mod build;
pub mod curves;
pub mod heatmap;
mod parts;
pub mod rank_distance;
pub mod style;

use std::path::{Path, PathBuf};

use hbt_schema::file::write_atomic;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;

use crate::error::{ReportError, Result};

pub use build::{write_figures, FigureOutput};

/// Result of drawing on a backend `DB`.
pub type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A figure that can be drawn on any plotters backend (so PNG and SVG share one code path).
pub trait Figure {
    /// Size in pixels at 300 dpi.
    fn size(&self) -> (u32, u32);
    /// Draws the figure on a white `root` area of [`Figure::size`].
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// The files of one written figure.
#[derive(Debug, Clone, Serialize)]
pub struct FigureFile {
    /// File stem (`heatmap_xquad-r_main`, ...).
    pub id: String,
    /// A one-sentence caption for the report.
    pub caption: String,
    /// The PNG.
    pub png: PathBuf,
    /// The SVG.
    pub svg: PathBuf,
}

/// Draws `figure` to `dir/stem.png` and `dir/stem.svg` (atomic writes; `dir` is created when
/// needed).
pub fn render(figure: &impl Figure, dir: &Path, stem: &str, caption: &str) -> Result<FigureFile> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::io(dir, e))?;
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    style::ensure_font().map_err(|m| ReportError::figure(&png, m))?;
    let (w, h) = figure.size();

    let mut pixels = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| ReportError::figure(&png, e.to_string()))?;
        figure
            .draw(&root)
            .map_err(|e| ReportError::figure(&png, e.to_string()))?;
        root.present()
            .map_err(|e| ReportError::figure(&png, e.to_string()))?;
    }
    let bytes = encode_png(&pixels, w, h).map_err(|e| ReportError::figure(&png, e))?;
    write_atomic(&png, &bytes)?;

    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| ReportError::figure(&svg, e.to_string()))?;
        figure
            .draw(&root)
            .map_err(|e| ReportError::figure(&svg, e.to_string()))?;
        root.present()
            .map_err(|e| ReportError::figure(&svg, e.to_string()))?;
    }
    write_atomic(&svg, physical_svg_size(&text, w, h).as_bytes())?;

    Ok(FigureFile {
        id: stem.to_string(),
        caption: caption.to_string(),
        png,
        svg,
    })
}

/// Encodes RGB pixels as PNG, recording 300 dpi so that the image prints at column width.
fn encode_png(pixels: &[u8], w: u32, h: u32) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let per_metre = (style::DPI as f64 / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: per_metre,
            yppu: per_metre,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(pixels).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// Gives the SVG a physical size (inches at 300 dpi); the viewBox keeps the pixel layout.
fn physical_svg_size(svg: &str, w: u32, h: u32) -> String {
    let from = format!("width=\"{w}\" height=\"{h}\"");
    let to = format!(
        "width=\"{:.3}in\" height=\"{:.3}in\"",
        w as f64 / style::DPI as f64,
        h as f64 / style::DPI as f64
    );
    svg.replacen(&from, &to, 1)
}

/// Font of the given size in the bundled family.
pub(crate) fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((style::FONT, size).into_font())
}
