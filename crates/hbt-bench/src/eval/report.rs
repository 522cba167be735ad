//! What the evaluation benchmark reports: the time and peak memory of each phase, and the
//! table it prints.

use std::fmt;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use crate::files::write_json;
use crate::measure::{peak_rss_mib, reset_peak_rss, Spread};

/// Seconds (one per repeat) and peak memory of one phase.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// What the phase does (`compare.py` finds phases by how this starts).
    pub what: String,
    /// Seconds of each run, in run order.
    pub seconds: Vec<f64>,
    /// Min, median and max of `seconds`.
    pub spread_s: Spread,
    /// Peak resident memory during the phase, MiB (Linux).
    pub peak_rss_mib: Option<f64>,
}

impl Phase {
    /// Runs `work` `repeats` times (at least once), resetting the peak memory before the
    /// first run.
    pub(super) fn measure(
        what: String,
        repeats: usize,
        mut work: impl FnMut() -> Result<()>,
    ) -> Result<Phase> {
        reset_peak_rss();
        let mut seconds = Vec::with_capacity(repeats);
        for _ in 0..repeats.max(1) {
            let started = Instant::now();
            work()?;
            seconds.push(started.elapsed().as_secs_f64());
        }
        Ok(Phase {
            what,
            spread_s: Spread::of(&seconds),
            seconds,
            peak_rss_mib: peak_rss_mib(),
        })
    }
}

/// Everything the benchmark reports (the `--json` file).
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// The phases, in run order: encoding (unless the embeddings were read), search + all
    /// metrics, the multilingual pool alone, the reference matrix product.
    pub phases: Vec<Phase>,
    /// Cross-language pairs the full evaluation scored.
    pub cross_pairs: usize,
    /// mAP of the multilingual-pool phase over all its queries.
    pub multi_map: f64,
    /// Queries per search block.
    pub block: usize,
    /// Sequences per encoding batch.
    pub batch_size: usize,
    /// Seed of the encoder's initialisation.
    pub seed: u64,
}

impl EvalReport {
    /// Writes the report as pretty JSON (the `--json` file), every object's keys in
    /// alphabetical order as the file has always had them.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        // A `serde_json::Value` keeps its keys sorted (no `preserve_order` in this build).
        write_json(path, &serde_json::to_value(self)?)
    }
}

/// The table `hbt bench eval` prints.
impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "| phase | seconds (min / median / max) | peak RSS MiB |")?;
        writeln!(f, "|---|---|---|")?;
        for phase in &self.phases {
            writeln!(
                f,
                "| {} | {:.2} / {:.2} / {:.2} | {} |",
                phase.what,
                phase.spread_s.min,
                phase.spread_s.median,
                phase.spread_s.max,
                phase
                    .peak_rss_mib
                    .map_or("n/a".into(), |m| format!("{m:.0}"))
            )?;
        }
        writeln!(
            f,
            "\n{} cross pairs; multilingual-pool mAP {:.4}",
            self.cross_pairs, self.multi_map
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> EvalReport {
        EvalReport {
            phases: vec![Phase {
                what: "multilingual pool 2 × 3 × 4: search, top 100 + metrics".into(),
                seconds: vec![0.5, 1.5],
                spread_s: Spread::of(&[0.5, 1.5]),
                peak_rss_mib: None,
            }],
            cross_pairs: 110,
            multi_map: 0.25,
            block: 256,
            batch_size: 128,
            seed: 42,
        }
    }

    #[test]
    fn json_keys_stay_in_alphabetical_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("eval.json");
        report().write_json(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let at = |key: &str| text.find(&format!("\"{key}\"")).unwrap();
        let top = [
            "batch_size",
            "block",
            "cross_pairs",
            "multi_map",
            "phases",
            "seed",
        ];
        assert!(top.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
        let phase = ["peak_rss_mib", "seconds", "spread_s", "what"];
        assert!(phase.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
        assert!(
            at("max") < at("median") && at("median") < at("min"),
            "{text}"
        );
    }

    #[test]
    fn table_lists_each_phase_and_the_summary() {
        let table = report().to_string();
        assert!(table.contains("| multilingual pool 2 × 3 × 4: search, top 100 + metrics | 0.50 / 1.00 / 1.50 | n/a |"), "{table}");
        assert!(
            table.ends_with("\n110 cross pairs; multilingual-pool mAP 0.2500\n"),
            "{table}"
        );
    }
}
