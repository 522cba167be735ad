//! Running record of what the sampler produced.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::batch::{Batch, BatchKind};

/// Batches per kind and source, and pairs per (question language, answer language), summed
/// over the batches recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchComposition {
    /// Batches recorded.
    pub batches: u64,
    /// Mono batches.
    pub mono: u64,
    /// Mixed batches.
    pub mixed: u64,
    /// Cross batches.
    pub cross: u64,
    /// Batches per source index.
    pub by_source: Vec<u64>,
    /// Pairs per language pair, keyed `"q-a"` (for example `"en-de"`).
    pub pairs: BTreeMap<String, u64>,
}

impl BatchComposition {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one batch.
    pub fn record(&mut self, batch: &Batch) {
        self.batches += 1;
        match batch.kind {
            BatchKind::Mono => self.mono += 1,
            BatchKind::Mixed => self.mixed += 1,
            BatchKind::Cross => self.cross += 1,
        }
        if self.by_source.len() <= batch.source {
            self.by_source.resize(batch.source + 1, 0);
        }
        self.by_source[batch.source] += 1;
        for pair in &batch.pairs {
            *self
                .pairs
                .entry(format!("{}-{}", pair.question_lang, pair.answer_lang))
                .or_insert(0) += 1;
        }
    }

    /// Share of mono batches among those recorded (0 when none).
    pub fn mono_share(&self) -> f64 {
        if self.batches == 0 {
            0.0
        } else {
            self.mono as f64 / self.batches as f64
        }
    }

    /// Pairs whose question and answer languages differ.
    pub fn cross_lingual_pairs(&self) -> u64 {
        self.pairs
            .iter()
            .filter(|(k, _)| {
                let mut it = k.split('-');
                it.next() != it.next()
            })
            .map(|(_, v)| v)
            .sum()
    }
}
