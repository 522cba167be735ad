//! `x · weight + bias`: the encoder's projections, with the bias written into the product's
//! output before it is accumulated, and the products computed by [`crate::cpu::product`] (a
//! BLAS loaded at run time, or the `gemm` crate).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use super::Strategy;
use crate::cpu::column_sums;
use crate::cpu::product::{matmul, Operand};
use crate::flex::{self, contiguous, from_values, values, AutodiffFlex, Kernel, Route};

/// `x · weight (+ bias)` for `x` of `[rows, in]`, `weight` of `[in, out]` (burn's `Linear`
/// layout) and `bias` of `[out]`.
pub fn linear<B: Backend>(
    x: Tensor<B, 2>,
    weight: Tensor<B, 2>,
    bias: Option<Tensor<B, 1>>,
) -> Tensor<B, 2> {
    match flex::route::<B>(Kernel::Linear) {
        Route::Flex => {
            let (x, w): (FlexTensor, FlexTensor) = (flex::primitive(x), flex::primitive(weight));
            let b: Option<FlexTensor> = bias.map(flex::primitive);
            if !flex::is_f32(&x) || !flex::is_f32(&w) {
                return reference(flex::tensor(x), flex::tensor(w), b.map(flex::tensor));
            }
            flex::tensor(forward(&contiguous(&x), &contiguous(&w), b.as_ref()))
        }
        Route::FlexAutodiff => {
            let (x, w): (AutodiffFlex, AutodiffFlex) =
                (flex::primitive(x), flex::primitive(weight));
            let b: Option<AutodiffFlex> = bias.map(flex::primitive);
            if !flex::is_f32(&x.primitive) || !flex::is_f32(&w.primitive) {
                return reference(flex::tensor(x), flex::tensor(w), b.map(flex::tensor));
            }
            flex::tensor(autodiff(x, w, b))
        }
        Route::Reference => reference(x, weight, bias),
    }
}

/// burn's own operations: `matmul` and a broadcast add.
pub fn reference<B: Backend>(
    x: Tensor<B, 2>,
    weight: Tensor<B, 2>,
    bias: Option<Tensor<B, 1>>,
) -> Tensor<B, 2> {
    let product = x.matmul(weight);
    match bias {
        Some(bias) => product + bias.unsqueeze(),
        None => product,
    }
}

/// The forward product of contiguous `x` and `w`.
fn forward(x: &FlexTensor, w: &FlexTensor, bias: Option<&FlexTensor>) -> FlexTensor {
    let (rows, inputs) = dims(x);
    let outputs = dims(w).1;
    let mut out = match bias {
        Some(bias) => values(&contiguous(bias)).repeat(rows),
        None => vec![0.0; rows * outputs],
    };
    matmul(
        Operand::plain(values(x)),
        Operand::plain(values(w)),
        &mut out,
        (rows, inputs, outputs),
        bias.is_some(),
    );
    from_values(out, [rows, outputs])
}

fn dims(tensor: &FlexTensor) -> (usize, usize) {
    let dims = tensor.layout().shape().dims::<2>();
    (dims[0], dims[1])
}

/// The gradients of `x` and `w` given the output gradient `grad`, for the nodes that want them:
/// `dx = grad · wᵀ`, `dw = xᵀ · grad`.
fn backward_products(
    x: &FlexTensor,
    w: &FlexTensor,
    grad: &FlexTensor,
    want: (bool, bool),
) -> (Option<FlexTensor>, Option<FlexTensor>) {
    let ((rows, inputs), outputs) = (dims(x), dims(w).1);
    let product = |a: Operand<'_>, b: Operand<'_>, (m, k, n): (usize, usize, usize)| {
        let mut out = vec![0.0; m * n];
        matmul(a, b, &mut out, (m, k, n), false);
        from_values(out, [m, n])
    };
    let (x, w, grad) = (values(x), values(w), values(grad));
    let dx = want.0.then(|| {
        product(
            Operand::plain(grad),
            Operand::transposed(w),
            (rows, outputs, inputs),
        )
    });
    let dw = want.1.then(|| {
        product(
            Operand::transposed(x),
            Operand::plain(grad),
            (inputs, rows, outputs),
        )
    });
    (dx, dw)
}

/// The backward of `x · w` (two parents) or `x · w + b` (three: the bias last).
#[derive(Debug)]
struct LinearBackward;

impl<const N: usize> Backward<Flex, N> for LinearBackward {
    type State = (FlexTensor, FlexTensor);

    fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _: &mut Checkpointer) {
        let mut parents = ops.parents.into_iter();
        let (x_node, w_node) = (parents.next().flatten(), parents.next().flatten());
        let b_node = parents.next().flatten();
        let grad = contiguous(&grads.consume::<Flex>(&ops.node));
        let (x, w) = ops.state;
        let (dx, dw) = backward_products(&x, &w, &grad, (x_node.is_some(), w_node.is_some()));
        for (node, value) in [(x_node, dx), (w_node, dw)] {
            if let (Some(node), Some(value)) = (node, value) {
                grads.register::<Flex>(node.id, value);
            }
        }
        if let Some(node) = b_node {
            let outputs = dims(&w).1;
            let db = column_sums(values(&grad), outputs);
            grads.register::<Flex>(node.id, from_values(db, [outputs]));
        }
    }
}

fn autodiff(x: AutodiffFlex, w: AutodiffFlex, bias: Option<AutodiffFlex>) -> AutodiffFlex {
    let (xs, ws) = (contiguous(&x.primitive), contiguous(&w.primitive));
    let output = forward(&xs, &ws, bias.as_ref().map(|b| &b.primitive));
    match bias {
        Some(bias) => track([&x, &w, &bias], (xs, ws), output),
        None => track([&x, &w], (xs, ws), output),
    }
}

/// Registers [`LinearBackward`] for the `N` parents, keeping `state` when tracked.
fn track<const N: usize>(
    parents: [&AutodiffFlex; N],
    state: (FlexTensor, FlexTensor),
    output: FlexTensor,
) -> AutodiffFlex
where
    LinearBackward: Backward<Flex, N, State = (FlexTensor, FlexTensor)>,
{
    match LinearBackward
        .prepare::<Strategy>(parents.map(|parent| parent.node.clone()))
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(state, output),
        OpsKind::UnTracked(prep) => prep.finish(output),
    }
}
