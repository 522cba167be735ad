//! Fused multi-head self-attention over `[batch, seq, heads · head_dim]` projections:
//! scores, additive key mask, softmax, dropout and context in one pass per (sequence, head),
//! reading each head through strides (no head split or merge copies), with the matching
//! backward pass.

use rayon::prelude::*;

use super::product::{Provider, Strided as Operand};
use super::SharedMut;
use crate::philox::DropoutMask;
use crate::simd::{self, exp};

/// The shape of one attention call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    /// Sequences.
    pub batch: usize,
    /// Tokens per sequence (queries and keys).
    pub seq: usize,
    /// Heads.
    pub heads: usize,
    /// Width of one head.
    pub head_dim: usize,
}

impl Shape {
    fn hidden(&self) -> usize {
        self.heads * self.head_dim
    }
    fn scale(&self) -> f32 {
        1.0 / (self.head_dim as f32).sqrt()
    }
    /// Offset of (sequence `b`, head `h`)'s first element in a `[batch, seq, hidden]` tensor.
    fn head_offset(&self, task: usize) -> usize {
        let (b, h) = (task / self.heads, task % self.heads);
        b * self.seq * self.hidden() + h * self.head_dim
    }
    /// Elements of one (sequence, head) score matrix.
    fn square(&self) -> usize {
        self.seq * self.seq
    }
}

/// `dst (m × n, row stride dst_rs) = beta · lhs (m × k) · rhs (k × n)`, one thread, by this
/// process's product library ([`Provider`]).
///
/// # Safety
/// The operands describe memory that is valid for their extents; `dst` is written only by
/// this call.
#[allow(clippy::too_many_arguments)]
unsafe fn product(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut f32,
    dst_rs: usize,
    lhs: Operand,
    rhs: Operand,
    beta: f32,
) {
    // SAFETY: forwarded from the caller.
    unsafe { Provider::get().product_on_thread((m, k, n), dst, dst_rs, lhs, rhs, beta) }
}

#[inline(always)]
fn softmax_rows_impl(scores: &mut [f32], mask: &[f32]) {
    for row in scores.chunks_exact_mut(mask.len()) {
        for (s, &m) in row.iter_mut().zip(mask) {
            *s += m;
        }
        let max = simd::max(row);
        for s in row.iter_mut() {
            *s = exp(*s - max);
        }
        let inv = 1.0 / simd::sum(row);
        for s in row.iter_mut() {
            *s *= inv;
        }
    }
}

#[inline(always)]
fn softmax_backward_rows_impl(probs: &[f32], grad: &mut [f32], width: usize, scale: f32) {
    for (p, g) in probs.chunks_exact(width).zip(grad.chunks_exact_mut(width)) {
        let dot = simd::dot(p, g);
        for (g, &p) in g.iter_mut().zip(p) {
            *g = scale * p * (*g - dot);
        }
    }
}

crate::multiversion!(fn softmax_rows(scores: &mut [f32], mask: &[f32]) => softmax_rows_impl);
crate::multiversion!(fn softmax_backward_rows(probs: &[f32], grad: &mut [f32], width: usize, scale: f32) => softmax_backward_rows_impl);

/// Multiplies `probs` by the dropout factors of task `task` into `out`.
fn apply_dropout(probs: &[f32], mask: &DropoutMask, task: usize, out: &mut [f32]) {
    mask.fill((task * probs.len()) as u64, out);
    for (o, &p) in out.iter_mut().zip(probs) {
        *o *= p;
    }
}

/// Forward pass. `q`, `k`, `v` are `[batch, seq, hidden]`; `mask` is `[batch, seq]`, added to
/// every query's scores over the keys (0 for tokens, a large negative value for padding).
/// Returns the context `[batch, seq, hidden]` and, when `keep_probs`, the softmax
/// probabilities `[batch, heads, seq, seq]` (before dropout) for the backward pass.
pub fn forward(
    shape: Shape,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    mask: &[f32],
    dropout: Option<DropoutMask>,
    keep_probs: bool,
) -> (Vec<f32>, Option<Vec<f32>>) {
    let hidden = shape.hidden();
    let square = shape.square();
    let tasks = shape.batch * shape.heads;
    let mut context = vec![0.0; shape.batch * shape.seq * hidden];
    let mut probs = vec![0.0; if keep_probs { tasks * square } else { 0 }];
    let out = SharedMut(context.as_mut_ptr());
    let kept = SharedMut(probs.as_mut_ptr());
    (0..tasks).into_par_iter().for_each_init(
        || {
            (
                vec![0.0; square],
                vec![0.0; if dropout.is_some() { square } else { 0 }],
            )
        },
        |(scores, dropped), task| {
            let offset = shape.head_offset(task);
            let (s, d) = (shape.seq, shape.head_dim);
            let h = hidden as isize;
            // SAFETY: q, k, v hold batch × seq × hidden elements; the head view reads seq rows
            // of head_dim at row stride hidden from `offset`. Each task writes its own
            // head's columns of `context` and its own block of `probs`.
            unsafe {
                product(
                    s,
                    s,
                    d,
                    scores.as_mut_ptr(),
                    s,
                    Operand(q.as_ptr().add(offset), h, 1),
                    Operand(k.as_ptr().add(offset), 1, h),
                    shape.scale(),
                );
            }
            let b = task / shape.heads;
            softmax_rows(scores, &mask[b * s..(b + 1) * s]);
            if keep_probs {
                // SAFETY: block `task` of `probs` belongs to this task alone.
                unsafe {
                    std::ptr::copy_nonoverlapping(scores.as_ptr(), kept.at(task * square), square)
                };
            }
            let weights: &[f32] = match &dropout {
                Some(mask) => {
                    apply_dropout(scores, mask, task, dropped);
                    dropped
                }
                None => scores,
            };
            // SAFETY: as above.
            unsafe {
                product(
                    s,
                    d,
                    s,
                    out.at(offset),
                    hidden,
                    Operand(weights.as_ptr(), s as isize, 1),
                    Operand(v.as_ptr().add(offset), h, 1),
                    1.0,
                );
            }
        },
    );
    (context, keep_probs.then_some(probs))
}

/// Gradients of the attention inputs.
pub struct Gradients {
    /// d/dq, `[batch, seq, hidden]`.
    pub q: Vec<f32>,
    /// d/dk.
    pub k: Vec<f32>,
    /// d/dv.
    pub v: Vec<f32>,
}

/// Backward pass given the context's gradient `grad` and the forward pass's inputs and
/// probabilities; the dropout factors are drawn again from the same mask (once per task).
#[allow(clippy::too_many_arguments)]
pub fn backward(
    shape: Shape,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    probs: &[f32],
    dropout: Option<DropoutMask>,
    grad: &[f32],
) -> Gradients {
    let hidden = shape.hidden();
    let square = shape.square();
    let len = shape.batch * shape.seq * hidden;
    let (mut dq, mut dk, mut dv) = (vec![0.0; len], vec![0.0; len], vec![0.0; len]);
    let (pq, pk, pv) = (
        SharedMut(dq.as_mut_ptr()),
        SharedMut(dk.as_mut_ptr()),
        SharedMut(dv.as_mut_ptr()),
    );
    (0..shape.batch * shape.heads)
        .into_par_iter()
        .for_each_init(
            || {
                let dropout_len = if dropout.is_some() { square } else { 0 };
                (
                    vec![0.0; square],
                    vec![0.0; dropout_len],
                    vec![0.0; dropout_len],
                )
            },
            |(dprobs, factors, dropped), task| {
                let offset = shape.head_offset(task);
                let (s, d) = (shape.seq, shape.head_dim);
                let h = hidden as isize;
                let p = &probs[task * square..(task + 1) * square];
                // The mask is drawn once per task: its factors serve both the weights and
                // the gradient through them.
                let weights: &[f32] = match &dropout {
                    Some(mask) => {
                        mask.fill((task * square) as u64, factors);
                        for ((w, &p), &f) in dropped.iter_mut().zip(p).zip(factors.iter()) {
                            *w = p * f;
                        }
                        dropped
                    }
                    None => p,
                };
                // SAFETY: see `forward`; each task writes its own head's columns of dq, dk, dv.
                unsafe {
                    // dV = weightsᵀ · dC
                    product(
                        s,
                        d,
                        s,
                        pv.at(offset),
                        hidden,
                        Operand(weights.as_ptr(), 1, s as isize),
                        Operand(grad.as_ptr().add(offset), h, 1),
                        1.0,
                    );
                    // d(weights) = dC · Vᵀ
                    product(
                        s,
                        s,
                        d,
                        dprobs.as_mut_ptr(),
                        s,
                        Operand(grad.as_ptr().add(offset), h, 1),
                        Operand(v.as_ptr().add(offset), 1, h),
                        1.0,
                    );
                }
                if dropout.is_some() {
                    for (g, &f) in dprobs.iter_mut().zip(factors.iter()) {
                        *g *= f;
                    }
                }
                softmax_backward_rows(p, dprobs, s, shape.scale());
                // SAFETY: as above.
                unsafe {
                    // dQ = dS · K, dK = dSᵀ · Q (the scale is folded into dS)
                    product(
                        s,
                        d,
                        s,
                        pq.at(offset),
                        hidden,
                        Operand(dprobs.as_ptr(), s as isize, 1),
                        Operand(k.as_ptr().add(offset), h, 1),
                        1.0,
                    );
                    product(
                        s,
                        d,
                        s,
                        pk.at(offset),
                        hidden,
                        Operand(dprobs.as_ptr(), 1, s as isize),
                        Operand(q.as_ptr().add(offset), h, 1),
                        1.0,
                    );
                }
            },
        );
    Gradients {
        q: dq,
        k: dk,
        v: dv,
    }
}
