//! The records a training run keeps: one row per batch (`train_log.csv`) and one per
//! checkpoint (`dev_log.csv`), in the layout of `results/README.md`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::sampler::{Batch, BatchKind};

/// One training batch: the optimizer step it belongs to, its loss and what it held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainLogRow {
    /// Optimizer step, from 1 (with gradient accumulation several batches share a step).
    pub step: u64,
    /// The batch's loss.
    pub loss: f64,
    /// Learning rate of the step.
    pub learning_rate: f64,
    /// How the batch was composed.
    pub batch_kind: BatchKind,
    /// The batch's distinct (question, answer) language pairs as `q-a`, sorted, joined by `;`.
    pub languages: String,
}

impl TrainLogRow {
    /// The row of `batch` at `step`.
    pub fn of(batch: &Batch, step: u64, loss: f64, learning_rate: f64) -> TrainLogRow {
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
}

/// Dev-split measurements at one checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DevRow {
    /// The checkpoint's optimizer step.
    pub step: u64,
    /// Mean InfoNCE loss over the dev batches.
    pub dev_loss: f64,
    /// Share of dev questions whose nearest dev answer (all languages pooled) is from their group.
    pub dev_recall_at_1: f64,
    /// Whether this checkpoint became the final model.
    pub selected: bool,
}

/// `train_log.csv`: header and one line per row. Floats are written with full precision so
/// two runs can be compared exactly.
pub fn train_log_csv(rows: &[TrainLogRow]) -> String {
    let mut out = String::from("step,loss,learning_rate,batch_kind,languages\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{:?},{:?},{},{}",
            r.step, r.loss, r.learning_rate, r.batch_kind, r.languages
        );
    }
    out
}

/// `dev_log.csv`: header and one line per checkpoint.
pub fn dev_log_csv(rows: &[DevRow]) -> String {
    let mut out = String::from("step,dev_loss,dev_recall_at_1,selected\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{:?},{:?},{}",
            r.step, r.dev_loss, r.dev_recall_at_1, r.selected
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::Pair;
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
    fn rows_list_distinct_language_pairs_and_print_as_csv() {
        let batch = Batch {
            kind: BatchKind::Cross,
            source: 0,
            pairs: vec![pair("en", "de"), pair("de", "en"), pair("en", "de")],
        };
        let row = TrainLogRow::of(&batch, 3, 1.5, 0.001);
        assert_eq!(row.languages, "de-en;en-de");
        assert_eq!(
            train_log_csv(&[row]),
            "step,loss,learning_rate,batch_kind,languages\n3,1.5,0.001,cross,de-en;en-de\n"
        );
        let dev = DevRow {
            step: 10,
            dev_loss: 2.0,
            dev_recall_at_1: 0.25,
            selected: true,
        };
        assert_eq!(
            dev_log_csv(&[dev]),
            "step,dev_loss,dev_recall_at_1,selected\n10,2.0,0.25,true\n"
        );
    }
}
