//! Multi-head self-attention as one operation: `softmax(Q·Kᵀ/√d + mask)` with dropout, times
//! `V`, from and to `[batch, seq, hidden]` projections.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::activation::softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{DType, Distribution, Tensor};

use super::Strategy;
use crate::cpu::attention::{self as kernel, Shape};
use crate::flex::{self, contiguous, from_values, values, AutodiffFlex, Kernel, Route};
use crate::philox::DropoutMask;

/// Self-attention over `heads` heads of `q`, `k`, `v` (`[batch, seq, hidden]`, the outputs of
/// the query, key and value projections); `mask` (`[batch, seq]`) is added to the scores of
/// every query over the keys (0 for tokens, a large negative value such as `f32::MIN` for
/// padding). Dropout with probability `dropout` on the attention probabilities applies only
/// under autodiff (training). Returns the context, `[batch, seq, hidden]`.
pub fn attention<B: Backend>(
    q: Tensor<B, 3>,
    k: Tensor<B, 3>,
    v: Tensor<B, 3>,
    mask: Tensor<B, 2>,
    heads: usize,
    dropout: f64,
) -> Tensor<B, 3> {
    let device = q.device();
    let prob = if B::ad_enabled(&device) { dropout } else { 0.0 };
    let route = flex::route::<B>(Kernel::Attention);
    // The fused kernel computes in f32; other precisions (mixed-precision training) compose.
    if route == Route::Reference || q.dtype() != DType::F32 {
        return reference(q, k, v, mask, heads, prob);
    }
    let [batch, seq, hidden] = q.dims();
    let shape = Shape {
        batch,
        seq,
        heads,
        head_dim: hidden / heads,
    };
    let dropout = (prob > 0.0).then(|| DropoutMask {
        seed: flex::draw_seed::<B>(&device),
        prob: prob as f32,
    });
    if route == Route::Flex {
        let parts: [FlexTensor; 4] = [
            flex::primitive(q),
            flex::primitive(k),
            flex::primitive(v),
            flex::primitive(mask),
        ];
        let [q, k, v, mask] = parts.map(|t| contiguous(&t));
        let (context, _) = kernel::forward(
            shape,
            values(&q),
            values(&k),
            values(&v),
            values(&mask),
            dropout,
            false,
        );
        return flex::tensor(from_values(context, [batch, seq, hidden]));
    }
    let parts: [AutodiffFlex; 3] = [flex::primitive(q), flex::primitive(k), flex::primitive(v)];
    let mask: AutodiffFlex = flex::primitive(mask);
    flex::tensor(autodiff(parts, contiguous(&mask.primitive), shape, dropout))
}

/// burn's own operations: split heads, `matmul`, `softmax`, dropout, `matmul`, merge heads.
pub fn reference<B: Backend>(
    q: Tensor<B, 3>,
    k: Tensor<B, 3>,
    v: Tensor<B, 3>,
    mask: Tensor<B, 2>,
    heads: usize,
    dropout: f64,
) -> Tensor<B, 3> {
    let [batch, seq, hidden] = q.dims();
    let head_dim = hidden / heads;
    let split = |t: Tensor<B, 3>| t.reshape([batch, seq, heads, head_dim]).swap_dims(1, 2);
    let (q, k, v) = (split(q), split(k), split(v));
    let scale = 1.0 / (head_dim as f64).sqrt();
    let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale) + mask.reshape([batch, 1, 1, seq]);
    let mut probs = softmax(scores, 3);
    if dropout > 0.0 && B::ad_enabled(&probs.device()) {
        let keep = 1.0 - dropout;
        probs = probs.clone() * probs.random_like(Distribution::Bernoulli(keep)) / keep;
    }
    probs
        .matmul(v)
        .swap_dims(1, 2)
        .reshape([batch, seq, hidden])
}

#[derive(Debug)]
struct State {
    q: FlexTensor,
    k: FlexTensor,
    v: FlexTensor,
    probs: Vec<f32>,
    shape: Shape,
    dropout: Option<DropoutMask>,
}

#[derive(Debug)]
struct AttentionBackward;

impl Backward<Flex, 3> for AttentionBackward {
    type State = Arc<State>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = contiguous(&grads.consume::<Flex>(&ops.node));
        let s = ops.state;
        let g = kernel::backward(
            s.shape,
            values(&s.q),
            values(&s.k),
            values(&s.v),
            &s.probs,
            s.dropout,
            values(&grad),
        );
        let dims = [s.shape.batch, s.shape.seq, s.shape.heads * s.shape.head_dim];
        for (node, value) in ops.parents.into_iter().zip([g.q, g.k, g.v]) {
            if let Some(node) = node {
                grads.register::<Flex>(node.id, from_values(value, dims));
            }
        }
    }
}

fn autodiff(
    parts: [AutodiffFlex; 3],
    mask: FlexTensor,
    shape: Shape,
    dropout: Option<DropoutMask>,
) -> AutodiffFlex {
    let prep = AttentionBackward
        .prepare::<Strategy>(parts.clone().map(|t| t.node))
        .compute_bound()
        .stateful();
    let [q, k, v] = parts.map(|t| contiguous(&t.primitive));
    let tracked = matches!(prep, OpsKind::Tracked(_));
    let (context, probs) = kernel::forward(
        shape,
        values(&q),
        values(&k),
        values(&v),
        values(&mask),
        dropout,
        tracked,
    );
    let output = from_values(
        context,
        [shape.batch, shape.seq, shape.heads * shape.head_dim],
    );
    match (prep, probs) {
        (OpsKind::Tracked(prep), Some(probs)) => prep.finish(
            Arc::new(State {
                q,
                k,
                v,
                probs,
                shape,
                dropout,
            }),
            output,
        ),
        (OpsKind::Tracked(_), None) => {
            unreachable!("the forward pass keeps its probabilities when tracked")
        }
        (OpsKind::UnTracked(prep), _) => prep.finish(output),
    }
}
