//! Conversion between host tensors ([`HostTensor`], Hugging Face layout) and burn
//! parameters and modules (`Linear`, `LayerNorm`, `Embedding`).

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::tensor::{backend::Backend, Tensor, TensorData};

use crate::error::ModelError;
use crate::weights::{HostTensor, WeightMap};

/// Takes the tensor called `name` out of `weights`; a missing name is a bug in the caller
/// (names come from [`crate::weights::param_specs`]), reported as an error, not a panic.
pub(crate) fn take(weights: &mut WeightMap, name: &str) -> Result<HostTensor, ModelError> {
    weights.remove(name).ok_or_else(|| ModelError::Tensor {
        name: name.to_string(),
        message: "not present in the weight map".to_string(),
    })
}

/// A float parameter holding `tensor`.
pub(crate) fn param<B: Backend, const D: usize>(
    tensor: HostTensor,
    device: &B::Device,
) -> Param<Tensor<B, D>> {
    let data = TensorData::new(tensor.data, tensor.shape);
    Param::from_tensor(Tensor::from_data(data, device))
}

/// Reads a burn tensor back to the host.
pub(crate) fn host<B: Backend, const D: usize>(
    name: &str,
    tensor: Tensor<B, D>,
) -> Result<HostTensor, ModelError> {
    let shape = tensor.dims().to_vec();
    let data = tensor
        .into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .map_err(|e| ModelError::Tensor {
            name: name.to_string(),
            message: format!("{e:?}"),
        })?;
    Ok(HostTensor { shape, data })
}

/// A Linear layer from the Hugging Face tensors `{prefix}.weight` (`[out, in]`) and
/// `{prefix}.bias`.
pub(crate) fn linear<B: Backend>(
    weights: &mut WeightMap,
    prefix: &str,
    device: &B::Device,
) -> Result<Linear<B>, ModelError> {
    let weight = take(weights, &format!("{prefix}.weight"))?.transposed();
    let bias = take(weights, &format!("{prefix}.bias"))?;
    Ok(Linear {
        weight: param(weight, device),
        bias: Some(param(bias, device)),
    })
}

/// `x · weight + bias` of a `Linear` for `[rows, in]` inputs, through [`hbt_kernels::linear`]
/// (bias fused into the product on burn-flex).
pub(crate) fn apply_linear<B: Backend>(linear: &Linear<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    hbt_kernels::linear(
        x,
        linear.weight.val(),
        linear.bias.as_ref().map(|bias| bias.val()),
    )
}

/// Writes a Linear layer as Hugging Face tensors `{prefix}.weight` / `{prefix}.bias`.
pub(crate) fn export_linear<B: Backend>(
    out: &mut WeightMap,
    prefix: &str,
    layer: &Linear<B>,
) -> Result<(), ModelError> {
    let name = format!("{prefix}.weight");
    let weight = host(&name, layer.weight.val())?.transposed();
    out.insert(name, weight);
    let name = format!("{prefix}.bias");
    let bias = match &layer.bias {
        Some(bias) => host(&name, bias.val())?,
        None => HostTensor::filled(&[layer.weight.dims()[1]], 0.0),
    };
    out.insert(name, bias);
    Ok(())
}

/// A LayerNorm from `{prefix}.LayerNorm.weight` / `.bias`.
pub(crate) fn layer_norm<B: Backend>(
    weights: &mut WeightMap,
    prefix: &str,
    eps: f64,
    device: &B::Device,
) -> Result<LayerNorm<B>, ModelError> {
    let gamma = take(weights, &format!("{prefix}.LayerNorm.weight"))?;
    let beta = take(weights, &format!("{prefix}.LayerNorm.bias"))?;
    let mut norm = LayerNormConfig::new(gamma.shape[0])
        .with_epsilon(eps)
        .init(device);
    norm.gamma = param(gamma, device);
    norm.beta = Some(param(beta, device));
    Ok(norm)
}

/// A LayerNorm's parameters for [`hbt_kernels::residual_layer_norm`] (β = 0 when absent).
pub(crate) fn norm<B: Backend>(norm: &LayerNorm<B>, eps: f64) -> hbt_kernels::Norm<B> {
    let gamma = norm.gamma.val();
    let beta = match &norm.beta {
        Some(beta) => beta.val(),
        None => gamma.zeros_like(),
    };
    hbt_kernels::Norm { gamma, beta, eps }
}

/// Writes a LayerNorm as `{prefix}.LayerNorm.weight` / `.bias`.
pub(crate) fn export_layer_norm<B: Backend>(
    out: &mut WeightMap,
    prefix: &str,
    norm: &LayerNorm<B>,
) -> Result<(), ModelError> {
    let name = format!("{prefix}.LayerNorm.weight");
    let gamma = host(&name, norm.gamma.val())?;
    let width = gamma.shape[0];
    out.insert(name, gamma);
    let name = format!("{prefix}.LayerNorm.bias");
    let beta = match &norm.beta {
        Some(beta) => host(&name, beta.val())?,
        None => HostTensor::filled(&[width], 0.0),
    };
    out.insert(name, beta);
    Ok(())
}

/// An embedding table from `name`.
pub(crate) fn embedding<B: Backend>(
    weights: &mut WeightMap,
    name: &str,
    device: &B::Device,
) -> Result<Embedding<B>, ModelError> {
    Ok(Embedding {
        weight: param(take(weights, name)?, device),
    })
}

/// Writes an embedding table as `name`.
pub(crate) fn export_embedding<B: Backend>(
    out: &mut WeightMap,
    name: &str,
    table: &Embedding<B>,
) -> Result<(), ModelError> {
    out.insert(name.to_string(), host(name, table.weight.val())?);
    Ok(())
}
