//! The learning-rate schedule: linear warm-up to the peak, then linear decay to zero at the
//! last step. A pure function of the step, so resuming needs no scheduler state.

use serde::{Deserialize, Serialize};

/// Linear warm-up then linear decay, over a fixed number of optimizer steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinearSchedule {
    /// Peak learning rate, reached at the end of the warm-up.
    pub peak: f64,
    /// Steps of linear warm-up (0: start at the peak).
    pub warmup_steps: u64,
    /// Total optimizer steps; the rate reaches zero after the last one.
    pub total_steps: u64,
}

impl LinearSchedule {
    /// The learning rate of optimizer step `step` (0-based): `peak · (step + 1) / warmup` during
    /// the warm-up, then `peak · (total − step) / (total − warmup)`.
    pub fn rate(&self, step: u64) -> f64 {
        if step < self.warmup_steps {
            return self.peak * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let decay = self.total_steps.saturating_sub(self.warmup_steps).max(1);
        let left = self.total_steps.saturating_sub(step);
        self.peak * left as f64 / decay as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_then_decays_linearly_to_zero() {
        let s = LinearSchedule {
            peak: 1.0,
            warmup_steps: 4,
            total_steps: 12,
        };
        let rates: Vec<f64> = (0..12).map(|i| s.rate(i)).collect();
        assert_eq!(&rates[..4], &[0.25, 0.5, 0.75, 1.0]);
        assert_eq!(rates[4], 1.0);
        assert_eq!(rates[8], 0.5);
        assert_eq!(rates[11], 0.125);
        assert_eq!(s.rate(12), 0.0);
    }

    #[test]
    fn no_warmup_starts_at_the_peak() {
        let s = LinearSchedule {
            peak: 2.0,
            warmup_steps: 0,
            total_steps: 4,
        };
        assert_eq!(s.rate(0), 2.0);
        assert_eq!(s.rate(2), 1.0);
    }
}
