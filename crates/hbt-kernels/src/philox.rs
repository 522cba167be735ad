//! Counter-based random numbers for dropout: Philox-4×32-10 (Salmon et al., SC'11), the
//! generator of cuRAND and PyTorch's CUDA dropout.
//!
//! Element `i` of a dropout mask is a pure function of `(seed, i)`, so a mask is drawn in
//! parallel in any order, regenerated in the backward pass instead of stored, and identical
//! after a resume that restores the seed.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Philox-4×32 with 10 rounds: four random words for `counter` under `key`.
#[inline(always)]
pub fn philox4x32(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for _ in 0..10 {
        let p0 = u64::from(M0) * u64::from(c0);
        let p1 = u64::from(M1) * u64::from(c2);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 = k0.wrapping_add(W0);
        k1 = k1.wrapping_add(W1);
    }
    [c0, c1, c2, c3]
}

/// A dropout mask: which elements of a tensor are kept, with probability `1 - prob` each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DropoutMask {
    /// The generator's key.
    pub seed: u64,
    /// Probability of dropping an element, in [0, 1).
    pub prob: f32,
}

impl DropoutMask {
    /// The factor kept elements are multiplied by, `1 / (1 - prob)`.
    pub fn scale(&self) -> f32 {
        1.0 / (1.0 - self.prob)
    }

    /// An element is dropped when its 32-bit draw is below this.
    fn threshold(&self) -> u32 {
        (f64::from(self.prob) * 4_294_967_296.0).min(u32::MAX as f64) as u32
    }

    /// Writes the factors (0 or [`scale`](Self::scale)) of elements `start..start + out.len()`.
    pub fn fill(&self, start: u64, out: &mut [f32]) {
        // A partial block of four before the first boundary, whole blocks, a partial tail.
        let head = (((4 - start % 4) % 4) as usize).min(out.len());
        let (first, rest) = out.split_at_mut(head);
        self.fill_partial(start, first);
        let whole = rest.len() / 4 * 4;
        let (blocks, tail) = rest.split_at_mut(whole);
        let first_block = (start + head as u64) / 4;
        fill_blocks(
            self.key(),
            self.threshold(),
            self.scale(),
            first_block,
            blocks,
        );
        self.fill_partial(start + (head + whole) as u64, tail);
    }

    fn key(&self) -> [u32; 2] {
        [self.seed as u32, (self.seed >> 32) as u32]
    }

    /// Elements `start..start + out.len()` lying within one block of four.
    fn fill_partial(&self, start: u64, out: &mut [f32]) {
        if out.is_empty() {
            return;
        }
        let block = start / 4;
        let words = philox4x32([block as u32, (block >> 32) as u32, 0, 0], self.key());
        let lane = (start % 4) as usize;
        for (slot, &word) in out.iter_mut().zip(&words[lane..]) {
            *slot = if word < self.threshold() {
                0.0
            } else {
                self.scale()
            };
        }
    }
}

#[inline(always)]
fn fill_blocks_impl(key: [u32; 2], threshold: u32, scale: f32, first_block: u64, out: &mut [f32]) {
    for (i, slots) in out.chunks_exact_mut(4).enumerate() {
        let block = first_block + i as u64;
        let words = philox4x32([block as u32, (block >> 32) as u32, 0, 0], key);
        for (slot, word) in slots.iter_mut().zip(words) {
            *slot = if word < threshold { 0.0 } else { scale };
        }
    }
}

crate::multiversion!(fn fill_blocks(key: [u32; 2], threshold: u32, scale: f32, first_block: u64, out: &mut [f32]) => fill_blocks_impl);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_matches_the_published_known_answer() {
        // Random123's kat_vectors: philox4x32 10 rounds, counter and key all ones.
        let out = philox4x32([u32::MAX; 4], [u32::MAX; 2]);
        assert_eq!(out, [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]);
        let out = philox4x32([0; 4], [0; 2]);
        assert_eq!(out, [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]);
    }

    #[test]
    fn masks_are_position_addressed_and_keep_the_right_share() {
        let mask = DropoutMask { seed: 7, prob: 0.1 };
        let mut whole = vec![0.0; 100_003];
        mask.fill(0, &mut whole);
        let mut pieces = vec![0.0; 100_003];
        let (a, b) = pieces.split_at_mut(4_001);
        mask.fill(0, a);
        mask.fill(4_001, b);
        assert_eq!(whole, pieces, "a mask drawn in pieces equals the whole");
        let dropped = whole.iter().filter(|&&v| v == 0.0).count() as f64 / whole.len() as f64;
        assert!((dropped - 0.1).abs() < 0.005, "dropped share {dropped}");
        assert!(whole.iter().all(|&v| v == 0.0 || v == mask.scale()));
        let mut other = vec![0.0; 100_003];
        DropoutMask { seed: 8, ..mask }.fill(0, &mut other);
        assert_ne!(whole, other, "another seed gives another mask");
    }
}
