//! The kernels as burn operations: one generic entry point each, routed by [`crate::flex`].

pub mod adamw;
pub mod attention;
pub mod embedding;
pub mod gelu;
pub mod layer_norm;
pub mod linear;
pub mod squared_sum;

use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;

/// The checkpointing strategy of `Autodiff<Flex>` (burn's default), which the fused backward
/// passes are registered under.
pub(crate) type Strategy = NoCheckpointing;
