//! The batch sampler.

use hbt_data::row_store::RowStore;
use hbt_data::split::splitmix64;
use hbt_data::Lang;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::batch::{Batch, BatchKind, Pair};
use super::epoch::{Epoch, SamplerState};
use super::source::{Prepared, TrainingSource, Units};
use super::{LanguageWeighting, SamplerConfig, Strategy};
use crate::error::{Result, TrainError};

/// Yields batches from one or more training sources under a [`Strategy`], deterministically
/// from the seed; see the [module documentation](super) for the rules. It is an endless
/// iterator of [`Batch`]es.
#[derive(Debug, Clone)]
pub struct BatchSampler {
    config: SamplerConfig,
    sources: Vec<Prepared>,
    epochs: Vec<Epoch>,
    step: u64,
}

/// Draws an index with probability proportional to `weights` (at least one positive).
fn weighted(rng: &mut ChaCha8Rng, weights: &[u64]) -> usize {
    let total: u64 = weights.iter().sum();
    let mut r = rng.random_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if r < w {
            return i;
        }
        r -= w;
    }
    weights.len() - 1
}

impl BatchSampler {
    /// A sampler at step 0. Errors on no sources, batch size 0, α outside [0, 1], a source
    /// mixing groups and translation pairs, or a source with fewer usable units than a batch.
    pub fn new(sources: Vec<TrainingSource>, config: SamplerConfig) -> Result<BatchSampler> {
        if sources.is_empty() {
            return Err(TrainError::NoSources);
        }
        if config.batch_size == 0 {
            return Err(TrainError::ZeroBatchSize);
        }
        let need_cross = match config.strategy {
            Strategy::Mono | Strategy::Mixed => false,
            Strategy::Cross => true,
            Strategy::Hybrid => {
                if !(0.0..=1.0).contains(&config.alpha) {
                    return Err(TrainError::BadAlpha(config.alpha));
                }
                config.alpha < 1.0
            }
        };
        let sources = sources
            .into_iter()
            .map(|s| Prepared::new(s, need_cross, config.batch_size))
            .collect::<Result<Vec<_>>>()?;
        let epochs = sources
            .iter()
            .enumerate()
            .map(|(i, s)| Epoch::new(config.seed, i, 0, &s.masks, s.langs.len(), None))
            .collect();
        Ok(BatchSampler {
            config,
            sources,
            epochs,
            step: 0,
        })
    }

    /// The settings.
    pub fn config(&self) -> &SamplerConfig {
        &self.config
    }

    /// Usable units (groups or translation pairs) per source.
    pub fn source_sizes(&self) -> Vec<usize> {
        self.sources.iter().map(Prepared::len).collect()
    }

    /// Groups dropped per source because they cannot serve the strategy (single-language
    /// groups under strategies that draw cross batches).
    pub fn dropped(&self) -> Vec<usize> {
        self.sources.iter().map(|s| s.dropped).collect()
    }

    /// Batches produced so far.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The current epoch of each source.
    pub fn epochs(&self) -> Vec<u64> {
        self.epochs.iter().map(|e| e.epoch).collect()
    }

    /// The state to save; [`BatchSampler::restore`] continues from it.
    pub fn state(&self) -> SamplerState {
        SamplerState {
            seed: self.config.seed,
            batch_size: self.config.batch_size,
            source_sizes: self.source_sizes(),
            step: self.step,
            sources: self.epochs.iter().map(Epoch::state).collect(),
        }
    }

    /// Continues from a saved state; errors if it was made with another seed, batch size or
    /// sources.
    pub fn restore(&mut self, state: &SamplerState) -> Result<()> {
        if state.seed != self.config.seed {
            return Err(TrainError::StateMismatch(format!(
                "seed {} but the sampler has {}",
                state.seed, self.config.seed
            )));
        }
        if state.batch_size != self.config.batch_size {
            return Err(TrainError::StateMismatch(format!(
                "batch size {} but the sampler has {}",
                state.batch_size, self.config.batch_size
            )));
        }
        let sizes = self.source_sizes();
        if state.source_sizes != sizes || state.sources.len() != sizes.len() {
            return Err(TrainError::StateMismatch(format!(
                "source sizes {:?} but the sampler has {sizes:?}",
                state.source_sizes
            )));
        }
        let mut epochs = Vec::with_capacity(sizes.len());
        for (i, (source, saved)) in self.sources.iter().zip(&state.sources).enumerate() {
            let n = source.len();
            let words = n.div_ceil(64);
            let stray = n % 64 != 0 && saved.visited.last().is_some_and(|w| w >> (n % 64) != 0);
            if saved.visited.len() != words || stray {
                return Err(TrainError::StateMismatch(format!(
                    "visited set of source `{}` does not fit its {n} units",
                    source.name
                )));
            }
            let epoch = Epoch::new(
                self.config.seed,
                i,
                saved.epoch,
                &source.masks,
                source.langs.len(),
                Some(saved.visited.clone()),
            );
            if epoch.unvisited == 0 {
                return Err(TrainError::StateMismatch(format!(
                    "source `{}` has every unit visited in epoch {}",
                    source.name, saved.epoch
                )));
            }
            epochs.push(epoch);
        }
        self.epochs = epochs;
        self.step = state.step;
        Ok(())
    }

    /// The random stream of batch `step`.
    fn step_rng(&self, step: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(splitmix64(self.config.seed));
        rng.set_stream(step);
        rng
    }

    /// The next batch.
    ///
    /// # Errors
    /// [`TrainError::Data`] when a row store's texts cannot be read (in-memory sources never
    /// fail).
    pub fn next_batch(&mut self) -> Result<Batch> {
        let mut rng = self.step_rng(self.step);
        self.step += 1;
        let s = if self.sources.len() == 1 {
            0
        } else {
            let sizes: Vec<u64> = self.sources.iter().map(|s| s.len() as u64).collect();
            weighted(&mut rng, &sizes)
        };
        let kind = match self.config.strategy {
            Strategy::Mono => BatchKind::Mono,
            Strategy::Mixed => BatchKind::Mixed,
            Strategy::Cross => BatchKind::Cross,
            Strategy::Hybrid => {
                if rng.random::<f64>() < self.config.alpha {
                    BatchKind::Mono
                } else {
                    BatchKind::Cross
                }
            }
        };
        let source = &self.sources[s];
        let epoch = &mut self.epochs[s];
        let batch_size = self.config.batch_size;
        if source.is_pairs() {
            let units = epoch.take(batch_size, &source.masks, |_| true);
            return Ok(translation_batch(s, source, &units));
        }
        match kind {
            BatchKind::Mono => {
                let weight = |l: usize| match self.config.language_weighting {
                    LanguageWeighting::Proportional => source.lang_counts[l],
                    LanguageWeighting::Uniform => 1,
                };
                let full: Vec<u64> = (0..source.langs.len())
                    .map(|l| {
                        if epoch.unvisited_per_lang[l] >= batch_size {
                            weight(l)
                        } else {
                            0
                        }
                    })
                    .collect();
                let weights = if full.iter().any(|&w| w > 0) {
                    full
                } else {
                    (0..source.langs.len())
                        .map(|l| {
                            if epoch.unvisited_per_lang[l] > 0 {
                                weight(l)
                            } else {
                                0
                            }
                        })
                        .collect()
                };
                let l = weighted(&mut rng, &weights);
                let units = epoch.take(batch_size, &source.masks, |m| m >> l & 1 == 1);
                let lang = source.langs[l];
                group_batch(s, source, &units, kind, &mut rng, |_, _| (lang, lang))
            }
            BatchKind::Mixed => {
                let units = epoch.take(batch_size, &source.masks, |_| true);
                group_batch(s, source, &units, kind, &mut rng, |langs, rng| {
                    let l = langs[rng.random_range(0..langs.len())];
                    (l, l)
                })
            }
            BatchKind::Cross => {
                let units = epoch.take(batch_size, &source.masks, |_| true);
                group_batch(s, source, &units, kind, &mut rng, |langs, rng| {
                    let q = rng.random_range(0..langs.len());
                    let mut a = rng.random_range(0..langs.len() - 1);
                    if a >= q {
                        a += 1;
                    }
                    (langs[q], langs[a])
                })
            }
        }
    }
}

impl Iterator for BatchSampler {
    type Item = Batch;

    /// Never ends (epochs repeat) unless a row store's texts cannot be read
    /// ([`BatchSampler::next_batch`] returns that error).
    fn next(&mut self) -> Option<Batch> {
        self.next_batch().ok()
    }
}

/// A batch of group units, each pair's languages chosen by `pick` from the group's languages.
fn group_batch(
    source_index: usize,
    source: &Prepared,
    units: &[usize],
    kind: BatchKind,
    rng: &mut ChaCha8Rng,
    mut pick: impl FnMut(&[Lang], &mut ChaCha8Rng) -> (Lang, Lang),
) -> Result<Batch> {
    let groups = match &source.units {
        Units::Groups(groups) => groups,
        Units::Stored(store, numbers) => {
            return stored_batch(source_index, store, numbers, units, kind, rng, pick)
        }
        Units::Pairs(_) => unreachable!("group_batch is only called on group sources"),
    };
    let pairs = units
        .iter()
        .map(|&u| {
            let (group, langs) = &groups[u];
            let (ql, al) = pick(langs, rng);
            Pair {
                group_id: group.id.clone(),
                question_lang: ql,
                question: group.members[&ql].question.clone(),
                answer_lang: al,
                answer: group.members[&al].answer.clone(),
            }
        })
        .collect();
    Ok(Batch {
        kind,
        source: source_index,
        pairs,
    })
}

/// [`group_batch`] for the groups of a row store: the languages are picked as for in-memory
/// groups, then the texts are read from the store.
fn stored_batch(
    source_index: usize,
    store: &RowStore,
    numbers: &[u32],
    units: &[usize],
    kind: BatchKind,
    rng: &mut ChaCha8Rng,
    mut pick: impl FnMut(&[Lang], &mut ChaCha8Rng) -> (Lang, Lang),
) -> Result<Batch> {
    let text = |group: usize, lang: Lang| -> Result<(String, String)> {
        store
            .member(group, lang)
            .map_err(TrainError::data)?
            .ok_or_else(|| TrainError::Data(format!("row store: group {group} lacks {lang}")))
    };
    let mut pairs = Vec::with_capacity(units.len());
    for &u in units {
        let group = numbers[u] as usize;
        let (question_lang, answer_lang) = pick(store.languages(group), rng);
        pairs.push(Pair {
            group_id: store.group_id(group).map_err(TrainError::data)?,
            question_lang,
            question: text(group, question_lang)?.0,
            answer_lang,
            answer: text(group, answer_lang)?.1,
        });
    }
    Ok(Batch {
        kind,
        source: source_index,
        pairs,
    })
}

/// A cross batch of translation pairs: source sentence as question, target as answer.
fn translation_batch(source_index: usize, source: &Prepared, units: &[usize]) -> Batch {
    let Units::Pairs(pairs) = &source.units else {
        unreachable!("translation_batch is only called on pair sources")
    };
    Batch {
        kind: BatchKind::Cross,
        source: source_index,
        pairs: units
            .iter()
            .map(|&u| {
                let p = &pairs[u];
                Pair {
                    group_id: p.id.clone(),
                    question_lang: p.source_lang,
                    question: p.source.clone(),
                    answer_lang: p.target_lang,
                    answer: p.target.clone(),
                }
            })
            .collect(),
    }
}
