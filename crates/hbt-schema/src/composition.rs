//! `batch_composition.json`: what the sampler produced over a run (batches per kind and source,
//! pairs per language pair) and which checkpoint was selected.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;
use crate::names::BatchKind;

/// The file name in a run folder.
pub const BATCH_COMPOSITION_FILE: &str = "batch_composition.json";

/// The whole `batch_composition.json` of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchCompositionFile {
    /// The training sources, in the order `composition.by_source` counts them.
    pub sources: Vec<String>,
    /// What the sampler produced.
    pub composition: BatchComposition,
    /// The optimizer step of the selected checkpoint (the final model).
    pub selected_step: u64,
    /// The step training resumed from (0 for a fresh run).
    pub resumed_from_step: u64,
}

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

    /// Adds one batch of `kind` from source `source` with its pairs' (question, answer) languages.
    pub fn record(
        &mut self,
        kind: BatchKind,
        source: usize,
        pairs: impl IntoIterator<Item = (Lang, Lang)>,
    ) {
        self.batches += 1;
        match kind {
            BatchKind::Mono => self.mono += 1,
            BatchKind::Mixed => self.mixed += 1,
            BatchKind::Cross => self.cross += 1,
        }
        if self.by_source.len() <= source {
            self.by_source.resize(source + 1, 0);
        }
        self.by_source[source] += 1;
        for (question, answer) in pairs {
            *self
                .pairs
                .entry(format!("{question}-{answer}"))
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
