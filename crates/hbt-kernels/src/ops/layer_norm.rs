//! `LayerNorm(dropout(h) + x)`: the residual sum, hidden dropout and post-LayerNorm that close
//! each BERT block, in one operation.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::backend::Backend;
use burn::tensor::{DType, Distribution, Shape, Tensor};

use super::Strategy;
use crate::cpu::layer_norm::{self as kernel, Saved};
use crate::flex::{self, contiguous, from_values, values, AutodiffFlex, Kernel, Route};
use crate::philox::DropoutMask;

/// The parameters of a LayerNorm: scale γ, shift β and ε.
pub struct Norm<B: Backend> {
    /// γ, `[width]`.
    pub gamma: Tensor<B, 1>,
    /// β, `[width]`.
    pub beta: Tensor<B, 1>,
    /// Added to the variance.
    pub eps: f64,
}

/// `LayerNorm(dropout(h) + x)` over the last dimension. Dropout with probability `dropout`
/// applies only under autodiff (training), as burn's `Dropout` does.
pub fn residual_layer_norm<B: Backend, const D: usize>(
    h: Tensor<B, D>,
    x: Tensor<B, D>,
    norm: Norm<B>,
    dropout: f64,
) -> Tensor<B, D> {
    let device = h.device();
    let prob = if B::ad_enabled(&device) { dropout } else { 0.0 };
    let route = flex::route::<B>(Kernel::ResidualLayerNorm);
    // The fused kernel computes in f32; other precisions (mixed-precision training) compose.
    if route == Route::Reference || h.dtype() != DType::F32 {
        return reference(h, x, norm, prob);
    }
    let mask = (prob > 0.0).then(|| DropoutMask {
        seed: flex::draw_seed::<B>(&device),
        prob: prob as f32,
    });
    let eps = norm.eps as f32;
    if route == Route::Flex {
        let parts: [FlexTensor; 4] = [
            flex::primitive(h),
            flex::primitive(x),
            flex::primitive(norm.gamma),
            flex::primitive(norm.beta),
        ];
        let [mut h, x, gamma, beta] = parts;
        let [x, gamma, beta] = [x, gamma, beta].map(|t| contiguous(&t));
        // The sublayer's fresh output, held nowhere else, is overwritten with the result.
        if mask.is_none() {
            if let Some(storage) = flex::whole_storage_mut(&mut h) {
                kernel::forward_in_place(storage, values(&x), values(&gamma), values(&beta), eps);
                return flex::tensor(h);
            }
        }
        let h = contiguous(&h);
        let (y, _) = kernel::forward(
            values(&h),
            values(&x),
            values(&gamma),
            values(&beta),
            eps,
            mask,
            false,
        );
        return flex::tensor(from_values(y, h.layout().shape().clone()));
    }
    let parts: [AutodiffFlex; 4] = [
        flex::primitive(h),
        flex::primitive(x),
        flex::primitive(norm.gamma),
        flex::primitive(norm.beta),
    ];
    flex::tensor(autodiff(parts, eps, mask))
}

/// burn's own operations: dropout, add, mean and variance, normalise, scale and shift.
pub fn reference<B: Backend, const D: usize>(
    h: Tensor<B, D>,
    x: Tensor<B, D>,
    norm: Norm<B>,
    dropout: f64,
) -> Tensor<B, D> {
    let h = if dropout > 0.0 && B::ad_enabled(&h.device()) {
        let keep = 1.0 - dropout;
        h.clone() * h.random_like(Distribution::Bernoulli(keep)) / keep
    } else {
        h
    };
    let z = h + x;
    let (var, mean) = z.clone().var_mean_bias(D - 1);
    let mut shape = [1; D];
    shape[D - 1] = norm.gamma.dims()[0];
    (z - mean) / (var + norm.eps).sqrt() * norm.gamma.reshape(shape) + norm.beta.reshape(shape)
}

#[derive(Debug)]
struct State {
    saved: Saved,
    gamma: FlexTensor,
    mask: Option<DropoutMask>,
    shape: Shape,
}

#[derive(Debug)]
struct ResidualLayerNormBackward;

impl Backward<Flex, 4> for ResidualLayerNormBackward {
    type State = Arc<State>;

    fn backward(self, ops: Ops<Self::State, 4>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [h_node, x_node, gamma_node, beta_node] = ops.parents;
        let grad = contiguous(&grads.consume::<Flex>(&ops.node));
        let state = ops.state;
        let g = kernel::backward(
            values(&grad),
            &state.saved,
            values(&state.gamma),
            state.mask,
        );
        let width = g.gamma.len();
        for (node, value, shape) in [
            (h_node, g.input, state.shape.clone()),
            (x_node, g.residual, state.shape.clone()),
            (gamma_node, g.gamma, Shape::new([width])),
            (beta_node, g.beta, Shape::new([width])),
        ] {
            if let Some(node) = node {
                grads.register::<Flex>(node.id, from_values(value, shape));
            }
        }
    }
}

fn autodiff(parts: [AutodiffFlex; 4], eps: f32, mask: Option<DropoutMask>) -> AutodiffFlex {
    let prep = ResidualLayerNormBackward
        .prepare::<Strategy>(parts.clone().map(|t| t.node))
        .compute_bound()
        .stateful();
    let [h, x, gamma, beta] = parts.map(|t| contiguous(&t.primitive));
    let tracked = matches!(prep, OpsKind::Tracked(_));
    let (y, saved) = kernel::forward(
        values(&h),
        values(&x),
        values(&gamma),
        values(&beta),
        eps,
        mask,
        tracked,
    );
    let shape = h.layout().shape().clone();
    let output = from_values(y, shape.clone());
    match (prep, saved) {
        (OpsKind::Tracked(prep), Some(saved)) => prep.finish(
            Arc::new(State {
                saved,
                gamma,
                mask,
                shape,
            }),
            output,
        ),
        (OpsKind::Tracked(_), None) => {
            unreachable!("the forward pass keeps its state when tracked")
        }
        (OpsKind::UnTracked(prep), _) => prep.finish(output),
    }
}
