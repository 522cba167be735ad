//! `GELU(x + bias)`: the feed-forward up-projection's bias and activation in one operation.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::activation::gelu;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use super::Strategy;
use crate::cpu;
use crate::flex::{self, contiguous, from_values, values, AutodiffFlex, Kernel, Route};

/// `GELU(x + bias)` (exact erf GELU) with `bias` broadcast over the last dimension of `x`.
pub fn bias_gelu<B: Backend, const D: usize>(x: Tensor<B, D>, bias: Tensor<B, 1>) -> Tensor<B, D> {
    match flex::route::<B>(Kernel::BiasGelu) {
        Route::Flex => {
            let (x, bias): (FlexTensor, FlexTensor) = (flex::primitive(x), flex::primitive(bias));
            if !flex::is_f32(&x) {
                return reference(flex::tensor(x), flex::tensor(bias));
            }
            flex::tensor(forward(x, &bias))
        }
        Route::FlexAutodiff => {
            let (x, bias): (AutodiffFlex, AutodiffFlex) =
                (flex::primitive(x), flex::primitive(bias));
            if !flex::is_f32(&x.primitive) {
                return reference(flex::tensor(x), flex::tensor(bias));
            }
            flex::tensor(autodiff(x, bias))
        }
        Route::Reference => reference(x, bias),
    }
}

/// burn's own operations: an add and `gelu`.
pub fn reference<B: Backend, const D: usize>(x: Tensor<B, D>, bias: Tensor<B, 1>) -> Tensor<B, D> {
    let mut shape = [1; D];
    shape[D - 1] = bias.dims()[0];
    gelu(x + bias.reshape(shape))
}

/// The forward pass; written into `x`'s own storage when nothing else holds it (the
/// up-projection's fresh output at inference), into a new tensor otherwise.
fn forward(mut x: FlexTensor, bias: &FlexTensor) -> FlexTensor {
    let bias = contiguous(bias);
    if let Some(storage) = flex::whole_storage_mut(&mut x) {
        cpu::gelu::forward_in_place(storage, values(&bias));
        return x;
    }
    let x = contiguous(&x);
    from_values(
        cpu::gelu::forward(values(&x), values(&bias)),
        x.layout().shape().clone(),
    )
}

#[derive(Debug)]
struct BiasGeluBackward;

impl Backward<Flex, 2> for BiasGeluBackward {
    type State = (FlexTensor, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [x_node, bias_node] = ops.parents;
        let grad = contiguous(&grads.consume::<Flex>(&ops.node));
        let (x, bias) = ops.state;
        let mut dx = values(&grad).to_vec();
        let dbias = cpu::gelu::backward(values(&x), values(&bias), &mut dx);
        if let Some(node) = x_node {
            grads.register::<Flex>(node.id, from_values(dx, x.layout().shape().clone()));
        }
        if let Some(node) = bias_node {
            let width = dbias.len();
            grads.register::<Flex>(node.id, from_values(dbias, [width]));
        }
    }
}

fn autodiff(x: AutodiffFlex, bias: AutodiffFlex) -> AutodiffFlex {
    let prep = BiasGeluBackward
        .prepare::<Strategy>([x.node.clone(), bias.node.clone()])
        .compute_bound()
        .stateful();
    let (xs, bs) = (contiguous(&x.primitive), contiguous(&bias.primitive));
    let output = forward(xs.clone(), &bs);
    match prep {
        OpsKind::Tracked(prep) => prep.finish((xs, bs), output),
        OpsKind::UnTracked(prep) => prep.finish(output),
    }
}
