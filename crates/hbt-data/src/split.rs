//! Deterministic train/dev split of parallel groups, and the zero-shot guard that refuses
//! training data overlapping an evaluation dataset.

use std::collections::HashSet;

use crate::error::{DataError, Result};
use crate::groups::ParallelGroup;

/// Training groups split into a training part and a dev part (for checkpoint selection).
#[derive(Debug, Clone, PartialEq)]
pub struct TrainDevSplit {
    /// Groups used for training.
    pub train: Vec<ParallelGroup>,
    /// Held-out groups for checkpoint selection.
    pub dev: Vec<ParallelGroup>,
}

/// Splits groups by id: each id gets a pseudo-random key from `seed` and its own text, the
/// `round(dev_fraction × n)` groups with the smallest keys form the dev part. The split depends
/// only on the seed and the set of ids, not on their order; both parts keep the input order.
pub fn split_train_dev(
    groups: Vec<ParallelGroup>,
    dev_fraction: f64,
    seed: u64,
) -> Result<TrainDevSplit> {
    if !(0.0..1.0).contains(&dev_fraction) {
        return Err(DataError::Invalid(format!(
            "dev_fraction must be in [0, 1), got {dev_fraction}"
        )));
    }
    let n_dev = (dev_fraction * groups.len() as f64).round() as usize;
    let mut keyed: Vec<(u64, usize)> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (group_key(&g.id, seed), i))
        .collect();
    keyed.sort_unstable();
    let dev_rows: HashSet<usize> = keyed.iter().take(n_dev).map(|&(_, i)| i).collect();
    let mut split = TrainDevSplit {
        train: Vec::new(),
        dev: Vec::new(),
    };
    for (i, group) in groups.into_iter().enumerate() {
        if dev_rows.contains(&i) {
            split.dev.push(group);
        } else {
            split.train.push(group);
        }
    }
    Ok(split)
}

/// A stable 64-bit key for a group id under a seed (FNV-1a, then SplitMix64 mixing).
pub fn group_key(id: &str, seed: u64) -> u64 {
    key_of_id_hash(id_hash(id), seed)
}

/// The FNV-1a hash of a group id, from which [`key_of_id_hash`] makes its key under any seed
/// (so an index that keeps only the hashes splits as [`split_train_dev`] does).
pub fn id_hash(id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// [`group_key`] of the id whose [`id_hash`] is `hash`.
pub fn key_of_id_hash(hash: u64, seed: u64) -> u64 {
    splitmix64(hash ^ splitmix64(seed))
}

/// One step of the SplitMix64 generator: a bijective 64-bit mixer.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Refuses training groups that share question ids with an evaluation dataset: evaluation
/// is zero-shot. The error names the evaluation dataset, the count and one example id.
pub fn check_zero_shot<'a>(
    train: &[ParallelGroup],
    eval_name: &str,
    eval_ids: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let eval_ids: HashSet<&str> = eval_ids.into_iter().collect();
    let overlap: Vec<&str> = train
        .iter()
        .map(|g| g.id.as_str())
        .filter(|id| eval_ids.contains(id))
        .collect();
    match overlap.first() {
        None => Ok(()),
        Some(example) => Err(DataError::Invalid(format!(
            "training data shares {} question ids with evaluation dataset {eval_name} (e.g. {example}); evaluation must be zero-shot",
            overlap.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn groups(n: usize) -> Vec<ParallelGroup> {
        (0..n)
            .map(|i| ParallelGroup {
                id: format!("q{i}"),
                members: BTreeMap::new(),
            })
            .collect()
    }

    fn ids(groups: &[ParallelGroup]) -> Vec<String> {
        groups.iter().map(|g| g.id.clone()).collect()
    }

    #[test]
    fn split_sizes_follow_the_fraction() {
        let split = split_train_dev(groups(1000), 0.1, 7).unwrap();
        assert_eq!(split.dev.len(), 100);
        assert_eq!(split.train.len(), 900);
    }

    #[test]
    fn split_is_deterministic_and_independent_of_order() {
        let a = split_train_dev(groups(200), 0.2, 42).unwrap();
        let mut reversed = groups(200);
        reversed.reverse();
        let b = split_train_dev(reversed, 0.2, 42).unwrap();
        let mut dev_a = ids(&a.dev);
        let mut dev_b = ids(&b.dev);
        dev_a.sort();
        dev_b.sort();
        assert_eq!(dev_a, dev_b);
    }

    #[test]
    fn different_seeds_give_different_dev_sets() {
        let a = split_train_dev(groups(200), 0.2, 1).unwrap();
        let b = split_train_dev(groups(200), 0.2, 2).unwrap();
        assert_ne!(ids(&a.dev), ids(&b.dev));
    }

    #[test]
    fn train_and_dev_are_disjoint_and_complete() {
        let split = split_train_dev(groups(50), 0.3, 3).unwrap();
        let mut all: Vec<String> = ids(&split.train)
            .into_iter()
            .chain(ids(&split.dev))
            .collect();
        all.sort();
        let mut expected = ids(&groups(50));
        expected.sort();
        assert_eq!(all, expected);
    }

    #[test]
    fn bad_fraction_is_refused() {
        assert!(split_train_dev(groups(5), 1.0, 0).is_err());
        assert!(split_train_dev(groups(5), -0.1, 0).is_err());
    }

    #[test]
    fn overlap_with_evaluation_is_refused() {
        let err = check_zero_shot(&groups(3), "xquad-r", ["q2", "zz"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("xquad-r") && err.contains("q2"), "{err}");
        assert!(check_zero_shot(&groups(3), "xquad-r", ["zz"]).is_ok());
    }
}
