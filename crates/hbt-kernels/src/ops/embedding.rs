//! Embedding lookup whose backward writes only the rows of the ids looked up.
//!
//! burn-flex's own `embedding_backward` allocates a zeroed `[vocab, hidden]` gradient and
//! copies it once more before adding the rows (`select_add` clones its input): for
//! multilingual-e5-small's 250,002 × 384 word table that is two 384 MB buffers written in
//! full every step. Here the gradient is one zero-initialised allocation (pages the operating
//! system maps lazily) into which the rows of the ids are summed.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::Flex;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

use super::Strategy;
use crate::flex::{self, contiguous, from_values, values, AutodiffFlex, Kernel, Route};

/// The rows of `weight` (`[vocab, hidden]`) at `ids` (`[batch, seq]`): `[batch, seq, hidden]`.
pub fn embedding<B: Backend>(weight: Tensor<B, 2>, ids: Tensor<B, 2, Int>) -> Tensor<B, 3> {
    match flex::route::<B>(Kernel::Embedding) {
        Route::FlexAutodiff => {
            let weight: AutodiffFlex = flex::primitive(weight);
            if !flex::is_f32(&weight.primitive) {
                return reference(flex::tensor(weight), ids);
            }
            let [batch, seq] = ids.dims();
            let rows = ids
                .into_data()
                .convert::<i64>()
                .to_vec::<i64>()
                .expect("int tensor data converts to i64");
            flex::tensor(autodiff(weight, rows, [batch, seq]))
        }
        // The forward is a gather either way; only the backward differs.
        Route::Flex | Route::Reference => reference(weight, ids),
    }
}

/// burn's own operation.
pub fn reference<B: Backend>(weight: Tensor<B, 2>, ids: Tensor<B, 2, Int>) -> Tensor<B, 3> {
    burn::tensor::module::embedding(weight, ids)
}

#[derive(Debug)]
struct EmbeddingBackward;

/// What the backward needs: the ids, flattened, and the table's shape.
#[derive(Clone, Debug)]
struct Lookup {
    ids: Vec<i64>,
    vocab: usize,
    hidden: usize,
}

impl Backward<Flex, 1> for EmbeddingBackward {
    type State = Lookup;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [weight_node] = ops.parents;
        let grad = contiguous(&grads.consume::<Flex>(&ops.node));
        let Some(node) = weight_node else { return };
        let Lookup { ids, vocab, hidden } = ops.state;
        grads.register::<Flex>(
            node.id,
            from_values(
                row_gradient(&ids, values(&grad), vocab, hidden),
                [vocab, hidden],
            ),
        );
    }
}

/// The `[vocab, hidden]` gradient of a lookup of `ids` given the output gradient `grad`
/// (`ids.len()` rows of `hidden`): each row of `grad` added into the row of its id.
fn row_gradient(ids: &[i64], grad: &[f32], vocab: usize, hidden: usize) -> Vec<f32> {
    // `vec![0.0; n]` is a zeroed allocation (calloc): untouched rows cost no writes.
    let mut table = vec![0.0f32; vocab * hidden];
    for (&id, row) in ids.iter().zip(grad.chunks_exact(hidden)) {
        let id = usize::try_from(id).ok().filter(|&id| id < vocab);
        let id = id.expect("embedding ids were checked by the forward lookup");
        for (t, &g) in table[id * hidden..(id + 1) * hidden].iter_mut().zip(row) {
            *t += g;
        }
    }
    table
}

fn autodiff(weight: AutodiffFlex, ids: Vec<i64>, [batch, seq]: [usize; 2]) -> AutodiffFlex {
    let [vocab, hidden] = weight.primitive.layout().shape().dims::<2>();
    let prep = EmbeddingBackward
        .prepare::<Strategy>([weight.node.clone()])
        .compute_bound()
        .stateful();
    let table =
        Tensor::<Flex, 2>::from_primitive(burn::tensor::TensorPrimitive::Float(weight.primitive));
    let id_tensor = Tensor::<Flex, 2, Int>::from_data(
        burn::tensor::TensorData::new(ids.clone(), [batch, seq]),
        &Default::default(),
    );
    let output = reference(table, id_tensor).into_primitive().tensor();
    match prep {
        OpsKind::Tracked(prep) => prep.finish(Lookup { ids, vocab, hidden }, output),
        OpsKind::UnTracked(prep) => prep.finish(output),
    }
}
