//! A padded batch of token-id sequences as the tensors the encoder reads: ids, position ids
//! (BERT: `0..len`; XLM-R: from `pad+1`, padding gets `pad`), token types and the mask.

use burn::tensor::{backend::Backend, Int, Tensor, TensorData};

use crate::config::{EncoderConfig, ModelFamily};
use crate::error::ModelError;

/// Padded input tensors for one forward pass.
#[derive(Debug, Clone)]
pub struct EncoderBatch<B: Backend> {
    /// Token ids, `[batch, seq]`, padded with the pad id.
    pub input_ids: Tensor<B, 2, Int>,
    /// Position ids, `[batch, seq]`.
    pub position_ids: Tensor<B, 2, Int>,
    /// Token-type ids, `[batch, seq]` (all zero: single-segment inputs).
    pub token_type_ids: Tensor<B, 2, Int>,
    /// 1.0 for tokens, 0.0 for padding, `[batch, seq]`.
    pub attention_mask: Tensor<B, 2>,
}

impl<B: Backend> EncoderBatch<B> {
    /// Pads `sequences` to the longest one. Fails (naming the sequence) on an empty
    /// sequence, a sequence longer than the position table allows, or an id outside the
    /// vocabulary; an empty list gives an error too.
    pub fn from_sequences<S: AsRef<[u32]>>(
        sequences: &[S],
        config: &EncoderConfig,
        device: &B::Device,
    ) -> Result<Self, ModelError> {
        if sequences.is_empty() {
            return Err(ModelError::Input {
                index: 0,
                message: "no sequences given".into(),
            });
        }
        let max_len = config.max_sequence_length();
        for (index, seq) in sequences.iter().enumerate() {
            let seq = seq.as_ref();
            let fail = |message: String| Err(ModelError::Input { index, message });
            if seq.is_empty() {
                return fail("empty sequence".into());
            }
            if seq.len() > max_len {
                return fail(format!(
                    "{} tokens exceed the maximum of {max_len} for this encoder",
                    seq.len()
                ));
            }
            if let Some(&id) = seq.iter().find(|&&id| id as usize >= config.vocab_size) {
                return fail(format!(
                    "token id {id} is outside the vocabulary of {}",
                    config.vocab_size
                ));
            }
        }
        let batch = sequences.len();
        let seq_len = sequences
            .iter()
            .map(|s| s.as_ref().len())
            .max()
            .unwrap_or(1);
        let pad = config.pad_token_id as i64;
        let mut ids = vec![pad; batch * seq_len];
        let mut positions = vec![0i64; batch * seq_len];
        let mut mask = vec![0.0f32; batch * seq_len];
        for (row, seq) in sequences.iter().enumerate() {
            let seq = seq.as_ref();
            let base = row * seq_len;
            // XLM-R counts non-pad ids, as `create_position_ids_from_input_ids` does.
            let mut count = 0i64;
            for col in 0..seq_len {
                let i = base + col;
                let id = seq.get(col).map(|&id| id as i64);
                if let Some(id) = id {
                    ids[i] = id;
                    mask[i] = 1.0;
                }
                let is_non_pad = id.is_some_and(|id| id != pad);
                count += is_non_pad as i64;
                positions[i] = match config.family {
                    ModelFamily::Bert => col as i64,
                    ModelFamily::XlmRoberta if is_non_pad => pad + count,
                    ModelFamily::XlmRoberta => pad,
                };
            }
        }
        let int = |data: Vec<i64>| {
            Tensor::<B, 2, Int>::from_data(TensorData::new(data, [batch, seq_len]), device)
        };
        Ok(EncoderBatch {
            input_ids: int(ids),
            position_ids: int(positions),
            token_type_ids: int(vec![0; batch * seq_len]),
            attention_mask: Tensor::from_data(TensorData::new(mask, [batch, seq_len]), device),
        })
    }

    /// `[batch, 1, 1, seq]`: 0 for tokens, [`crate::attention::MASK_VALUE`] for padding.
    pub fn mask_bias(&self) -> Tensor<B, 2> {
        let pad = self.attention_mask.clone().neg().add_scalar(1.0);
        pad.mul_scalar(crate::attention::MASK_VALUE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::FlexBackend as B;

    fn ints(t: Tensor<B, 2, Int>) -> Vec<i64> {
        t.into_data().convert::<i64>().to_vec::<i64>().unwrap()
    }

    #[test]
    fn position_ids_follow_the_family() {
        let device = Default::default();
        let seqs = [vec![0u32, 7, 2], vec![0, 2]];
        let xlmr = EncoderConfig::new(ModelFamily::XlmRoberta, 10, 8, 1, 2, 16, 10);
        let batch = EncoderBatch::<B>::from_sequences(&seqs, &xlmr, &device).unwrap();
        assert_eq!(ints(batch.input_ids), vec![0, 7, 2, 0, 2, 1]);
        assert_eq!(ints(batch.position_ids), vec![2, 3, 4, 2, 3, 1]);
        let mask = batch.attention_mask.into_data().to_vec::<f32>().unwrap();
        assert_eq!(mask, vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0]);

        let bert = EncoderConfig::new(ModelFamily::Bert, 10, 8, 1, 2, 16, 10);
        let batch = EncoderBatch::<B>::from_sequences(&seqs, &bert, &device).unwrap();
        assert_eq!(ints(batch.position_ids), vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(ints(batch.input_ids), vec![0, 7, 2, 0, 2, 0]);
    }
}
