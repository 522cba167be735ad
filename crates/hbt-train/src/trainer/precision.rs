//! Mixed precision: a step's forward and backward passes run on a copy of the encoder whose
//! parameters are cast to bf16 or f16 ([`Encoder::cast_parameters`]); the gradients flow back
//! through the casts to the f32 parameters, which the optimizer updates with its f32 state. In
//! f16, whose range is narrow, the loss is multiplied by a [`LossScale`] before the backward
//! pass (small gradients would round to zero) and the gradients divided by it after; a step
//! whose gradients overflow is skipped and the scale halved (PyTorch's `GradScaler`).

use burn::tensor::backend::Backend;
use burn::tensor::FloatDType;
use hbt_model::Encoder;
use hbt_schema::Precision;
use serde::{Deserialize, Serialize};

/// burn's dtype of a precision.
pub fn float_dtype(precision: Precision) -> FloatDType {
    match precision {
        Precision::F32 => FloatDType::F32,
        Precision::Bf16 => FloatDType::BF16,
        Precision::F16 => FloatDType::F16,
    }
}

/// The encoder a step computes with: `model` itself in f32, else its cast copy.
pub fn compute_view<B: Backend>(model: &Encoder<B>, precision: Precision) -> Encoder<B> {
    match precision {
        Precision::F32 => model.clone(),
        other => model.cast_parameters(float_dtype(other)),
    }
}

/// The dynamic loss scale of f16 training, saved in checkpoints so a resumed run continues
/// with the same scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossScale {
    /// The factor the loss is multiplied by before the backward pass.
    pub scale: f64,
    /// Steps in a row whose gradients were finite, since the last change of scale.
    pub good_steps: u64,
    /// Steps skipped so far because their gradients overflowed.
    pub skipped_steps: u64,
}

impl LossScale {
    /// PyTorch's `GradScaler` defaults: 2¹⁶, doubled after 2000 good steps, halved on overflow.
    const INITIAL: f64 = 65536.0;
    const GROWTH_INTERVAL: u64 = 2000;

    /// The starting scale of `precision`: `None` unless f16.
    pub fn for_precision(precision: Precision) -> Option<LossScale> {
        (precision == Precision::F16).then_some(LossScale {
            scale: Self::INITIAL,
            good_steps: 0,
            skipped_steps: 0,
        })
    }

    /// Records a step whose gradients (after the backward pass, before unscaling) were finite
    /// or not; returns whether the step is to be applied.
    pub fn update(&mut self, finite: bool) -> bool {
        if finite {
            self.good_steps += 1;
            if self.good_steps == Self::GROWTH_INTERVAL {
                self.scale *= 2.0;
                self.good_steps = 0;
            }
        } else {
            self.scale = (self.scale / 2.0).max(1.0);
            self.good_steps = 0;
            self.skipped_steps += 1;
        }
        finite
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_halves_on_overflow_and_doubles_after_a_run_of_good_steps() {
        assert_eq!(LossScale::for_precision(Precision::Bf16), None);
        let mut scale = LossScale::for_precision(Precision::F16).unwrap();
        assert!(!scale.update(false));
        assert_eq!((scale.scale, scale.skipped_steps), (32768.0, 1));
        for _ in 0..1999 {
            assert!(scale.update(true));
        }
        assert_eq!(scale.scale, 32768.0);
        assert!(scale.update(true));
        assert_eq!((scale.scale, scale.good_steps), (65536.0, 0));
        for _ in 0..40 {
            scale.update(false);
        }
        assert_eq!(scale.scale, 1.0, "never below 1");
    }
}
