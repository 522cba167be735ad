//! The records a training run keeps: one [`TrainLogRow`] per batch (`train_log.csv`) and one
//! [`DevRow`] per checkpoint (`dev_log.csv`); both files are defined in [`hbt_schema::logs`].

use std::collections::BTreeSet;

use hbt_schema::TrainLogRow;

use crate::sampler::Batch;

/// The log row of `batch` at `step`: its distinct (question, answer) language pairs as `q-a`,
/// sorted and joined by `;`.
pub fn log_row(batch: &Batch, step: u64, loss: f64, learning_rate: f64) -> TrainLogRow {
    let pairs: BTreeSet<String> = batch
        .pairs
        .iter()
        .map(|p| format!("{}-{}", p.question_lang, p.answer_lang))
        .collect();
    TrainLogRow {
        step,
        loss,
        learning_rate,
        batch_kind: batch.kind,
        languages: pairs.into_iter().collect::<Vec<_>>().join(";"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::{BatchKind, Pair};
    use hbt_data::Lang;

    fn pair(q: &str, a: &str) -> Pair {
        Pair {
            group_id: "g".into(),
            question_lang: Lang::parse(q).unwrap(),
            question: "q".into(),
            answer_lang: Lang::parse(a).unwrap(),
            answer: "a".into(),
        }
    }

    #[test]
    fn rows_list_distinct_language_pairs() {
        let batch = Batch {
            kind: BatchKind::Cross,
            source: 0,
            pairs: vec![pair("en", "de"), pair("de", "en"), pair("en", "de")],
        };
        let row = log_row(&batch, 3, 1.5, 0.001);
        assert_eq!(row.languages, "de-en;en-de");
        assert_eq!(row.batch_kind, BatchKind::Cross);
        assert_eq!((row.step, row.loss, row.learning_rate), (3, 1.5, 0.001));
    }
}
