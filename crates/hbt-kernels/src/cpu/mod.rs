//! The kernels themselves, on contiguous row-major `f32` slices, threaded with rayon.

pub mod attention;
pub mod gelu;
pub mod layer_norm;

/// Rows handed to one rayon task by the row-wise kernels (enough work to amortise the task).
pub(crate) fn rows_per_task(row_len: usize) -> usize {
    (16_384 / row_len.max(1)).max(1)
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
