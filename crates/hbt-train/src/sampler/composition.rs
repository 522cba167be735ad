//! Running record of what the sampler produced ([`hbt_schema::BatchComposition`], the
//! `composition` of `batch_composition.json`).

use hbt_schema::BatchComposition;

use super::batch::Batch;

/// Adds `batch` to `composition`.
pub fn record(composition: &mut BatchComposition, batch: &Batch) {
    composition.record(
        batch.kind,
        batch.source,
        batch.pairs.iter().map(|p| (p.question_lang, p.answer_lang)),
    );
}
