//! The sum of a tensor's squared elements (gradient clipping's global norm) in one threaded
//! pass, without the squared copy that `square().sum()` allocates.

use burn::backend::flex::FlexTensor;
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor};
use rayon::prelude::*;

use crate::flex::{self, contiguous, values, Kernel, Route};
use crate::simd;

/// Elements per rayon task; the partial sums are added in order (reproducible).
const CHUNK: usize = 64 * 1024;

#[inline(always)]
fn block_impl(block: &[f32], out: &mut f32) {
    *out = simd::dot(block, block);
}

crate::multiversion!(fn block_sum(block: &[f32], out: &mut f32) => block_impl);

/// `Σ x²` over all elements of `tensor`, accumulated in `f64` across blocks.
pub fn squared_sum<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> f64 {
    match flex::route::<B>(Kernel::SquaredSum) {
        Route::Flex => {
            let tensor: FlexTensor = flex::primitive(tensor);
            if !flex::is_f32(&tensor) {
                return reference(flex::tensor::<B, _, D>(tensor));
            }
            let tensor = contiguous(&tensor);
            let partials: Vec<f64> = values(&tensor)
                .par_chunks(CHUNK)
                .map(|block| {
                    let mut sum = 0.0;
                    block_sum(block, &mut sum);
                    sum as f64
                })
                .collect();
            partials.into_iter().sum()
        }
        Route::FlexAutodiff | Route::Reference => reference(tensor),
    }
}

/// burn's own operations: `square().sum()`.
pub fn reference<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> f64 {
    tensor.square().sum().into_scalar().elem::<f64>()
}
