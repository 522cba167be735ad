//! The kernels themselves, on contiguous row-major `f32` slices, threaded with rayon.

use rayon::prelude::*;

pub mod adamw;
pub mod attention;
pub mod gelu;
pub mod layer_norm;
pub mod product;

/// Rows handed to one rayon task by the row-wise kernels (enough work to amortise the task).
pub(crate) fn rows_per_task(row_len: usize) -> usize {
    (16_384 / row_len.max(1)).max(1)
}

/// Sums the rows of a `rows × width` slice, threaded; the partial sums of the row blocks are
/// added in block order, so the result does not depend on the number of threads.
pub fn column_sums(values: &[f32], width: usize) -> Vec<f32> {
    let chunk = rows_per_task(width) * width;
    let partials: Vec<Vec<f32>> = values
        .par_chunks(chunk)
        .map(|rows| column_sums_serial(rows, width))
        .collect();
    sum_in_order(partials, width)
}

/// Sums the rows of a `rows × width` slice on this thread.
pub(crate) fn column_sums_serial(values: &[f32], width: usize) -> Vec<f32> {
    let mut sums = vec![0.0; width];
    for row in values.chunks_exact(width) {
        for (s, &v) in sums.iter_mut().zip(row) {
            *s += v;
        }
    }
    sums
}

/// The element-wise sum of `partials` (each `width` long), added in order.
pub(crate) fn sum_in_order(partials: Vec<Vec<f32>>, width: usize) -> Vec<f32> {
    partials
        .into_iter()
        .fold(vec![0.0; width], |mut total, part| {
            for (t, p) in total.iter_mut().zip(part) {
                *t += p;
            }
            total
        })
}

/// A raw pointer that tasks writing disjoint parts of one buffer may share.
#[derive(Clone, Copy)]
pub(crate) struct SharedMut(pub *mut f32);
// SAFETY: every user writes through it only at offsets no other task writes.
unsafe impl Send for SharedMut {}
unsafe impl Sync for SharedMut {}

impl SharedMut {
    pub(crate) fn at(self, offset: usize) -> *mut f32 {
        // SAFETY: callers stay inside the buffer the pointer came from.
        unsafe { self.0.add(offset) }
    }
}
