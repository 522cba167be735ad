//! `y = LayerNorm(dropout(h) + x)·γ + β` over the last dimension (BERT's post-LayerNorm with
//! its residual and hidden dropout), forward and backward in one pass over the rows each.

use rayon::prelude::*;

use super::rows_per_task;
use super::sum_in_order;
use crate::philox::DropoutMask;
use crate::simd;

/// What the forward pass keeps for the backward pass.
#[derive(Clone, Debug)]
pub struct Saved {
    /// The normalised rows `(z - mean) / std` (`rows × width`).
    pub normalized: Vec<f32>,
    /// `1 / std` of each row.
    pub inv_std: Vec<f32>,
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn forward_rows_impl(
    h: &[f32],
    x: &[f32],
    factors: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    y: &mut [f32],
    normalized: &mut [f32],
    inv_std: &mut [f32],
) {
    let width = gamma.len();
    for (row, inv) in inv_std.iter_mut().enumerate() {
        let span = row * width..(row + 1) * width;
        // The row is normalised in place in `y` (cache-resident), copied to `normalized` when
        // the backward pass needs it (`normalized` is empty at inference), then scaled.
        let z = &mut y[span.clone()];
        let x = &x[span.clone()];
        if h.is_empty() {
            // In place: `y` already holds `h` (inference, no dropout).
            for (out, &xv) in z.iter_mut().zip(x) {
                *out += xv;
            }
        } else if factors.is_empty() {
            let h = &h[span.clone()];
            for ((out, &hv), &xv) in z.iter_mut().zip(h).zip(x) {
                *out = hv + xv;
            }
        } else {
            let h = &h[span.clone()];
            for (((out, &hv), &xv), &f) in z.iter_mut().zip(h).zip(x).zip(&factors[span.clone()]) {
                *out = hv.mul_add(f, xv);
            }
        }
        let mean = simd::sum(z) / width as f32;
        for v in z.iter_mut() {
            *v -= mean;
        }
        *inv = 1.0 / (simd::dot(z, z) / width as f32 + eps).sqrt();
        let scale = *inv;
        for v in z.iter_mut() {
            *v *= scale;
        }
        if !normalized.is_empty() {
            normalized[span].copy_from_slice(z);
        }
        for ((v, &g), &b) in z.iter_mut().zip(gamma).zip(beta) {
            *v = v.mul_add(g, b);
        }
    }
}

#[inline(always)]
fn backward_rows_impl(
    dy: &[f32],
    normalized: &[f32],
    inv_std: &[f32],
    gamma: &[f32],
    dz: &mut [f32],
    sums: &mut [f32],
) {
    let width = gamma.len();
    let (dgamma, dbeta) = sums.split_at_mut(width);
    for (row, &inv) in inv_std.iter().enumerate() {
        let span = row * width..(row + 1) * width;
        let (dy, xhat, out) = (&dy[span.clone()], &normalized[span.clone()], &mut dz[span]);
        for ((((o, &d), &n), &g), (dg, db)) in out
            .iter_mut()
            .zip(dy)
            .zip(xhat)
            .zip(gamma)
            .zip(dgamma.iter_mut().zip(dbeta.iter_mut()))
        {
            *dg = d.mul_add(n, *dg);
            *db += d;
            *o = d * g;
        }
        let mean_g = simd::sum(out) / width as f32;
        let mean_gx = simd::dot(out, xhat) / width as f32;
        for (o, &n) in out.iter_mut().zip(xhat) {
            *o = inv * (*o - mean_g - n * mean_gx);
        }
    }
}

crate::multiversion!(
    #[allow(clippy::too_many_arguments)]
    fn forward_rows(h: &[f32], x: &[f32], factors: &[f32], gamma: &[f32], beta: &[f32], eps: f32, y: &mut [f32], normalized: &mut [f32], inv_std: &mut [f32]) => forward_rows_impl
);
crate::multiversion!(
    fn backward_rows(dy: &[f32], normalized: &[f32], inv_std: &[f32], gamma: &[f32], dz: &mut [f32], sums: &mut [f32]) => backward_rows_impl
);

/// Forward pass over `rows × gamma.len()` inputs `h` (dropped out with `dropout`, when given)
/// and residual `x`; returns the output and what the backward pass needs (`None` when
/// `keep` is false, at inference).
pub fn forward(
    h: &[f32],
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    dropout: Option<DropoutMask>,
    keep: bool,
) -> (Vec<f32>, Option<Saved>) {
    let width = gamma.len();
    let rows = h.len() / width;
    let per_task = rows_per_task(width);
    let chunk = per_task * width;
    let mut y = vec![0.0; h.len()];
    let mut normalized = vec![0.0; if keep { h.len() } else { 0 }];
    let mut inv_std = vec![0.0; rows];
    // At inference nothing is kept: every task gets an empty piece of `normalized`.
    let pieces: Vec<&mut [f32]> = if keep {
        normalized.chunks_mut(chunk).collect()
    } else {
        (0..h.len().div_ceil(chunk)).map(|_| &mut [][..]).collect()
    };
    y.par_chunks_mut(chunk)
        .zip(pieces)
        .zip(inv_std.par_chunks_mut(per_task))
        .enumerate()
        .for_each(|(task, ((y, normalized), inv_std))| {
            let start = task * chunk;
            let span = start..start + y.len();
            let mut factors = Vec::new();
            if let Some(mask) = dropout {
                factors = vec![0.0; y.len()];
                mask.fill(start as u64, &mut factors);
            }
            forward_rows(
                &h[span.clone()],
                &x[span],
                &factors,
                gamma,
                beta,
                eps,
                y,
                normalized,
                inv_std,
            );
        });
    let saved = keep.then_some(Saved {
        normalized,
        inv_std,
    });
    (y, saved)
}

/// [`forward`] at inference (no dropout, nothing kept) writing the output over `h`.
pub fn forward_in_place(h: &mut [f32], x: &[f32], gamma: &[f32], beta: &[f32], eps: f32) {
    let width = gamma.len();
    let per_task = rows_per_task(width);
    let chunk = per_task * width;
    let mut inv_std = vec![0.0; h.len() / width];
    h.par_chunks_mut(chunk)
        .zip(inv_std.par_chunks_mut(per_task))
        .enumerate()
        .for_each(|(task, (y, inv_std))| {
            let start = task * chunk;
            let x = &x[start..start + y.len()];
            forward_rows(&[], x, &[], gamma, beta, eps, y, &mut [], inv_std);
        });
}

/// Gradients given `dy`: with respect to the residual input `x` (the gradient of the sum),
/// to `h` (that gradient through the dropout mask), to γ and to β.
pub struct Gradients {
    /// d/dx.
    pub residual: Vec<f32>,
    /// d/dh (equal to `residual` without dropout).
    pub input: Vec<f32>,
    /// d/dγ.
    pub gamma: Vec<f32>,
    /// d/dβ.
    pub beta: Vec<f32>,
}

/// Backward pass; see [`forward`].
pub fn backward(
    dy: &[f32],
    saved: &Saved,
    gamma: &[f32],
    dropout: Option<DropoutMask>,
) -> Gradients {
    let width = gamma.len();
    let per_task = rows_per_task(width);
    let chunk = per_task * width;
    let mut dz = vec![0.0; dy.len()];
    let partials: Vec<Vec<f32>> = dz
        .par_chunks_mut(chunk)
        .zip(saved.inv_std.par_chunks(per_task))
        .enumerate()
        .map(|(task, (dz, inv_std))| {
            let span = task * chunk..task * chunk + dz.len();
            let mut sums = vec![0.0; 2 * width];
            backward_rows(
                &dy[span.clone()],
                &saved.normalized[span],
                inv_std,
                gamma,
                dz,
                &mut sums,
            );
            sums
        })
        .collect();
    // Added in block order: the result does not depend on the number of threads.
    let sums = sum_in_order(partials, 2 * width);
    let input = match dropout {
        None => dz.clone(),
        Some(mask) => {
            let mut dh = vec![0.0; dz.len()];
            dh.par_chunks_mut(chunk)
                .zip(dz.par_chunks(chunk))
                .enumerate()
                .for_each(|(task, (dh, dz))| {
                    mask.fill((task * chunk) as u64, dh);
                    for (o, &g) in dh.iter_mut().zip(dz) {
                        *o *= g;
                    }
                });
            dh
        }
    };
    let (gamma_grad, beta_grad) = sums.split_at(width);
    Gradients {
        residual: dz,
        input,
        gamma: gamma_grad.to_vec(),
        beta: beta_grad.to_vec(),
    }
}
