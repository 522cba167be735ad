//! Single-precision matrix products on row-major slices, computed by a BLAS library loaded at
//! run time when the machine has one, or by the `gemm` crate (burn-flex's own kernels).
//!
//! The BLAS is found once per process ([`Provider::get`]): `HBT_BLAS` names it — `gemm` for
//! the `gemm` crate, a path or file name of any shared library that exports `cblas_sgemm`
//! (OpenBLAS, MKL's `libmkl_rt.so`, BLIS) — and, unset or `auto`, the distribution's OpenBLAS
//! (`libopenblas.so.0`, Debian's `libopenblas0`) is tried before the `gemm` crate. Nothing is
//! linked at build time, so hbt builds and runs on machines without a BLAS.
//!
//! The library runs single-threaded; products are split into one row (or column) block of the
//! output per rayon thread, so one thread pool serves both the products and the other kernels
//! (no second pool spinning beside rayon's). Each output element is one dot product over the
//! full inner dimension whichever block holds it, so results repeat from run to run.

use std::ffi::c_int;
use std::sync::OnceLock;

use gemm::Parallelism;
use rayon::prelude::*;

use super::SharedMut;

/// `cblas_sgemm` (CBLAS, 32-bit integers as in the LP64 builds distributions ship).
type Sgemm = unsafe extern "C" fn(
    layout: c_int,
    trans_a: c_int,
    trans_b: c_int,
    m: c_int,
    n: c_int,
    k: c_int,
    alpha: f32,
    a: *const f32,
    lda: c_int,
    b: *const f32,
    ldb: c_int,
    beta: f32,
    c: *mut f32,
    ldc: c_int,
);

/// `openblas_set_num_threads` / `mkl_set_num_threads` / `bli_thread_set_num_threads`.
type SetThreads = unsafe extern "C" fn(threads: c_int);

const ROW_MAJOR: c_int = 101;
const NO_TRANS: c_int = 111;
const TRANS: c_int = 112;

/// The libraries tried, in order, when `HBT_BLAS` is unset or `auto`.
const AUTO_LIBRARIES: [&str; 2] = ["libopenblas.so.0", "libopenblas.so"];

/// The library computing the products.
pub enum Provider {
    /// A BLAS loaded at run time.
    Blas {
        /// The file it was loaded from.
        name: String,
        sgemm: Sgemm,
        /// Kept loaded for the life of the process.
        _library: libloading::Library,
    },
    /// The `gemm` crate.
    Gemm,
}

impl Provider {
    /// The provider of this process, chosen on first use (see the module documentation). A
    /// library named by `HBT_BLAS` that cannot be loaded is reported once on standard error
    /// and the `gemm` crate is used.
    pub fn get() -> &'static Provider {
        static PROVIDER: OnceLock<Provider> = OnceLock::new();
        PROVIDER.get_or_init(|| {
            let setting = std::env::var("HBT_BLAS").unwrap_or_default();
            match setting.trim() {
                "gemm" => Provider::Gemm,
                "" | "auto" => AUTO_LIBRARIES
                    .iter()
                    .find_map(|name| Provider::load(name).ok())
                    .unwrap_or(Provider::Gemm),
                name => Provider::load(name).unwrap_or_else(|reason| {
                    eprintln!("hbt: HBT_BLAS={name}: {reason}; using the gemm crate for products");
                    Provider::Gemm
                }),
            }
        })
    }

    /// Loads `name` (a path, or a file name the dynamic loader searches for).
    pub fn load(name: &str) -> Result<Provider, String> {
        // SAFETY: loading runs the library's initialisers; BLAS libraries have no
        // initialisers with preconditions on the loading program.
        let library = unsafe { libloading::Library::new(name) }.map_err(|e| e.to_string())?;
        // SAFETY: the symbols are looked up with the C signatures of the CBLAS interface and
        // of the libraries' thread-count setters.
        let sgemm = unsafe { library.get::<Sgemm>(b"cblas_sgemm\0") }
            .map(|symbol| *symbol)
            .map_err(|_| "the library has no cblas_sgemm".to_string())?;
        for setter in [
            &b"openblas_set_num_threads\0"[..],
            b"mkl_set_num_threads\0",
            b"bli_thread_set_num_threads\0",
        ] {
            // SAFETY: as above; one thread per call, rayon supplies the parallelism.
            if let Ok(set) = unsafe { library.get::<SetThreads>(setter) } {
                unsafe { set(1) };
            }
        }
        Ok(Provider::Blas {
            name: name.to_string(),
            sgemm,
            _library: library,
        })
    }

    /// What computes the products, for logs and benchmark records: the BLAS library's file
    /// name or `gemm crate`.
    pub fn name(&self) -> &str {
        match self {
            Provider::Blas { name, .. } => name,
            Provider::Gemm => "gemm crate",
        }
    }
}

/// A row-major matrix operand: its elements and whether it is stored transposed (an `r × c`
/// operand stored as `c × r`).
#[derive(Clone, Copy)]
pub struct Operand<'a> {
    /// The elements, contiguous.
    pub values: &'a [f32],
    /// Stored transposed.
    pub transposed: bool,
}

impl<'a> Operand<'a> {
    /// An operand stored as it is used.
    pub fn plain(values: &'a [f32]) -> Self {
        Operand {
            values,
            transposed: false,
        }
    }

    /// An operand stored transposed.
    pub fn transposed(values: &'a [f32]) -> Self {
        Operand {
            values,
            transposed: true,
        }
    }
}

/// Fewest output rows (or columns) of one block: below this a product is not split.
const MIN_BLOCK: usize = 32;

/// `out (m × n) = a (m × k) · b (k × n) + (accumulate ? out : 0)`, threaded, by this
/// process's [`Provider`].
///
/// # Panics
/// When a slice is shorter than its shape says (a caller's bug).
pub fn matmul(
    a: Operand<'_>,
    b: Operand<'_>,
    out: &mut [f32],
    shape: (usize, usize, usize),
    accumulate: bool,
) {
    Provider::get().matmul(a, b, out, shape, accumulate)
}

impl Provider {
    /// [`matmul`] by this provider.
    pub fn matmul(
        &self,
        a: Operand<'_>,
        b: Operand<'_>,
        out: &mut [f32],
        (m, k, n): (usize, usize, usize),
        accumulate: bool,
    ) {
        assert!(a.values.len() >= m * k && b.values.len() >= k * n && out.len() >= m * n);
        if m == 0 || n == 0 {
            return;
        }
        if k == 0 {
            if !accumulate {
                out[..m * n].fill(0.0);
            }
            return;
        }
        match self {
            // SAFETY: the extents were checked above.
            Provider::Gemm => unsafe {
                gemm_crate(a, b, out.as_mut_ptr(), (m, k, n), n, accumulate)
            },
            Provider::Blas { sgemm, .. } => blas_blocks(*sgemm, a, b, out, (m, k, n), accumulate),
        }
    }
}

/// A matrix operand in memory: first element, row stride and column stride (elements).
#[derive(Clone, Copy)]
pub struct Strided(pub *const f32, pub isize, pub isize);

impl Provider {
    /// `dst (m × n, row stride ldc) = alpha · a (m × k) · b (k × n)` on the calling thread
    /// (for kernels that already run one task per thread, such as attention per head). A BLAS
    /// takes it when both operands have a unit stride; the `gemm` crate otherwise.
    ///
    /// # Safety
    /// The operands describe memory valid for their extents and strides; `dst` holds `m` rows
    /// of stride `ldc` that nothing else writes during the call.
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn product_on_thread(
        &self,
        (m, k, n): (usize, usize, usize),
        dst: *mut f32,
        ldc: usize,
        a: Strided,
        b: Strided,
        alpha: f32,
    ) {
        // (transposed, leading dimension) of a `rows × cols` operand in a layout CBLAS takes:
        // row-major (unit column stride, row stride ≥ cols) or its transpose.
        let layout = |op: Strided, rows: usize, cols: usize| {
            let (rs, cs) = (op.1, op.2);
            if cs == 1 && rs >= cols.max(1) as isize {
                Some((NO_TRANS, rs))
            } else if rs == 1 && cs >= rows.max(1) as isize {
                Some((TRANS, cs))
            } else {
                None
            }
        };
        if let (Provider::Blas { sgemm, .. }, Some((ta, lda)), Some((tb, ldb))) =
            (self, layout(a, m, k), layout(b, k, n))
        {
            let int = |v: isize| c_int::try_from(v).expect("extents fit the BLAS's 32-bit ints");
            let ints = |v: usize| int(v as isize);
            // SAFETY: forwarded from the caller.
            unsafe {
                sgemm(
                    ROW_MAJOR,
                    ta,
                    tb,
                    ints(m),
                    ints(n),
                    ints(k),
                    alpha,
                    a.0,
                    int(lda),
                    b.0,
                    int(ldb),
                    0.0,
                    dst,
                    ints(ldc),
                )
            };
            return;
        }
        // SAFETY: forwarded from the caller.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                dst,
                1,
                ldc as isize,
                false,
                a.0,
                a.2,
                a.1,
                b.0,
                b.2,
                b.1,
                0.0,
                alpha,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
    }
}

/// The product through `cblas_sgemm`, one call per block of output rows (or, when the output
/// has few rows, of output columns), blocks spread over rayon's threads.
fn blas_blocks(
    sgemm: Sgemm,
    a: Operand<'_>,
    b: Operand<'_>,
    out: &mut [f32],
    (m, k, n): (usize, usize, usize),
    accumulate: bool,
) {
    let ints = |v: usize| c_int::try_from(v).expect("matrix extents fit the BLAS's 32-bit ints");
    let lda = if a.transposed { m } else { k };
    let ldb = if b.transposed { k } else { n };
    let by_rows = m >= n;
    let extent = if by_rows { m } else { n };
    // One block per thread: every block packs the whole shared operand again, so more blocks
    // than threads only add packing.
    let step = extent
        .div_ceil(rayon::current_num_threads().max(1))
        .max(MIN_BLOCK);
    let blocks = extent.div_ceil(step);
    let c = SharedMut(out.as_mut_ptr());
    let call = |block: usize| {
        let start = block * step;
        let len = step.min(extent - start);
        // The block's first element in `a` / `b` / `out`, and its extents.
        let (a_at, b_at, c_at, (bm, bn)) = if by_rows {
            let a_at = if a.transposed { start } else { start * k };
            (a_at, 0, start * n, (len, n))
        } else {
            let b_at = if b.transposed { start * k } else { start };
            (0, b_at, start, (m, len))
        };
        // SAFETY: each block writes its own rows (or columns) of `out`; the operands' extents
        // were checked by `matmul`, and the leading dimensions describe the full matrices.
        unsafe {
            sgemm(
                ROW_MAJOR,
                if a.transposed { TRANS } else { NO_TRANS },
                if b.transposed { TRANS } else { NO_TRANS },
                ints(bm),
                ints(bn),
                ints(k),
                1.0,
                a.values.as_ptr().add(a_at),
                ints(lda),
                b.values.as_ptr().add(b_at),
                ints(ldb),
                if accumulate { 1.0 } else { 0.0 },
                c.at(c_at),
                ints(n),
            )
        }
    };
    if blocks == 1 {
        call(0);
    } else {
        (0..blocks).into_par_iter().for_each(call);
    }
}

/// The product through the `gemm` crate, threaded by the crate itself; `out` has row stride
/// `ldc`.
///
/// # Safety
/// The operands hold `m × k` and `k × n` elements and `out` `m` rows of stride `ldc`.
unsafe fn gemm_crate(
    a: Operand<'_>,
    b: Operand<'_>,
    out: *mut f32,
    (m, k, n): (usize, usize, usize),
    ldc: usize,
    accumulate: bool,
) {
    // (row stride, column stride) of a row-major operand of `cols` columns.
    let strides = |op: Operand<'_>, cols: usize, rows: usize| -> (isize, isize) {
        if op.transposed {
            (1, rows as isize)
        } else {
            (cols as isize, 1)
        }
    };
    let (a_rs, a_cs) = strides(a, k, m);
    let (b_rs, b_cs) = strides(b, n, k);
    let parallelism = if m * n * k >= 1 << 18 {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    };
    // SAFETY: forwarded from the caller.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out,
            1,
            ldc as isize,
            accumulate,
            a.values.as_ptr(),
            a_cs,
            a_rs,
            b.values.as_ptr(),
            b_cs,
            b_rs,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(
        a: &[f32],
        at: bool,
        b: &[f32],
        bt: bool,
        (m, k, n): (usize, usize, usize),
    ) -> Vec<f32> {
        let mut out = vec![0.0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    let x = if at { a[p * m + i] } else { a[i * k + p] };
                    let y = if bt { b[j * k + p] } else { b[p * n + j] };
                    out[i * n + j] += x as f64 * y as f64;
                }
            }
        }
        out.into_iter().map(|v| v as f32).collect()
    }

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| {
                ((i as u32).wrapping_mul(2654435761).wrapping_add(seed) % 1000) as f32 / 500.0 - 1.0
            })
            .collect()
    }

    fn check(provider: &Provider) {
        for (m, k, n) in [
            (1, 1, 1),
            (3, 5, 7),
            (300, 17, 9),
            (9, 33, 700),
            (257, 64, 129),
        ] {
            let a = values(m * k, 1);
            let b = values(k * n, 2);
            for (at, bt) in [(false, false), (true, false), (false, true), (true, true)] {
                let want = naive(&a, at, &b, bt, (m, k, n));
                let op = |values, transposed| Operand { values, transposed };
                let mut out = vec![0.5; m * n];
                provider.matmul(op(&a, at), op(&b, bt), &mut out, (m, k, n), false);
                let mut acc = vec![0.5; m * n];
                provider.matmul(op(&a, at), op(&b, bt), &mut acc, (m, k, n), true);
                for ((o, c), w) in out.iter().zip(&acc).zip(&want) {
                    let tol = 1e-4 * (1.0 + w.abs());
                    let what = format!("{} {m}x{k}x{n} {at} {bt}", provider.name());
                    assert!((o - w).abs() <= tol, "{what}: {o} vs {w}");
                    assert!(
                        (c - 0.5 - w).abs() <= tol,
                        "{what} accumulating: {c} vs {w}"
                    );
                }
            }
        }
    }

    #[test]
    fn gemm_crate_products_match_a_naive_product_in_every_layout() {
        check(&Provider::Gemm);
    }

    /// `.ci/run` installs OpenBLAS and then requires it (`HBT_REQUIRE_OPENBLAS=1`); elsewhere
    /// the test is skipped when it is absent.
    #[test]
    fn openblas_products_match_a_naive_product_in_every_layout() {
        match Provider::load(AUTO_LIBRARIES[0]) {
            Ok(provider) => check(&provider),
            Err(reason) if std::env::var_os("HBT_REQUIRE_OPENBLAS").is_some() => {
                panic!(
                    "OpenBLAS is required here ({}): {reason}",
                    AUTO_LIBRARIES[0]
                )
            }
            Err(reason) => eprintln!("skipped: {reason}"),
        }
    }

    #[test]
    fn a_missing_library_or_symbol_is_reported() {
        let missing = Provider::load("libhbt-no-such-blas.so")
            .err()
            .expect("no such library");
        assert!(missing.contains("libhbt-no-such-blas.so"), "{missing}");
    }
}
