//! `y = GELU(x + bias)` (the exact, erf-based GELU of BERT) and its backward, one pass each.

use rayon::prelude::*;

use super::{column_sums_serial, rows_per_task, sum_in_order};
use crate::simd::{normal_cdf, normal_pdf};

#[inline(always)]
fn forward_rows_impl(x: &[f32], bias: &[f32], y: &mut [f32]) {
    for (x_row, y_row) in x
        .chunks_exact(bias.len())
        .zip(y.chunks_exact_mut(bias.len()))
    {
        for ((out, &value), &b) in y_row.iter_mut().zip(x_row).zip(bias) {
            let z = value + b;
            *out = z * normal_cdf(z);
        }
    }
}

#[inline(always)]
fn backward_rows_impl(x: &[f32], bias: &[f32], dy: &mut [f32]) {
    for (x_row, g_row) in x
        .chunks_exact(bias.len())
        .zip(dy.chunks_exact_mut(bias.len()))
    {
        for ((g, &value), &b) in g_row.iter_mut().zip(x_row).zip(bias) {
            let z = value + b;
            *g *= normal_cdf(z) + z * normal_pdf(z);
        }
    }
}

#[inline(always)]
fn forward_in_place_impl(y: &mut [f32], bias: &[f32]) {
    for row in y.chunks_exact_mut(bias.len()) {
        for (out, &b) in row.iter_mut().zip(bias) {
            let z = *out + b;
            *out = z * normal_cdf(z);
        }
    }
}

crate::multiversion!(fn forward_in_place_rows(y: &mut [f32], bias: &[f32]) => forward_in_place_impl);
crate::multiversion!(fn forward_rows(x: &[f32], bias: &[f32], y: &mut [f32]) => forward_rows_impl);
crate::multiversion!(fn backward_rows(x: &[f32], bias: &[f32], dy: &mut [f32]) => backward_rows_impl);

/// `y[r, c] = GELU(x[r, c] + bias[c])` for `x` of `rows × bias.len()`.
pub fn forward(x: &[f32], bias: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0; x.len()];
    let chunk = rows_per_task(bias.len()) * bias.len();
    y.par_chunks_mut(chunk)
        .zip(x.par_chunks(chunk))
        .for_each(|(y, x)| forward_rows(x, bias, y));
    y
}

/// [`forward`] overwriting its input: `x[r, c] ← GELU(x[r, c] + bias[c])` (inference, where
/// nothing keeps `x`).
pub fn forward_in_place(x: &mut [f32], bias: &[f32]) {
    let chunk = rows_per_task(bias.len()) * bias.len();
    x.par_chunks_mut(chunk)
        .for_each(|x| forward_in_place_rows(x, bias));
}

/// The gradient with respect to `x` (and, summed over rows, `bias`) given `dy`, computed in
/// place in `dy`; returns the bias gradient.
pub fn backward(x: &[f32], bias: &[f32], dy: &mut [f32]) -> Vec<f32> {
    let width = bias.len();
    let chunk = rows_per_task(width) * width;
    let partials: Vec<Vec<f32>> = dy
        .par_chunks_mut(chunk)
        .zip(x.par_chunks(chunk))
        .map(|(dy, x)| {
            backward_rows(x, bias, dy);
            column_sums_serial(dy, width)
        })
        .collect();
    sum_in_order(partials, width)
}
