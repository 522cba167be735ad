//! Batch encoding of token-id sequences into sentence embeddings: sequences are grouped by
//! length (little padding) and results come back in input order.

use burn::tensor::backend::Backend;

use crate::batch::EncoderBatch;
use crate::encoder::Encoder;
use crate::error::ModelError;

/// Embeds every sequence with the encoder's configured pooling and normalisation, running
/// batches of at most `batch_size` sequences of similar length. Returns one vector per input,
/// in input order. Fails on an empty or too long sequence or an id outside the vocabulary.
pub fn encode<B: Backend, S: AsRef<[u32]>>(
    encoder: &Encoder<B>,
    sequences: &[S],
    batch_size: usize,
    device: &B::Device,
) -> Result<Vec<Vec<f32>>, ModelError> {
    let batch_size = batch_size.max(1);
    let mut order: Vec<usize> = (0..sequences.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sequences[i].as_ref().len()));
    let mut out = vec![Vec::new(); sequences.len()];
    for chunk in order.chunks(batch_size) {
        let batch_seqs: Vec<&[u32]> = chunk.iter().map(|&i| sequences[i].as_ref()).collect();
        let batch = EncoderBatch::<B>::from_sequences(&batch_seqs, encoder.config(), device)
            .map_err(|e| match e {
                // Report the position in the caller's list, not in the batch.
                ModelError::Input { index, message } => ModelError::Input {
                    index: chunk[index],
                    message,
                },
                other => other,
            })?;
        let embedded = encoder.embed(&batch);
        let [rows, width] = embedded.dims();
        let values = embedded
            .into_data()
            .convert::<f32>()
            .to_vec::<f32>()
            .map_err(|e| ModelError::Tensor {
                name: "embeddings".into(),
                message: format!("{e:?}"),
            })?;
        for (row, &index) in chunk.iter().enumerate().take(rows) {
            out[index] = values[row * width..(row + 1) * width].to_vec();
        }
    }
    Ok(out)
}
