//! The files the benchmarks write: pretty JSON and raw little-endian f32, both atomically.

use std::path::Path;

use anyhow::{Context, Result};
use hbt_schema::file::write_atomic;
use serde::Serialize;

/// Writes `values` as raw little-endian f32, the format the PyTorch reference reads with
/// `numpy.fromfile(path, "<f4")`.
pub(crate) fn write_f32_le<'a>(
    path: &Path,
    values: impl IntoIterator<Item = &'a f32>,
) -> Result<()> {
    let bytes: Vec<u8> = values.into_iter().flat_map(|v| v.to_le_bytes()).collect();
    write_atomic(path, &bytes).with_context(|| format!("writing {}", path.display()))
}

/// Writes `value` as pretty JSON with a final newline.
pub(crate) fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)? + "\n";
    write_atomic(path, text.as_bytes()).with_context(|| format!("writing {}", path.display()))
}
