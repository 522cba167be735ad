//! The floating-point work of a training step, counted from the matrix products of the
//! encoder on the shapes it executes.

use hbt_model::{length_buckets, EncoderConfig};

use super::batches::TokenBatch;

/// Floating-point operations of the matrix products of one encoder forward pass over
/// `rows` sequences padded to `len` tokens: per layer the Q, K, V and output projections
/// (4·len·h²), the feed-forward pair (2·len·h·f) and attention scores and context
/// (2·len²·h), each a multiply-add (2 FLOPs).
pub fn forward_flops(config: &EncoderConfig, rows: usize, len: usize) -> f64 {
    let (h, f, l) = (
        config.hidden_size as f64,
        config.intermediate_size as f64,
        len as f64,
    );
    let per_layer = 2.0 * (4.0 * l * h * h + 2.0 * l * h * f + 2.0 * l * l * h);
    rows as f64 * per_layer * config.num_hidden_layers as f64
}

/// FLOPs of one training step on `batch` with each side run as `buckets` length groups
/// (1: one padded batch per side): forward of both sides on the padded shapes, the
/// similarity matrix, and a backward pass counted as twice the forward.
pub fn training_flops(config: &EncoderConfig, batch: &TokenBatch, buckets: usize) -> f64 {
    let side = |s: &[Vec<u32>]| {
        length_buckets(s, buckets)
            .iter()
            .map(|group| {
                let len = group.iter().map(|&i| s[i].len()).max().unwrap_or(0);
                forward_flops(config, group.len(), len)
            })
            .sum::<f64>()
    };
    let similarity =
        2.0 * (batch.questions.len() * batch.answers.len() * config.hidden_size) as f64;
    3.0 * (side(&batch.questions) + side(&batch.answers) + similarity)
}

#[cfg(test)]
mod tests {
    use hbt_model::ModelFamily;

    use super::*;

    #[test]
    fn forward_flops_count_projections_ffn_and_attention() {
        let config = EncoderConfig::new(ModelFamily::Bert, 100, 4, 2, 2, 8, 16);
        // Per layer and sequence of 3 tokens: 2·(4·3·16 + 2·3·4·8 + 2·9·4) = 2·(192 + 192 + 72).
        assert_eq!(forward_flops(&config, 1, 3), 2.0 * 2.0 * 456.0);
        assert_eq!(forward_flops(&config, 5, 3), 5.0 * 2.0 * 2.0 * 456.0);
    }

    #[test]
    fn training_flops_use_the_padded_length_of_each_side() {
        let config = EncoderConfig::new(ModelFamily::Bert, 100, 4, 1, 2, 8, 16);
        let batch = TokenBatch {
            questions: vec![vec![1, 2], vec![1]],
            answers: vec![vec![1, 2, 3], vec![1]],
        };
        let expected = 3.0
            * (forward_flops(&config, 2, 2) + forward_flops(&config, 2, 3) + 2.0 * 2.0 * 2.0 * 4.0);
        assert_eq!(training_flops(&config, &batch, 1), expected);
        // Two buckets per side: every sequence runs at its own length.
        let bucketed = 3.0
            * (forward_flops(&config, 1, 2)
                + forward_flops(&config, 1, 1)
                + forward_flops(&config, 1, 3)
                + forward_flops(&config, 1, 1)
                + 2.0 * 2.0 * 2.0 * 4.0);
        assert_eq!(training_flops(&config, &batch, 2), bucketed);
    }
}
