//! Batch encoding of token-id sequences into sentence embeddings: sequences are grouped by
//! length (little padding) and results come back in input order.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

use crate::batch::EncoderBatch;
use crate::encoder::Encoder;
use crate::error::ModelError;

/// How far an [`encode_with_progress`] call is, after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeProgress {
    /// Sequences embedded so far.
    pub sequences_done: usize,
    /// Sequences in all.
    pub sequences: usize,
    /// Tokens of the sequences embedded so far (the work done; sequences run longest first).
    pub tokens_done: usize,
    /// Tokens in all.
    pub tokens: usize,
}

/// Embeds every sequence with the encoder's configured pooling and normalisation, running
/// batches of at most `batch_size` sequences of similar length. Returns one vector per input,
/// in input order. Fails on an empty or too long sequence or an id outside the vocabulary.
pub fn encode<B: Backend, S: AsRef<[u32]>>(
    encoder: &Encoder<B>,
    sequences: &[S],
    batch_size: usize,
    device: &B::Device,
) -> Result<Vec<Vec<f32>>, ModelError> {
    encode_with_progress(encoder, sequences, batch_size, device, &mut |_| {})
}

/// [`encode`], reporting after every batch.
pub fn encode_with_progress<B: Backend, S: AsRef<[u32]>>(
    encoder: &Encoder<B>,
    sequences: &[S],
    batch_size: usize,
    device: &B::Device,
    progress: &mut dyn FnMut(EncodeProgress),
) -> Result<Vec<Vec<f32>>, ModelError> {
    let batch_size = batch_size.max(1);
    let mut order: Vec<usize> = (0..sequences.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sequences[i].as_ref().len()));
    let mut out = vec![Vec::new(); sequences.len()];
    let mut done = EncodeProgress {
        sequences_done: 0,
        sequences: sequences.len(),
        tokens_done: 0,
        tokens: sequences.iter().map(|s| s.as_ref().len()).sum(),
    };
    for chunk in order.chunks(batch_size) {
        let embedded = encoder.embed(&batch_of(encoder, sequences, chunk, device)?);
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
        done.sequences_done += chunk.len();
        done.tokens_done += chunk
            .iter()
            .map(|&i| sequences[i].as_ref().len())
            .sum::<usize>();
        progress(done);
    }
    Ok(out)
}

/// The padded batch of `sequences[i]` for each `i` of `chunk`; an input error names the
/// position in `sequences`, not in the chunk.
fn batch_of<B: Backend, S: AsRef<[u32]>>(
    encoder: &Encoder<B>,
    sequences: &[S],
    chunk: &[usize],
    device: &B::Device,
) -> Result<EncoderBatch<B>, ModelError> {
    let batch_seqs: Vec<&[u32]> = chunk.iter().map(|&i| sequences[i].as_ref()).collect();
    EncoderBatch::<B>::from_sequences(&batch_seqs, encoder.config(), device).map_err(|e| match e {
        ModelError::Input { index, message } => ModelError::Input {
            index: chunk[index],
            message,
        },
        other => other,
    })
}

/// The indices of `sequences` split into at most `buckets` groups of similar length: sorted
/// by length, longest first (ties in input order), cut into groups of `ceil(n / buckets)`.
pub fn length_buckets<S: AsRef<[u32]>>(sequences: &[S], buckets: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..sequences.len()).collect();
    if buckets <= 1 {
        return vec![order];
    }
    order.sort_by_key(|&i| std::cmp::Reverse(sequences[i].as_ref().len()));
    let rows = sequences.len().div_ceil(buckets).max(1);
    order.chunks(rows).map(<[usize]>::to_vec).collect()
}

/// Embeds `sequences` as one tensor `[n, hidden]` in input order, running them as up to
/// `buckets` forward passes over sequences of similar length, so short sequences are not
/// padded to the longest of all. The result is one differentiable tensor (on an autodiff
/// backend gradients reach every bucket); `buckets` 1 is a single padded batch. Fails like
/// [`EncoderBatch::from_sequences`], naming the position in `sequences`.
pub fn embed_bucketed<B: Backend, S: AsRef<[u32]>>(
    encoder: &Encoder<B>,
    sequences: &[S],
    buckets: usize,
    device: &B::Device,
) -> Result<Tensor<B, 2>, ModelError> {
    let groups = length_buckets(sequences, buckets);
    if groups.len() <= 1 {
        let all: Vec<usize> = (0..sequences.len()).collect();
        return Ok(encoder.embed(&batch_of(encoder, sequences, &all, device)?));
    }
    let parts = groups
        .iter()
        .map(|chunk| Ok(encoder.embed(&batch_of(encoder, sequences, chunk, device)?)))
        .collect::<Result<Vec<_>, ModelError>>()?;
    // Row r of the concatenation holds the r-th index of the groups; gather input order back.
    let mut position = vec![0i64; sequences.len()];
    for (row, &i) in groups.iter().flatten().enumerate() {
        position[i] = row as i64;
    }
    let index =
        Tensor::<B, 1, Int>::from_data(TensorData::new(position, [sequences.len()]), device);
    Ok(Tensor::cat(parts, 0).select(0, index))
}
