//! Run-time dispatch to the fused kernels: a generic `B: Backend` is recognised as burn-flex
//! (`Flex`) or burn-flex under autodiff (`Autodiff<Flex>`) by its type, and its tensors are
//! taken as such, safely (`Any` downcasts); every other backend runs the reference
//! composition of burn's own operations.
//!
//! This is burn's backend-extension pattern without a new trait bound: the encoder, the
//! trainer and the pipeline stay generic over `B: Backend` and need no change to gain the
//! kernels.

use std::any::{Any, TypeId};

use burn::backend::flex::FlexTensor;
use burn::backend::{Autodiff, Flex};
use burn::tensor::backend::Backend;
use burn::tensor::{DType, Distribution, Shape, Tensor, TensorData, TensorPrimitive};

/// Which implementation a backend gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// burn-flex: the fused forward kernels.
    Flex,
    /// burn-flex under autodiff: fused forward and fused backward.
    FlexAutodiff,
    /// Any other backend: burn's own operations.
    Reference,
}

/// The fused operations, by the names `HBT_UNFUSED` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// [`crate::attention`].
    Attention,
    /// [`crate::bias_gelu`].
    BiasGelu,
    /// [`crate::residual_layer_norm`].
    ResidualLayerNorm,
    /// [`crate::linear`].
    Linear,
    /// [`crate::AdamW`]'s update.
    AdamW,
    /// [`crate::embedding`]'s backward.
    Embedding,
    /// [`crate::squared_sum`].
    SquaredSum,
}

impl Kernel {
    /// The name in `HBT_UNFUSED`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Attention => "attention",
            Kernel::BiasGelu => "bias_gelu",
            Kernel::ResidualLayerNorm => "layer_norm",
            Kernel::Linear => "linear",
            Kernel::AdamW => "adamw",
            Kernel::Embedding => "embedding",
            Kernel::SquaredSum => "squared_sum",
        }
    }
}

/// Whether `kernel` is switched off by the environment variable `HBT_UNFUSED` (a comma-separated
/// list of kernel names, or `all`), read once. It exists for A/B measurements of each kernel
/// against burn's own operations in one binary; results agree either way (tested).
pub fn is_unfused(kernel: Kernel) -> bool {
    static UNFUSED: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let names = UNFUSED.get_or_init(|| {
        std::env::var("HBT_UNFUSED")
            .unwrap_or_default()
            .split(',')
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .collect()
    });
    names
        .iter()
        .any(|name| name == "all" || name == kernel.name())
}

/// The route `B` takes for `kernel`.
pub fn route<B: Backend>(kernel: Kernel) -> Route {
    if is_unfused(kernel) {
        Route::Reference
    } else if TypeId::of::<B>() == TypeId::of::<Flex>() {
        Route::Flex
    } else if TypeId::of::<B>() == TypeId::of::<Autodiff<Flex>>() {
        Route::FlexAutodiff
    } else {
        Route::Reference
    }
}

/// `value` as a `U` when it is one.
fn cast<T: 'static, U: 'static>(value: T) -> Result<U, T> {
    let mut slot = Some(value);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<U>>() {
        Some(cast) => Ok(cast.take().expect("the slot was filled above")),
        None => Err(slot.expect("the slot was not taken")),
    }
}

/// The primitive of a float tensor of `B`, known (by [`route`]) to be a `U`.
pub(crate) fn primitive<B: Backend, U: 'static, const D: usize>(tensor: Tensor<B, D>) -> U {
    match cast::<B::FloatTensorPrimitive, U>(tensor.into_primitive().tensor()) {
        Ok(value) => value,
        Err(_) => unreachable!("route() checked the backend type"),
    }
}

/// A tensor of `B` from a primitive known to be `B`'s.
pub(crate) fn tensor<B: Backend, U: 'static, const D: usize>(value: U) -> Tensor<B, D> {
    match cast::<U, B::FloatTensorPrimitive>(value) {
        Ok(primitive) => Tensor::from_primitive(TensorPrimitive::Float(primitive)),
        Err(_) => unreachable!("route() checked the backend type"),
    }
}

/// The primitive of an `Autodiff<Flex>` tensor.
pub(crate) type AutodiffFlex = burn::tensor::ops::FloatTensor<Autodiff<Flex>>;

/// Whether a flex tensor holds `f32` (the kernels' only type; others take the reference).
pub(crate) fn is_f32(tensor: &FlexTensor) -> bool {
    tensor.dtype() == DType::F32
}

/// A contiguous `f32` view of a flex tensor (copying only when it is strided).
pub(crate) fn contiguous(tensor: &FlexTensor) -> FlexTensor {
    let mut tensor = tensor.clone();
    if tensor.layout().contiguous_offsets().is_none() {
        tensor = tensor.to_contiguous();
    }
    tensor
}

/// The elements of a contiguous `f32` flex tensor (see [`contiguous`]).
pub(crate) fn values(tensor: &FlexTensor) -> &[f32] {
    tensor
        .as_slice::<f32>()
        .expect("kernels receive contiguous f32 tensors")
}

/// The elements of an `f32` flex tensor for writing in place: `Some` only when the tensor
/// alone holds its storage and its layout covers that storage contiguously from the start.
pub(crate) fn whole_storage_mut(tensor: &mut FlexTensor) -> Option<&mut [f32]> {
    let elements = tensor.layout().shape().num_elements();
    let covers_all = is_f32(tensor)
        && tensor.layout().contiguous_offsets() == Some((0, elements))
        && tensor.bytes().len() == elements * std::mem::size_of::<f32>();
    if !covers_all {
        return None;
    }
    tensor.try_storage_mut::<f32>()
}

/// A flex tensor of `shape` holding `values`.
pub(crate) fn from_values(values: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

/// A 64-bit key for a dropout mask, drawn from the backend's own generator so that it follows
/// `B::seed` (and so exact resume) like burn's dropout.
pub(crate) fn draw_seed<B: Backend>(device: &B::Device) -> u64 {
    let words = Tensor::<B, 1>::random([3], Distribution::Uniform(0.0, 2_097_152.0), device)
        .into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .expect("three f32 draws");
    words
        .iter()
        .fold(0u64, |key, &w| (key << 21) | (w.floor() as u64 & 0x1f_ffff))
}
