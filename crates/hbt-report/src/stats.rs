//! Small statistics: mean ± std over seeds, the paired bootstrap confidence interval and the
//! paired sign-flip (permutation) test. All randomness is seeded, so results are reproducible.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Mean and sample standard deviation of a few values (e.g. one metric over seeds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); `None` for a single value.
    pub std: Option<f64>,
    /// How many values.
    pub n: usize,
}

impl Summary {
    /// Summarises `values`, skipping NaN; `None` when nothing is left.
    pub fn of(values: &[f64]) -> Option<Summary> {
        let v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
        if v.is_empty() {
            return None;
        }
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let std = (n >= 2).then(|| {
            let ss: f64 = v.iter().map(|x| (x - mean) * (x - mean)).sum();
            (ss / (n - 1) as f64).sqrt()
        });
        Some(Summary { mean, std, n })
    }
}

/// Mean of a slice (NaN when empty).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// Percentile-bootstrap confidence interval of the mean of paired differences `d`.
///
/// Draws `resamples` samples of `d` with replacement and returns the `(1 − level)/2` and
/// `(1 + level)/2` quantiles of their means. When every difference is the same value `c`,
/// every resample has mean `c` and the interval is exactly `[c, c]`.
pub fn bootstrap_ci(d: &[f64], resamples: usize, level: f64, seed: u64) -> (f64, f64) {
    let n = d.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    if d.iter().all(|&x| x == d[0]) || resamples == 0 {
        let m = if resamples == 0 { mean(d) } else { d[0] };
        return (m, m);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let mut sum = 0.0;
        for _ in 0..n {
            sum += d[rng.random_range(0..n)];
        }
        means.push(sum / n as f64);
    }
    means.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    let lo = quantile_sorted(&means, tail);
    let hi = quantile_sorted(&means, 1.0 - tail);
    (lo, hi)
}

/// Linear-interpolation quantile of sorted values (`q` in [0, 1]).
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// Sets of at most this many non-zero differences get the exact test (all 2^n sign patterns).
pub const EXACT_SIGN_FLIP_MAX: usize = 16;

/// Two-sided paired sign-flip (permutation) test of mean(d) = 0.
///
/// Under the null each difference is as likely positive as negative; the p-value is the share
/// of sign assignments whose |sum| is at least the observed |sum|. With at most
/// [`EXACT_SIGN_FLIP_MAX`] non-zero differences every assignment is enumerated (exact p);
/// otherwise `permutations` random assignments are drawn and p = (1 + hits) / (1 + draws).
/// Zero differences do not change the sum and are left out; all-zero differences give p = 1.
pub fn sign_flip_p(d: &[f64], permutations: usize, seed: u64) -> f64 {
    let nz: Vec<f64> = d.iter().copied().filter(|&x| x != 0.0).collect();
    if nz.is_empty() {
        return 1.0;
    }
    let observed: f64 = nz.iter().sum::<f64>().abs();
    // Tolerance for round-off: sums equal up to float noise count as "at least as extreme".
    let scale: f64 = nz.iter().map(|x| x.abs()).sum();
    let tol = scale * 1e-12;
    let extreme = |s: f64| s.abs() >= observed - tol;
    let n = nz.len();
    if n <= EXACT_SIGN_FLIP_MAX {
        let total = 1u64 << n;
        let mut hits = 0u64;
        for mask in 0..total {
            let s: f64 = nz
                .iter()
                .enumerate()
                .map(|(i, &x)| if mask >> i & 1 == 1 { -x } else { x })
                .sum();
            if extreme(s) {
                hits += 1;
            }
        }
        return hits as f64 / total as f64;
    }
    if permutations == 0 {
        return f64::NAN;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut hits = 0usize;
    for _ in 0..permutations {
        // 64 signs per random word; flipping the IEEE sign bit keeps the loop branch-free.
        let mut s = 0.0;
        for chunk in nz.chunks(64) {
            let mut bits = rng.next_u64();
            for &x in chunk {
                s += f64::from_bits(x.to_bits() ^ ((bits & 1) << 63));
                bits >>= 1;
            }
        }
        if extreme(s) {
            hits += 1;
        }
    }
    (1 + hits) as f64 / (1 + permutations) as f64
}

/// A stable 64-bit hash (FNV-1a) used to derive per-test seeds from names, so that a test's
/// result does not depend on which other tests ran.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_uses_sample_std() {
        let s = Summary::of(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.mean, 2.0);
        assert_eq!(s.std, Some(1.0));
        assert_eq!(Summary::of(&[4.0]).unwrap().std, None);
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn sign_flip_exact_values() {
        assert_eq!(sign_flip_p(&[0.0; 5], 100, 1), 1.0);
        // Four equal positive differences: only all-plus and all-minus are as extreme.
        assert_eq!(sign_flip_p(&[0.5; 4], 100, 1), 2.0 / 16.0);
        // Symmetric differences: observed sum 0, every assignment is as extreme.
        assert_eq!(sign_flip_p(&[1.0, -1.0], 100, 1), 1.0);
    }

    #[test]
    fn sign_flip_monte_carlo_is_seeded() {
        let d: Vec<f64> = (0..40)
            .map(|i| ((i * 37) % 11) as f64 / 10.0 - 0.4)
            .collect();
        let p1 = sign_flip_p(&d, 2000, 9);
        assert_eq!(p1, sign_flip_p(&d, 2000, 9));
        assert!(p1 > 0.0 && p1 <= 1.0);
        let shifted: Vec<f64> = d.iter().map(|x| x + 1.0).collect();
        assert!(sign_flip_p(&shifted, 2000, 9) < 0.001);
    }

    #[test]
    fn bootstrap_ci_brackets_the_mean() {
        let d: Vec<f64> = (0..200).map(|i| (i % 7) as f64 - 3.0 + 0.5).collect();
        let (lo, hi) = bootstrap_ci(&d, 2000, 0.95, 3);
        let m = mean(&d);
        assert!(lo < m && m < hi, "{lo} {m} {hi}");
        assert_eq!((lo, hi), bootstrap_ci(&d, 2000, 0.95, 3));
        assert_eq!(bootstrap_ci(&[0.25; 10], 1000, 0.95, 3), (0.25, 0.25));
    }
}
