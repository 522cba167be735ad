//! One AdamW update (decoupled weight decay, bias-corrected moments) over a parameter, its
//! gradient and both moments in a single threaded, vectorised pass, in place.

use rayon::prelude::*;

/// The scalars of one AdamW update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWStep {
    /// Learning rate of this step.
    pub learning_rate: f64,
    /// Decay of the first moment.
    pub beta_1: f32,
    /// Decay of the second moment.
    pub beta_2: f32,
    /// Added to the second moment's square root.
    pub epsilon: f32,
    /// Decoupled weight decay.
    pub weight_decay: f32,
    /// The update's number, from 1 (the bias corrections' exponent).
    pub time: usize,
}

/// Elements per rayon task.
const CHUNK: usize = 32 * 1024;

/// The per-element constants, computed as burn's `AdamW` computes them.
#[derive(Clone, Copy)]
struct Constants {
    beta_1: f32,
    beta_2: f32,
    one_minus_beta_1: f32,
    one_minus_beta_2: f32,
    correction_1: f32,
    correction_2: f32,
    epsilon: f32,
    keep: f32,
    learning_rate: f32,
}

#[inline(always)]
fn update_impl(param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], c: Constants) {
    for (((p, &g), m), v) in param
        .iter_mut()
        .zip(grad)
        .zip(m.iter_mut())
        .zip(v.iter_mut())
    {
        *m = *m * c.beta_1 + g * c.one_minus_beta_1;
        *v = *v * c.beta_2 + g * g * c.one_minus_beta_2;
        let delta = (*m / c.correction_1) / ((*v / c.correction_2).sqrt() + c.epsilon);
        *p = *p * c.keep - delta * c.learning_rate;
    }
}

crate::multiversion!(fn update(param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], c: Constants) => update_impl);

/// Applies one AdamW update to `param` with `grad`, updating the moments `m` and `v` (zeros
/// before the first update); all four slices have the same length.
///
/// The arithmetic follows burn's `AdamW` operation by operation (moments, bias corrections,
/// `param · (1 − lr · decay) − lr · m̂ / (√v̂ + ε)`), without fused multiply-adds.
pub fn step(param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], step: &AdamWStep) {
    assert!(grad.len() == param.len() && m.len() == param.len() && v.len() == param.len());
    let time = step.time as i32;
    let constants = Constants {
        beta_1: step.beta_1,
        beta_2: step.beta_2,
        one_minus_beta_1: 1.0 - step.beta_1,
        one_minus_beta_2: 1.0 - step.beta_2,
        correction_1: 1.0 - step.beta_1.powi(time),
        correction_2: 1.0 - step.beta_2.powi(time),
        epsilon: step.epsilon,
        keep: (1.0 - step.learning_rate * step.weight_decay as f64) as f32,
        learning_rate: step.learning_rate as f32,
    };
    param
        .par_chunks_mut(CHUNK)
        .zip(grad.par_chunks(CHUNK))
        .zip(m.par_chunks_mut(CHUNK))
        .zip(v.par_chunks_mut(CHUNK))
        .for_each(|(((p, g), m), v)| update(p, g, m, v, constants));
}
