//! Per-source epochs: shuffled orders, visited sets, and the serialisable sampler state.

use hbt_data::split::splitmix64;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Domain separator for epoch-order streams (step streams use the plain seed).
const EPOCH_DOMAIN: u64 = 0x6570_6f63_685f_6f72;

/// The epoch position of one source: enough to rebuild its epoch order and visited set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// The current epoch, from 0.
    pub epoch: u64,
    /// Bit set over the source's units: bit `u` is set if unit `u` was visited this epoch.
    pub visited: Vec<u64>,
}

/// Everything needed to continue a sampler's batch sequence exactly: the step counter and
/// each source's epoch position, plus the settings it was made under (checked on restore).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplerState {
    /// The seed of the sampler.
    pub seed: u64,
    /// Its batch size.
    pub batch_size: usize,
    /// Usable units per source.
    pub source_sizes: Vec<usize>,
    /// Batches produced so far; the next batch is batch `step`.
    pub step: u64,
    /// Epoch positions, one per source.
    pub sources: Vec<SourceState>,
}

/// The order of source `source`'s `n` units in epoch `epoch`: a permutation determined by
/// `(seed, source, epoch)` alone.
pub(crate) fn epoch_order(seed: u64, source: usize, epoch: u64, n: usize) -> Vec<u32> {
    let mut rng = ChaCha8Rng::seed_from_u64(splitmix64(seed ^ EPOCH_DOMAIN));
    rng.set_stream(splitmix64((source as u64) << 40 ^ epoch));
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(&mut rng);
    order
}

/// Live epoch bookkeeping of one source.
#[derive(Debug, Clone)]
pub(crate) struct Epoch {
    /// Index of the source.
    source: usize,
    /// The sampler's seed.
    seed: u64,
    /// Current epoch number.
    pub epoch: u64,
    /// The current epoch's order.
    order: Vec<u32>,
    /// Visited bit set.
    visited: Vec<u64>,
    /// Positions of `order` before this are all visited.
    cursor: usize,
    /// Unvisited units.
    pub unvisited: usize,
    /// Unvisited units per language bit.
    pub unvisited_per_lang: Vec<usize>,
}

impl Epoch {
    /// Epoch `epoch` of a source with the given unit language masks, with `visited` marked.
    pub fn new(
        seed: u64,
        source: usize,
        epoch: u64,
        masks: &[u64],
        n_langs: usize,
        visited: Option<Vec<u64>>,
    ) -> Epoch {
        let n = masks.len();
        let words = n.div_ceil(64);
        let visited = visited.unwrap_or_else(|| vec![0; words]);
        let mut e = Epoch {
            source,
            seed,
            epoch,
            order: epoch_order(seed, source, epoch, n),
            visited,
            cursor: 0,
            unvisited: 0,
            unvisited_per_lang: vec![0; n_langs],
        };
        e.recount(masks);
        e
    }

    /// Recomputes the counters from the visited set.
    fn recount(&mut self, masks: &[u64]) {
        self.unvisited = 0;
        self.unvisited_per_lang.iter_mut().for_each(|c| *c = 0);
        for (u, &mask) in masks.iter().enumerate() {
            if !self.is_visited(u) {
                self.unvisited += 1;
                for (l, c) in self.unvisited_per_lang.iter_mut().enumerate() {
                    if mask >> l & 1 == 1 {
                        *c += 1;
                    }
                }
            }
        }
        self.cursor = 0;
        self.advance_cursor();
    }

    /// Whether unit `u` was visited this epoch.
    pub fn is_visited(&self, u: usize) -> bool {
        self.visited[u / 64] >> (u % 64) & 1 == 1
    }

    fn mark(&mut self, u: usize, masks: &[u64]) {
        self.visited[u / 64] |= 1 << (u % 64);
        self.unvisited -= 1;
        let mask = masks[u];
        for (l, c) in self.unvisited_per_lang.iter_mut().enumerate() {
            if mask >> l & 1 == 1 {
                *c -= 1;
            }
        }
    }

    fn advance_cursor(&mut self) {
        while self.cursor < self.order.len() && self.is_visited(self.order[self.cursor] as usize) {
            self.cursor += 1;
        }
    }

    /// Starts the next epoch.
    fn next_epoch(&mut self, masks: &[u64]) {
        self.epoch += 1;
        self.order = epoch_order(self.seed, self.source, self.epoch, masks.len());
        self.visited.iter_mut().for_each(|w| *w = 0);
        self.recount(masks);
    }

    /// Takes up to `want` units: the first unvisited units of the epoch order that `fits`,
    /// marking them visited. If that visits the epoch's last unit, the next epoch starts and
    /// the batch is topped up from it (skipping units already taken).
    pub fn take(&mut self, want: usize, masks: &[u64], fits: impl Fn(u64) -> bool) -> Vec<usize> {
        let mut taken = Vec::with_capacity(want);
        let mut pos = self.cursor;
        while taken.len() < want && pos < self.order.len() {
            let u = self.order[pos] as usize;
            if !self.is_visited(u) && fits(masks[u]) {
                self.mark(u, masks);
                taken.push(u);
            }
            pos += 1;
        }
        self.advance_cursor();
        if self.unvisited == 0 {
            self.next_epoch(masks);
            if taken.len() < want {
                let mut pos = 0;
                while taken.len() < want && pos < self.order.len() {
                    let u = self.order[pos] as usize;
                    if fits(masks[u]) && !taken.contains(&u) {
                        self.mark(u, masks);
                        taken.push(u);
                    }
                    pos += 1;
                }
                self.advance_cursor();
            }
        }
        taken
    }

    /// The serialisable position.
    pub fn state(&self) -> SourceState {
        SourceState {
            epoch: self.epoch,
            visited: self.visited.clone(),
        }
    }
}
