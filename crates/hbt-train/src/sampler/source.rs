//! Training sources and their preparation for sampling.

use std::sync::Arc;

use hbt_data::row_store::RowStore;
use hbt_data::{Lang, ParallelGroup, TranslationPair};

use crate::error::{Result, TrainError};

/// A named body of training data: parallel groups or translation pairs (not both).
#[derive(Debug, Clone, Default)]
pub struct TrainingSource {
    /// Name used in errors and logs (a dataset name or path).
    pub name: String,
    /// Parallel question–answer groups.
    pub groups: Vec<ParallelGroup>,
    /// Translation pairs, used as cross-lingual pairs.
    pub pairs: Vec<TranslationPair>,
    /// Parallel groups kept in a row store on disk (streamed data): the store and the
    /// numbers of its groups to train on.
    pub stored: Option<(Arc<RowStore>, Vec<u32>)>,
}

impl PartialEq for TrainingSource {
    /// The same data: equal groups and pairs, and the same row store (the same object) with
    /// the same group numbers.
    fn eq(&self, other: &Self) -> bool {
        let same_store = match (&self.stored, &other.stored) {
            (None, None) => true,
            (Some((a, x)), Some((b, y))) => Arc::ptr_eq(a, b) && x == y,
            _ => false,
        };
        self.name == other.name
            && self.groups == other.groups
            && self.pairs == other.pairs
            && same_store
    }
}

impl TrainingSource {
    /// A source of parallel groups.
    pub fn from_groups(name: impl Into<String>, groups: Vec<ParallelGroup>) -> Self {
        TrainingSource {
            name: name.into(),
            groups,
            pairs: Vec::new(),
            stored: None,
        }
    }

    /// A source of the groups `groups` of a row store, whose texts stay on disk until a batch
    /// draws them.
    pub fn from_store(name: impl Into<String>, store: Arc<RowStore>, groups: Vec<u32>) -> Self {
        TrainingSource {
            name: name.into(),
            groups: Vec::new(),
            pairs: Vec::new(),
            stored: Some((store, groups)),
        }
    }

    /// A source of translation pairs.
    pub fn from_pairs(name: impl Into<String>, pairs: Vec<TranslationPair>) -> Self {
        TrainingSource {
            name: name.into(),
            groups: Vec::new(),
            pairs,
            stored: None,
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
    /// Groups of a row store, by their number in it.
    Stored(Arc<RowStore>, Vec<u32>),
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
            stored,
        } = source;
        let kinds = [!groups.is_empty(), !pairs.is_empty(), stored.is_some()];
        if kinds.iter().filter(|&&k| k).count() > 1 {
            return Err(TrainError::MixedSource(name));
        }
        let min_langs = if need_cross { 2 } else { 1 };
        let mut prepared = if let Some((store, numbers)) = stored {
            let total = numbers.len();
            let kept: Vec<u32> = numbers
                .into_iter()
                .filter(|&g| store.languages(g as usize).len() >= min_langs)
                .collect();
            let (langs, lang_counts, masks) =
                language_masks(&name, kept.iter().map(|&g| store.languages(g as usize)))?;
            Prepared {
                dropped: total - kept.len(),
                name,
                units: Units::Stored(store, kept),
                langs,
                lang_counts,
                masks,
            }
        } else if pairs.is_empty() {
            let total = groups.len();
            let kept: Vec<(ParallelGroup, Vec<Lang>)> = groups
                .into_iter()
                .filter(|g| g.members.len() >= min_langs)
                .map(|g| {
                    let langs: Vec<Lang> = g.languages().collect();
                    (g, langs)
                })
                .collect();
            let (langs, lang_counts, masks) =
                language_masks(&name, kept.iter().map(|(_, l)| l.as_slice()))?;
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
            Units::Stored(_, g) => g.len(),
        }
    }

    /// Whether this source holds translation pairs.
    pub fn is_pairs(&self) -> bool {
        matches!(self.units, Units::Pairs(_))
    }
}

/// The sorted languages of some units (each unit's languages sorted), each language's number
/// of units, and each unit's bit mask over the languages.
fn language_masks<'a>(
    name: &str,
    units: impl Iterator<Item = &'a [Lang]> + Clone,
) -> Result<(Vec<Lang>, Vec<u64>, Vec<u64>)> {
    let mut langs: Vec<Lang> = units.clone().flatten().copied().collect();
    langs.sort();
    langs.dedup();
    if langs.len() > 64 {
        return Err(TrainError::TooManyLanguages {
            name: name.to_string(),
            count: langs.len(),
        });
    }
    let mut lang_counts = vec![0u64; langs.len()];
    let masks = units
        .map(|unit| {
            let mut mask = 0u64;
            for l in unit {
                let i = langs.binary_search(l).unwrap_or(0);
                mask |= 1 << i;
                lang_counts[i] += 1;
            }
            mask
        })
        .collect();
    Ok((langs, lang_counts, masks))
}
