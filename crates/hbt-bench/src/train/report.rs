//! What the training benchmark reports: rates per backend and the table it prints.

use std::fmt;
use std::path::Path;

use anyhow::Result;
use hbt_schema::BackendKind;
use serde::Serialize;

use crate::files::write_json;
use crate::measure::Spread;

/// Measurements of one backend.
#[derive(Debug, Clone, Serialize)]
pub struct BackendRates {
    /// The backend measured.
    pub backend: BackendKind,
    /// Seconds of each timed pass over all batches.
    pub pass_seconds: Vec<f64>,
    /// Optimizer steps per second.
    pub steps_per_s: Spread,
    /// Question–answer pairs per second.
    pub pairs_per_s: Spread,
    /// Non-padding tokens (questions + answers) per second.
    pub tokens_per_s: Spread,
    /// GFLOP/s of the executed matrix products, forward + backward.
    pub gflops: Spread,
    /// Best GFLOP/s of a 2048³ f32 matrix product on this backend, through the encoder's own
    /// product path ([`hbt_kernels::linear`]).
    pub gemm_peak_gflops: f64,
    /// Median achieved GFLOP/s over the GEMM peak.
    pub fraction_of_peak: f64,
    /// Loss of the first warm-up step (same weights and batch as the PyTorch reference).
    pub first_loss: f64,
    /// Peak resident memory during the timed passes, MiB.
    pub peak_rss_mib: Option<f64>,
}

/// Raw timings of one backend, before derived rates.
pub(super) struct Measured {
    pub backend: BackendKind,
    pub pass_seconds: Vec<f64>,
    pub gemm_peak_gflops: f64,
    pub first_loss: f64,
    pub peak_rss_mib: Option<f64>,
}

impl BackendRates {
    /// Rates of one backend from its pass times over `steps` batches of `batch_pairs` pairs
    /// holding `tokens` tokens and `gflop_per_pass` executed GFLOP.
    pub(super) fn of(
        m: Measured,
        steps: usize,
        batch_pairs: usize,
        tokens: usize,
        gflop_per_pass: f64,
    ) -> Self {
        let seconds = Spread::of(&m.pass_seconds);
        let gflops = seconds.inverse(gflop_per_pass);
        BackendRates {
            backend: m.backend,
            steps_per_s: seconds.inverse(steps as f64),
            pairs_per_s: seconds.inverse((steps * batch_pairs) as f64),
            tokens_per_s: seconds.inverse(tokens as f64),
            fraction_of_peak: gflops.median / m.gemm_peak_gflops,
            gflops,
            gemm_peak_gflops: m.gemm_peak_gflops,
            first_loss: m.first_loss,
            peak_rss_mib: m.peak_rss_mib,
            pass_seconds: m.pass_seconds,
        }
    }
}

/// Everything the benchmark reports (the `--json` file, fields in this order).
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// The encoder trained.
    pub encoder: String,
    /// Loss, optimizer and clipping.
    pub optimisation: String,
    /// Distinct batches per timed pass.
    pub batches: usize,
    /// Pairs per batch.
    pub batch_pairs: usize,
    /// Token limit of questions.
    pub question_max: usize,
    /// Token limit of answers.
    pub answer_max: usize,
    /// Non-padding tokens over all batches.
    pub tokens: usize,
    /// Tokens the encoder processes with padding to the longest sequence of each side.
    pub padded_tokens: usize,
    /// Model GFLOP of one pass over all batches (forward + backward), each side one batch
    /// padded to its longest sequence: the work of the PyTorch reference.
    pub gflop_per_pass: f64,
    /// Forward passes per batch side over sequences of similar length.
    pub length_buckets: usize,
    /// GFLOP one pass executes with `length_buckets` (less padding); GFLOP/s counts these.
    pub executed_gflop_per_pass: f64,
    /// Untimed steps before the timed passes.
    pub warmup_steps: usize,
    /// Timed passes over all batches.
    pub repeats: usize,
    /// Seed of the pair shuffle, the initialisation and dropout.
    pub seed: u64,
    /// CPU cores the process may use.
    pub cpus: usize,
    /// What computes the encoder's matrix products on burn-flex (a BLAS library loaded at run
    /// time, or the `gemm` crate; `HBT_BLAS` chooses).
    pub product_library: String,
    /// One entry per backend, in the order measured.
    pub backends: Vec<BackendRates>,
}

impl TrainReport {
    /// Writes the report as pretty JSON (the `--json` file).
    pub fn write_json(&self, path: &Path) -> Result<()> {
        write_json(path, self)
    }
}

/// The table `hbt bench train` prints.
impl fmt::Display for TrainReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "training throughput: {} batches of {} XQuAD-R pairs (questions ≤ {}, answers ≤ {} \
             tokens), {} tokens ({} with padding), {:.1} model GFLOP per pass padded, {:.1} \
             executed with {} length bucket(s) per side",
            self.batches,
            self.batch_pairs,
            self.question_max,
            self.answer_max,
            self.tokens,
            self.padded_tokens,
            self.gflop_per_pass,
            self.executed_gflop_per_pass,
            self.length_buckets
        )?;
        writeln!(f, "encoder: {}", self.encoder)?;
        writeln!(f, "optimisation: {}", self.optimisation)?;
        writeln!(f, "matrix products (burn-flex): {}", self.product_library)?;
        writeln!(
            f,
            "seed {}, {} CPU cores, {} warm-up steps, {} timed passes\n",
            self.seed, self.cpus, self.warmup_steps, self.repeats
        )?;
        writeln!(f, "| backend | steps/s (min / median / max) | pairs/s | tokens/s | GFLOP/s | GEMM peak GFLOP/s | of peak | peak RSS MiB | first loss |")?;
        writeln!(f, "|---|---|---|---|---|---|---|---|---|")?;
        for b in &self.backends {
            writeln!(
                f,
                "| {} | {:.3} / {:.3} / {:.3} | {:.1} | {:.0} | {:.1} | {:.1} | {:.0}% | {} | {:.4} |",
                b.backend,
                b.steps_per_s.min,
                b.steps_per_s.median,
                b.steps_per_s.max,
                b.pairs_per_s.median,
                b.tokens_per_s.median,
                b.gflops.median,
                b.gemm_peak_gflops,
                100.0 * b.fraction_of_peak,
                b.peak_rss_mib.map_or("n/a".into(), |m| format!("{m:.0}")),
                b.first_loss
            )?;
        }
        Ok(())
    }
}
