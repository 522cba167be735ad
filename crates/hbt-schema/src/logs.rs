//! `train_log.csv` (one row per training batch) and `dev_log.csv` (one row per checkpoint):
//! the row types, the writer and the reader. Floats are written with Rust's shortest exact
//! form (`{:?}`: `0.001`, `1.25e-5`, `NaN`) so two runs can be compared byte for byte; the
//! reader matches columns by header name.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::file::{read_text, SchemaError};
use crate::names::BatchKind;

/// The file name of the training log in a run folder.
pub const TRAIN_LOG_FILE: &str = "train_log.csv";
/// The file name of the dev log in a run folder.
pub const DEV_LOG_FILE: &str = "dev_log.csv";

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

/// A row type of a CSV log: its header and its fields as written.
pub trait LogRow: DeserializeOwned {
    /// Column names, in order.
    const HEADER: &'static [&'static str];
    /// The row's fields, in header order.
    fn fields(&self) -> Vec<String>;
}

impl LogRow for TrainLogRow {
    const HEADER: &'static [&'static str] =
        &["step", "loss", "learning_rate", "batch_kind", "languages"];
    fn fields(&self) -> Vec<String> {
        vec![
            self.step.to_string(),
            format!("{:?}", self.loss),
            format!("{:?}", self.learning_rate),
            self.batch_kind.to_string(),
            self.languages.clone(),
        ]
    }
}

impl LogRow for DevRow {
    const HEADER: &'static [&'static str] = &["step", "dev_loss", "dev_recall_at_1", "selected"];
    fn fields(&self) -> Vec<String> {
        vec![
            self.step.to_string(),
            format!("{:?}", self.dev_loss),
            format!("{:?}", self.dev_recall_at_1),
            self.selected.to_string(),
        ]
    }
}

/// The CSV text of `rows`: the header, then one line per row.
pub fn to_csv<R: LogRow>(rows: &[R]) -> String {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let written = std::iter::once(R::HEADER.iter().map(|h| h.to_string()).collect())
        .chain(rows.iter().map(LogRow::fields))
        .try_for_each(|record: Vec<String>| out.write_record(&record));
    // Writing into memory cannot fail.
    written.expect("CSV into memory");
    String::from_utf8(out.into_inner().expect("CSV into memory")).expect("UTF-8 fields")
}

/// Reads a CSV log; columns are found by header name (order free, extra columns ignored) and
/// errors name the file and the line.
pub fn read_csv<R: LogRow>(path: &Path) -> Result<Vec<R>, SchemaError> {
    let text = read_text(path)?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(SchemaError::format(path, "empty file (no header)"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| SchemaError::format(path, e))?
        .clone();
    if let Some(missing) = R::HEADER.iter().find(|h| !header.iter().any(|c| c == **h)) {
        let found: Vec<&str> = header.iter().collect();
        return Err(SchemaError::format(
            path,
            format!("missing column `{missing}` (header: {})", found.join(",")),
        ));
    }
    reader
        .deserialize()
        .map(|row| {
            row.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::Deserialize { err, .. } => match err.field() {
                        Some(i) => format!(
                            "column `{}`: {}",
                            header.get(i as usize).unwrap_or("?"),
                            err.kind()
                        ),
                        None => err.kind().to_string(),
                    },
                    _ => e.to_string(),
                };
                SchemaError::format(path, format!("line {line}: {message}"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_round_trip_byte_for_byte() {
        let rows = vec![
            TrainLogRow {
                step: 3,
                loss: 1.5,
                learning_rate: 1.25e-5,
                batch_kind: BatchKind::Cross,
                languages: "de-en;en-de".into(),
            },
            TrainLogRow {
                step: 4,
                loss: f64::NAN,
                learning_rate: 0.001,
                batch_kind: BatchKind::Mono,
                languages: "en-en".into(),
            },
        ];
        let text = to_csv(&rows);
        assert_eq!(
            text,
            "step,loss,learning_rate,batch_kind,languages\n3,1.5,1.25e-5,cross,de-en;en-de\n4,NaN,0.001,mono,en-en\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TRAIN_LOG_FILE);
        std::fs::write(&path, &text).unwrap();
        let back: Vec<TrainLogRow> = read_csv(&path).unwrap();
        assert_eq!(back[0], rows[0]);
        assert!(back[1].loss.is_nan());
        let dev = DevRow {
            step: 10,
            dev_loss: 2.0,
            dev_recall_at_1: 0.25,
            selected: true,
        };
        assert_eq!(
            to_csv(&[dev]),
            "step,dev_loss,dev_recall_at_1,selected\n10,2.0,0.25,true\n"
        );
    }

    #[test]
    fn bad_logs_name_the_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join(DEV_LOG_FILE);
        std::fs::write(
            &dev,
            "step,dev_loss,dev_recall_at_1,selected\n10,1.0,0.5,false\n20,0.9,x,true\n",
        )
        .unwrap();
        let e = read_csv::<DevRow>(&dev).unwrap_err().to_string();
        assert!(
            e.contains("dev_log.csv") && e.contains("line 3") && e.contains("dev_recall_at_1"),
            "{e}"
        );
        std::fs::write(&dev, "step,dev_loss\n10,1.0\n").unwrap();
        let e = read_csv::<DevRow>(&dev).unwrap_err().to_string();
        assert!(e.contains("missing column `dev_recall_at_1`"), "{e}");
        assert!(matches!(
            read_csv::<DevRow>(&dir.path().join("absent.csv")),
            Err(SchemaError::Missing { .. })
        ));
    }
}
