//! Fused CPU kernels for hbt's transformer encoder, as burn operations with their own backward.
//!
//! Each operation has one generic entry point (`B: Backend`). On burn-flex (`Flex`) it runs
//! a fused, multi-threaded, vectorised kernel; under autodiff on burn-flex (`Autodiff<Flex>`)
//! it also registers a fused backward pass; on every other backend (burn-ndarray, burn-cuda,
//! …) it runs [the same computation composed of burn's own operations](ops), so results agree
//! across backends (tested in `tests/kernels.rs`).
//!
//! - [`attention`]: scores, additive key mask, softmax, dropout and context per layer, reading
//!   heads through strides (no split/merge copies); the backward recomputes the dropout mask.
//! - [`bias_gelu`]: the feed-forward bias and the exact GELU, one pass each way.
//! - [`residual_layer_norm`]: hidden dropout, residual sum and LayerNorm, one pass each way.
//! - [`linear`]: the projections, bias written into the product's output, products (forward
//!   and backward) by a BLAS loaded at run time when the machine has one ([`cpu::product`]).
//! - [`AdamW`]: a burn optimizer whose update is one in-place pass over parameter, gradient and
//!   moments (burn's `AdamW` elsewhere; same state records).
//! - [`embedding`]: a lookup whose backward writes only the rows looked up (burn-flex's
//!   writes and copies the whole table's gradient).
//! - [`squared_sum`]: a tensor's sum of squares without a squared copy (gradient clipping).
//! - Dropout masks come from a counter-based generator ([`philox`]) keyed by a seed drawn from
//!   the backend's generator, so they follow `B::seed` (exact resume) and are drawn in parallel.
//!
//! `HBT_UNFUSED=attention,bias_gelu,layer_norm,linear,adamw,embedding,squared_sum` (or `all`) sends the named operations to the
//! reference path on burn-flex too, for A/B measurements in one binary
//! ([`flex::is_unfused`]).

pub mod cpu;
pub mod flex;
pub mod ops;
pub mod philox;
pub mod simd;

pub use ops::adamw::AdamW;
pub use ops::attention::attention;
pub use ops::embedding::embedding;
pub use ops::gelu::bias_gelu;
pub use ops::layer_norm::{residual_layer_norm, Norm};
pub use ops::linear::linear;
pub use ops::squared_sum::squared_sum;
