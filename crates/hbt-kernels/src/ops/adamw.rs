//! AdamW as a burn optimizer whose update is one fused pass on burn-flex
//! ([`crate::cpu::adamw`]) and burn's own `AdamW` on every other backend. Its state is burn's
//! `AdamWState`, so optimizer records (checkpoints) are the same either way.

use burn::backend::flex::FlexTensor;
use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{AdamWConfig, AdamWState, AdaptiveMomentumState, LearningRate, SimpleOptimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::ops::Device;
use burn::tensor::{DType, Tensor};

use crate::cpu::adamw::{self, AdamWStep};
use crate::flex::{self, Kernel, Route};

/// AdamW with β₁, β₂, ε and decoupled weight decay (no AMSGrad, no cautious decay).
#[derive(Clone, Debug)]
pub struct AdamW {
    /// Decay of the first moment.
    pub beta_1: f32,
    /// Decay of the second moment.
    pub beta_2: f32,
    /// Added to the second moment's square root.
    pub epsilon: f32,
    /// Decoupled weight decay.
    pub weight_decay: f32,
}

impl AdamW {
    /// burn's `AdamW` with the same settings (the reference path).
    fn reference(&self) -> burn::optim::AdamW {
        AdamWConfig::new()
            .with_beta_1(self.beta_1)
            .with_beta_2(self.beta_2)
            .with_epsilon(self.epsilon)
            .with_weight_decay(self.weight_decay)
            .build()
    }

    /// The optimizer for the parameters of a module `M` trained on `B`.
    pub fn init<B: AutodiffBackend, M: AutodiffModule<B>>(&self) -> OptimizerAdaptor<AdamW, M, B> {
        OptimizerAdaptor::from(self.clone())
    }
}

impl<B: Backend> SimpleOptimizer<B> for AdamW {
    type State<const D: usize> = AdamWState<B, D>;

    fn step<const D: usize>(
        &self,
        learning_rate: LearningRate,
        tensor: Tensor<B, D>,
        grad: Tensor<B, D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<B, D>, Option<Self::State<D>>) {
        let fused = flex::route::<B>(Kernel::AdamW) == Route::Flex
            && tensor.dtype() == DType::F32
            && grad.dtype() == DType::F32
            && state.as_ref().is_none_or(|s| {
                s.momentum.max_moment_2.is_none()
                    && s.momentum.moment_1.dtype() == DType::F32
                    && s.momentum.moment_2.dtype() == DType::F32
            });
        if !fused {
            return self.reference().step(learning_rate, tensor, grad, state);
        }
        let (time, moments) = match state {
            Some(state) => (
                state.momentum.time + 1,
                Some((state.momentum.moment_1, state.momentum.moment_2)),
            ),
            None => (1, None),
        };
        let mut param = owned(flex::primitive(tensor));
        let grad = flex::contiguous(&flex::primitive(grad));
        let (mut m, mut v) = match moments {
            Some((m, v)) => (owned(flex::primitive(m)), owned(flex::primitive(v))),
            None => (zeros_like(&param), zeros_like(&param)),
        };
        adamw::step(
            param.storage_mut::<f32>(),
            flex::values(&grad),
            m.storage_mut::<f32>(),
            v.storage_mut::<f32>(),
            &AdamWStep {
                learning_rate,
                beta_1: self.beta_1,
                beta_2: self.beta_2,
                epsilon: self.epsilon,
                weight_decay: self.weight_decay,
                time,
            },
        );
        let (param, m, v) = (flex::tensor(param), flex::tensor(m), flex::tensor(v));
        let momentum = AdaptiveMomentumState::new(time, m, v);
        (param, Some(AdamWState::new(momentum)))
    }

    fn to_device<const D: usize>(mut state: Self::State<D>, device: &Device<B>) -> Self::State<D> {
        state.momentum = state.momentum.to_device(device);
        state
    }
}

/// `tensor` with a contiguous buffer of exactly its elements (copied when it is a view), so
/// that `storage_mut` covers the tensor and writes in place when the buffer is not shared.
fn owned(tensor: FlexTensor) -> FlexTensor {
    let elements = tensor.layout().shape().num_elements();
    match tensor.layout().contiguous_offsets() {
        Some((0, end)) if end == elements && tensor.bytes().len() == 4 * elements => tensor,
        _ => tensor.to_contiguous(),
    }
}

fn zeros_like(tensor: &FlexTensor) -> FlexTensor {
    FlexTensor::zeros(tensor.layout().shape().clone(), DType::F32)
}
