//! What every benchmark measures with: summaries of repeated timings, the process's peak
//! resident memory, the CPU cores in use and a machine GEMM peak.

use std::time::Instant;

use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};
use serde::Serialize;

/// Min, median and max of repeated measurements.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// Smallest value.
    pub min: f64,
    /// Median (mean of the middle two for an even count).
    pub median: f64,
    /// Largest value.
    pub max: f64,
}

impl Spread {
    /// The spread of `values` (all zero for an empty list).
    pub fn of(values: &[f64]) -> Spread {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let (Some(&min), Some(&max)) = (sorted.first(), sorted.last()) else {
            return Spread {
                min: 0.0,
                median: 0.0,
                max: 0.0,
            };
        };
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        Spread { min, median, max }
    }

    /// `numerator / x` for each statistic (e.g. seconds → items per second); the order flips,
    /// so `min` stays the smallest.
    pub fn inverse(&self, numerator: f64) -> Spread {
        Spread {
            min: numerator / self.max,
            median: numerator / self.median,
            max: numerator / self.min,
        }
    }
}

/// Peak resident memory of this process in MiB since the last [`reset_peak_rss`] (Linux;
/// `None` elsewhere).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Resets the peak resident memory to the current one (Linux ≥ 4.0; a no-op elsewhere).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// CPU cores this process may use.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Best GFLOP/s of an `n × n` by `n × n` f32 matrix product on backend `B` (one warm-up, then
/// `repeats` timed products; 2n³ floating-point operations each) through the product the
/// encoder's projections use ([`hbt_kernels::linear`]: a run-time BLAS or the `gemm` crate on
/// burn-flex, burn's `matmul` elsewhere): the machine's practical peak for the encoder.
pub fn gemm_peak_gflops<B: Backend>(n: usize, repeats: usize, device: &B::Device) -> f64 {
    let a = Tensor::<B, 2>::random([n, n], Distribution::Default, device);
    let b = Tensor::<B, 2>::random([n, n], Distribution::Default, device);
    let product = || {
        let c = hbt_kernels::linear(a.clone(), b.clone(), None);
        // Reading one value forces the product on lazy backends.
        let _ = c.slice([0..1, 0..1]).into_data();
    };
    product();
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let started = Instant::now();
        product();
        best = best.min(started.elapsed().as_secs_f64());
    }
    2.0 * (n as f64).powi(3) / best / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_takes_the_middle_of_odd_and_even_counts() {
        let odd = Spread::of(&[3.0, 1.0, 2.0]);
        assert_eq!((odd.min, odd.median, odd.max), (1.0, 2.0, 3.0));
        assert_eq!(Spread::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
        assert_eq!(Spread::of(&[]).median, 0.0);
    }

    #[test]
    fn inverse_keeps_min_the_smallest() {
        let rate = Spread::of(&[1.0, 2.0, 4.0]).inverse(8.0);
        assert_eq!((rate.min, rate.median, rate.max), (2.0, 4.0, 8.0));
    }
}
