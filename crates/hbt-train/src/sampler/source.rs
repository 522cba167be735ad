//! Training sources and their preparation for sampling.

use hbt_data::{Lang, ParallelGroup, TranslationPair};

use crate::error::{Result, TrainError};

/// A named body of training data: parallel groups or translation pairs (not both).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainingSource {
    /// Name used in errors and logs (a dataset name or path).
    pub name: String,
    /// Parallel question–answer groups.
    pub groups: Vec<ParallelGroup>,
    /// Translation pairs, used as cross-lingual pairs.
    pub pairs: Vec<TranslationPair>,
}

impl TrainingSource {
    /// A source of parallel groups.
    pub fn from_groups(name: impl Into<String>, groups: Vec<ParallelGroup>) -> Self {
        TrainingSource {
            name: name.into(),
            groups,
            pairs: Vec::new(),
        }
    }

    /// A source of translation pairs.
    pub fn from_pairs(name: impl Into<String>, pairs: Vec<TranslationPair>) -> Self {
        TrainingSource {
            name: name.into(),
            groups: Vec::new(),
            pairs,
        }
    }
}

/// The units of a prepared source.
#[derive(Debug, Clone)]
pub(crate) enum Units {
    /// Parallel groups, each with its sorted languages.
    Groups(Vec<(ParallelGroup, Vec<Lang>)>),
    /// Translation pairs.
    Pairs(Vec<TranslationPair>),
}

/// A source checked and filtered for one strategy.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// The source's name.
    pub name: String,
    /// Its usable units.
    pub units: Units,
    /// Groups dropped because they cannot serve the strategy.
    pub dropped: usize,
    /// The languages of the groups, sorted (empty for translation pairs).
    pub langs: Vec<Lang>,
    /// Per language (same order as `langs`), the number of groups that have it.
    pub lang_counts: Vec<u64>,
    /// Per unit, a bit mask over `langs` of the languages it has.
    pub masks: Vec<u64>,
}

impl Prepared {
    /// Checks and filters a source; `need_cross` drops single-language groups.
    pub fn new(source: TrainingSource, need_cross: bool, batch_size: usize) -> Result<Prepared> {
        let TrainingSource {
            name,
            groups,
            pairs,
        } = source;
        if !groups.is_empty() && !pairs.is_empty() {
            return Err(TrainError::MixedSource(name));
        }
        let min_langs = if need_cross { 2 } else { 1 };
        let mut prepared = if pairs.is_empty() {
            let total = groups.len();
            let kept: Vec<(ParallelGroup, Vec<Lang>)> = groups
                .into_iter()
                .filter(|g| g.members.len() >= min_langs)
                .map(|g| {
                    let langs: Vec<Lang> = g.languages().collect();
                    (g, langs)
                })
                .collect();
            let mut langs: Vec<Lang> = kept.iter().flat_map(|(_, l)| l.iter().copied()).collect();
            langs.sort();
            langs.dedup();
            if langs.len() > 64 {
                return Err(TrainError::TooManyLanguages {
                    name,
                    count: langs.len(),
                });
            }
            let mut lang_counts = vec![0u64; langs.len()];
            let masks = kept
                .iter()
                .map(|(_, ls)| {
                    let mut mask = 0u64;
                    for l in ls {
                        let i = langs.binary_search(l).unwrap_or(0);
                        mask |= 1 << i;
                        lang_counts[i] += 1;
                    }
                    mask
                })
                .collect();
            Prepared {
                dropped: total - kept.len(),
                name,
                units: Units::Groups(kept),
                langs,
                lang_counts,
                masks,
            }
        } else {
            if let Some(p) = pairs.iter().find(|p| p.source_lang == p.target_lang) {
                return Err(TrainError::SameLanguagePair {
                    source_name: name,
                    id: p.id.clone(),
                });
            }
            Prepared {
                name,
                masks: vec![0; pairs.len()],
                units: Units::Pairs(pairs),
                dropped: 0,
                langs: Vec::new(),
                lang_counts: Vec::new(),
            }
        };
        let usable = prepared.len();
        if usable < batch_size {
            return Err(TrainError::SourceTooSmall {
                name: std::mem::take(&mut prepared.name),
                usable,
                batch_size,
            });
        }
        Ok(prepared)
    }

    /// Number of usable units.
    pub fn len(&self) -> usize {
        match &self.units {
            Units::Groups(g) => g.len(),
            Units::Pairs(p) => p.len(),
        }
    }

    /// Whether this source holds translation pairs.
    pub fn is_pairs(&self) -> bool {
        matches!(self.units, Units::Pairs(_))
    }
}
