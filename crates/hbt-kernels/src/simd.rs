//! Vector-friendly math and run-time selection of the processor's vector instructions.
//!
//! The kernels are written as plain loops over `f32` slices with branch-free arithmetic
//! ([`exp`], [`erfc`]); [`multiversion!`](crate::multiversion) compiles such a loop a second
//! time with AVX2 + FMA enabled and calls that copy when the processor has them, so the
//! compiler vectorises it 8 lanes wide without a `-C target-cpu` flag.

/// Whether the processor has AVX2 and FMA (checked once, cached by the standard library).
#[inline]
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Defines `fn $name(args) -> ret` that runs `$imp(args)` compiled for AVX2 + FMA when the
/// processor has them, and the portable build of `$imp` otherwise. `$imp` must be
/// `#[inline(always)]` so that it is compiled inside the AVX2 copy.
#[macro_export]
#[doc(hidden)]
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) => $imp:path) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn avx2($($arg: $ty),*) {
                    $imp($($arg),*)
                }
                if $crate::simd::has_avx2_fma() {
                    // SAFETY: the processor has the features `avx2` was compiled for.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $imp($($arg),*)
        }
    };
}

/// Lanes of the accumulators in [`sum`], [`max`] and [`dot`]: eight independent partial
/// results in a fixed order, so the reductions vectorise (a single running `f32` total cannot
/// be reordered by the compiler) and stay deterministic.
const LANES: usize = 8;

/// The sum of `values`.
#[inline(always)]
pub fn sum(values: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a += v;
        }
    }
    rest.iter().fold(acc.iter().sum::<f32>(), |t, &v| t + v)
}

/// `Σ a[i]·b[i]`.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for ((s, &x), &y) in acc.iter_mut().zip(x).zip(y) {
            *s = x.mul_add(y, *s);
        }
    }
    ra.iter()
        .zip(rb)
        .fold(acc.iter().sum::<f32>(), |t, (&x, &y)| x.mul_add(y, t))
}

/// The largest of `values` (`f32::MIN` when empty).
#[inline(always)]
pub fn max(values: &[f32]) -> f32 {
    let mut acc = [f32::MIN; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a = if v > *a { v } else { *a };
        }
    }
    rest.iter()
        .chain(acc.iter())
        .fold(f32::MIN, |m, &v| if v > m { v } else { m })
}

const LOG2_E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5·2^23 + 127: a float whose low mantissa bits hold `k + 127` after adding a small integer `k`.
const EXPONENT_SHIFTER: f32 = 12_583_039.0;

/// `e^x` in single precision (Cephes' range reduction and degree-5 polynomial, about 1 ulp),
/// branch-free so that loops over it vectorise; 0 below -87.3, +inf above 88.7.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let clamped = x.clamp(-87.3, 88.7);
    let n = (clamped * LOG2_E + 0.5).floor();
    let r = clamped - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_2e-4_f32;
    p = p.mul_add(r, 1.398_199_9e-3);
    p = p.mul_add(r, 8.333_452e-3);
    p = p.mul_add(r, 4.166_579_6e-2);
    p = p.mul_add(r, 1.666_666_5e-1);
    p = p.mul_add(r, 5e-1);
    let y = (p * r).mul_add(r, r) + 1.0;
    // 2^n built without a float-to-int conversion (Rust's saturating `as i32` compiles to one
    // scalar conversion per lane and stops the loop from vectorising): adding 1.5·2^23 + 127
    // leaves `n + 127` (in 1..=255 after the clamp) in the low mantissa bits, which the shift
    // moves into the exponent field.
    let scale = f32::from_bits((n + EXPONENT_SHIFTER).to_bits() << 23);
    let value = y * scale;
    let value = if x < -87.3 { 0.0 } else { value };
    if x > 88.7 {
        f32::INFINITY
    } else {
        value
    }
}

/// `erfc(|x|)` with a fractional error below 1.2e-7 everywhere (the Chebyshev fit of
/// Numerical Recipes' `erfcc`), branch-free.
#[inline(always)]
pub fn erfc_abs(x: f32) -> f32 {
    let z = x.abs();
    let t = 1.0 / 0.5f32.mul_add(z, 1.0);
    let mut p = 0.170_872_77_f32;
    p = p.mul_add(t, -0.822_152_23);
    p = p.mul_add(t, 1.488_515_9);
    p = p.mul_add(t, -1.135_204);
    p = p.mul_add(t, 0.278_868_07);
    p = p.mul_add(t, -0.186_288_06);
    p = p.mul_add(t, 0.096_784_18);
    p = p.mul_add(t, 0.374_091_96);
    p = p.mul_add(t, 1.000_023_7);
    p = p.mul_add(t, -1.265_512_2);
    t * exp(p - z * z)
}

/// The standard normal distribution function Φ(x) = ½·erfc(−x/√2), accurate in relative
/// terms also far in the lower tail (unlike ½·(1 + erf(x/√2))).
#[inline(always)]
pub fn normal_cdf(x: f32) -> f32 {
    let tail = 0.5 * erfc_abs(x * std::f32::consts::FRAC_1_SQRT_2);
    if x >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The standard normal density φ(x).
#[inline(always)]
pub fn normal_pdf(x: f32) -> f32 {
    const INV_SQRT_2PI: f32 = 0.398_942_3;
    INV_SQRT_2PI * exp(-0.5 * x * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_agree_with_plain_loops() {
        for n in [0usize, 1, 7, 8, 9, 31, 100] {
            let a: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 11) as f32 - 5.0) * 0.25)
                .collect();
            let b: Vec<f32> = (0..n).map(|i| ((i * 13 % 7) as f32 - 3.0) * 0.5).collect();
            let plain_sum: f32 = a.iter().sum();
            let plain_dot: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((sum(&a) - plain_sum).abs() < 1e-5, "sum of {n}");
            assert!((dot(&a, &b) - plain_dot).abs() < 1e-5, "dot of {n}");
            let plain_max = a.iter().cloned().fold(f32::MIN, f32::max);
            assert_eq!(max(&a), plain_max, "max of {n}");
        }
    }

    #[test]
    fn exp_matches_the_standard_library_within_two_ulp() {
        let mut x = -87.0f32;
        while x < 88.0 {
            let (ours, std) = (exp(x), x.exp());
            assert!(
                ((ours - std) / std).abs() < 2.5e-7,
                "exp({x}) = {ours}, std {std}"
            );
            x += 0.013;
        }
        assert_eq!(exp(f32::MIN), 0.0);
        assert_eq!(exp(-100.0), 0.0);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn normal_cdf_is_accurate_in_relative_terms_in_both_tails() {
        // Reference values of Φ in f64. The argument of the exponential, x²/2, carries
        // f32 rounding, so the relative error grows like 1e-7·x².
        for &(x, expected) in &[
            (0.0f64, 0.5f64),
            (1.0, 0.841_344_746_068_542_9),
            (-1.0, 0.158_655_253_931_457_05),
            (-3.0, 0.001_349_898_031_630_094_6),
            (-5.0, 2.866_515_718_791_939e-7),
            (-8.0, 6.220_960_574_271_785e-16),
            (2.5, 0.993_790_334_674_223_7),
        ] {
            let ours = normal_cdf(x as f32) as f64;
            assert!(
                ((ours - expected) / expected).abs() < 3e-7 * (x * x).max(1.0),
                "Φ({x}) = {ours}, expected {expected}"
            );
        }
    }
}
