//! The dev split's measurements for checkpoint selection: InfoNCE loss over fixed dev batches
//! and recall@1 of dev questions against all dev answers of every language pooled.
//!
//! Dev pairs are fixed and strategy-neutral: for the `i`-th dev group with sorted languages
//! `L` (n of them), the question is in `L[i mod n]` and the answer in the same language for
//! even `i` and in `L[(i+1) mod n]` for odd `i`, so half the pairs are monolingual and half
//! cross-lingual whatever strategy trains the model.

use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor, TensorData};
use hbt_data::tokenize::TextTokenizer;
use hbt_data::ParallelGroup;
use hbt_model::{encode, l2_normalize_row, Encoder};
use hbt_schema::TextRole;

use crate::error::{Result, TrainError};
use crate::loss::{info_nce, InfoNceConfig};

/// The tokenized dev split.
#[derive(Debug, Clone)]
pub struct DevSet {
    questions: Vec<Vec<u32>>,
    question_groups: Vec<usize>,
    answers: Vec<Vec<u32>>,
    answer_groups: Vec<usize>,
    /// (question index, answer index) of the loss pairs.
    loss_pairs: Vec<(usize, usize)>,
}

/// Dev measurements of one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DevMetrics {
    /// Mean InfoNCE loss over the dev batches.
    pub loss: f64,
    /// Recall@1 in the pooled multilingual dev candidates.
    pub recall_at_1: f64,
}

impl DevSet {
    /// Tokenizes every question and answer of the dev groups.
    pub fn new(groups: &[ParallelGroup], tokenizer: &TextTokenizer) -> Result<DevSet> {
        let mut set = DevSet {
            questions: Vec::new(),
            question_groups: Vec::new(),
            answers: Vec::new(),
            answer_groups: Vec::new(),
            loss_pairs: Vec::new(),
        };
        let encode = |role, text: &str| tokenizer.encode_as(role, text).map_err(TrainError::data);
        for (g, group) in groups.iter().enumerate() {
            let first = set.questions.len();
            for member in group.members.values() {
                set.questions
                    .push(encode(TextRole::Query, &member.question)?);
                set.question_groups.push(g);
                set.answers.push(encode(TextRole::Passage, &member.answer)?);
                set.answer_groups.push(g);
            }
            let n = group.members.len();
            let q = g % n;
            let a = if g % 2 == 0 { q } else { (g + 1) % n };
            set.loss_pairs.push((first + q, first + a));
        }
        Ok(set)
    }

    /// Number of dev groups.
    pub fn groups(&self) -> usize {
        self.loss_pairs.len()
    }

    /// Whether the dev split is empty (no checkpoint selection possible).
    pub fn is_empty(&self) -> bool {
        self.loss_pairs.is_empty()
    }

    /// Loss (batches of `batch_size` pairs) and recall@1 of `model`.
    pub fn evaluate<B: Backend>(
        &self,
        model: &Encoder<B>,
        loss: &InfoNceConfig,
        batch_size: usize,
        device: &B::Device,
    ) -> Result<DevMetrics> {
        if self.is_empty() {
            return Ok(DevMetrics {
                loss: f64::NAN,
                recall_at_1: 0.0,
            });
        }
        let embed = |ids: &[Vec<u32>]| -> Result<Vec<Vec<f32>>> {
            let mut rows = encode(model, ids, 64, device).map_err(TrainError::model)?;
            if loss.normalize {
                rows.iter_mut().for_each(|row| l2_normalize_row(row));
            }
            Ok(rows)
        };
        let q = embed(&self.questions)?;
        let a = embed(&self.answers)?;
        let mut total = 0.0;
        let mut batches = 0usize;
        for chunk in self.loss_pairs.chunks(batch_size.max(2)) {
            if chunk.len() < 2 {
                continue;
            }
            let qs = rows_tensor::<B>(chunk.iter().map(|p| &q[p.0]), device);
            let as_ = rows_tensor::<B>(chunk.iter().map(|p| &a[p.1]), device);
            let value = info_nce(qs, as_, loss)?.into_scalar().elem::<f64>();
            total += value;
            batches += 1;
        }
        let mut hits = 0usize;
        for (i, qv) in q.iter().enumerate() {
            let best = a
                .iter()
                .enumerate()
                .map(|(j, av)| (j, dot(qv, av)))
                .fold((0, f32::NEG_INFINITY), |b, c| if c.1 > b.1 { c } else { b });
            hits += usize::from(self.answer_groups[best.0] == self.question_groups[i]);
        }
        Ok(DevMetrics {
            loss: if batches == 0 {
                f64::NAN
            } else {
                total / batches as f64
            },
            recall_at_1: hits as f64 / q.len() as f64,
        })
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn rows_tensor<'a, B: Backend>(
    rows: impl Iterator<Item = &'a Vec<f32>>,
    device: &B::Device,
) -> Tensor<B, 2> {
    let rows: Vec<&Vec<f32>> = rows.collect();
    let width = rows.first().map_or(0, |r| r.len());
    let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_data(TensorData::new(flat, [rows.len(), width]), device)
}
