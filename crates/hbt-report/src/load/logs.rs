//! `train_log.csv` and `dev_log.csv` of a run (columns found by header name, so their order
//! does not matter and extra columns are ignored).

use std::path::Path;

use serde::Serialize;

use crate::error::{ReportError, Result};
use crate::io::read_text;

/// One optimizer step of `train_log.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainStep {
    /// Optimizer step.
    pub step: u64,
    /// Training loss of the step's batch.
    pub loss: f64,
    /// Learning rate at the step.
    pub learning_rate: f64,
    /// `mono`, `mixed` or `cross`.
    pub batch_kind: String,
    /// The batch's language pairs (`q-a`, joined by `;`).
    pub languages: String,
}

/// One checkpoint of `dev_log.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DevPoint {
    /// Optimizer step of the checkpoint.
    pub step: u64,
    /// Loss on the dev groups.
    pub dev_loss: f64,
    /// Recall@1 on the dev groups.
    pub dev_recall_at_1: f64,
    /// True for the checkpoint that became the final model.
    pub selected: bool,
}

/// Reads `train_log.csv`.
pub fn read_train_log(path: &Path) -> Result<Vec<TrainStep>> {
    let csv = Csv::read(path)?;
    let [step, loss, lr, kind, langs] = csv.columns(
        path,
        ["step", "loss", "learning_rate", "batch_kind", "languages"],
    )?;
    csv.rows
        .iter()
        .map(|(line, row)| {
            Ok(TrainStep {
                step: parse_num(path, *line, "step", &row[step])?,
                loss: parse_num(path, *line, "loss", &row[loss])?,
                learning_rate: parse_num(path, *line, "learning_rate", &row[lr])?,
                batch_kind: row[kind].clone(),
                languages: row[langs].clone(),
            })
        })
        .collect()
}

/// Reads `dev_log.csv`.
pub fn read_dev_log(path: &Path) -> Result<Vec<DevPoint>> {
    let csv = Csv::read(path)?;
    let [step, loss, recall, selected] =
        csv.columns(path, ["step", "dev_loss", "dev_recall_at_1", "selected"])?;
    csv.rows
        .iter()
        .map(|(line, row)| {
            let sel = match row[selected].trim().to_ascii_lowercase().as_str() {
                "true" | "1" => true,
                "false" | "0" | "" => false,
                other => {
                    return Err(ReportError::format(
                        path,
                        format!("line {line}: `selected` must be true or false, found `{other}`"),
                    ))
                }
            };
            Ok(DevPoint {
                step: parse_num(path, *line, "step", &row[step])?,
                dev_loss: parse_num(path, *line, "dev_loss", &row[loss])?,
                dev_recall_at_1: parse_num(path, *line, "dev_recall_at_1", &row[recall])?,
                selected: sel,
            })
        })
        .collect()
}

fn parse_num<T: std::str::FromStr>(
    path: &Path,
    line: usize,
    column: &str,
    text: &str,
) -> Result<T> {
    let t = text.trim();
    let parsed = match t.to_ascii_lowercase().as_str() {
        // Rust's float parser spells these "NaN"/"inf"; accept the common CSV spellings.
        "nan" | "inf" | "-inf" | "infinity" | "-infinity" => t.to_ascii_lowercase().parse(),
        _ => t.parse(),
    };
    parsed.map_err(|_| {
        ReportError::format(
            path,
            format!("line {line}: column `{column}`: `{t}` is not a number"),
        )
    })
}

/// A small CSV table: header plus rows (RFC 4180 quoting, one record per line).
struct Csv {
    header: Vec<String>,
    /// (1-based line number, fields) per data row.
    rows: Vec<(usize, Vec<String>)>,
}

impl Csv {
    fn read(path: &Path) -> Result<Csv> {
        let text = read_text(path)?;
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(ReportError::format(path, "empty file (no header)"));
        };
        let header = split_record(header.trim_start_matches('\u{feff}'))
            .map_err(|m| ReportError::format(path, format!("line 1: {m}")))?;
        let header: Vec<String> = header.into_iter().map(|h| h.trim().to_string()).collect();
        let mut rows = Vec::new();
        for (i, line) in lines {
            let fields = split_record(line)
                .map_err(|m| ReportError::format(path, format!("line {}: {m}", i + 1)))?;
            if fields.len() != header.len() {
                return Err(ReportError::format(
                    path,
                    format!(
                        "line {}: {} fields, the header has {}",
                        i + 1,
                        fields.len(),
                        header.len()
                    ),
                ));
            }
            rows.push((i + 1, fields));
        }
        Ok(Csv { header, rows })
    }

    /// Indices of the named columns; an error names the first missing one.
    fn columns<const N: usize>(&self, path: &Path, names: [&str; N]) -> Result<[usize; N]> {
        let mut out = [0; N];
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = self.header.iter().position(|h| h == name).ok_or_else(|| {
                ReportError::format(
                    path,
                    format!(
                        "missing column `{name}` (header: {})",
                        self.header.join(",")
                    ),
                )
            })?;
        }
        Ok(out)
    }
}

/// Splits one CSV record; quoted fields may hold commas and doubled quotes.
fn split_record(line: &str) -> std::result::Result<Vec<String>, String> {
    let line = line.trim_end_matches('\r');
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            fields.push(std::mem::take(&mut field));
            at_start = true;
        } else {
            field.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("unterminated quoted field".to_string());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(
            split_record(r#"1,"a,b","say ""hi""",x"#).unwrap(),
            vec!["1", "a,b", "say \"hi\"", "x"]
        );
        assert!(split_record("\"open").is_err());
    }

    #[test]
    fn reads_logs_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let train = dir.path().join("train_log.csv");
        std::fs::write(
            &train,
            "step,loss,learning_rate,batch_kind,languages\n1,2.5,0.001,mono,en-en\n2,2.0,0.001,cross,de-en;en-es\n",
        )
        .unwrap();
        let rows = read_train_log(&train).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].languages, "de-en;en-es");
        let dev = dir.path().join("dev_log.csv");
        std::fs::write(
            &dev,
            "step,dev_loss,dev_recall_at_1,selected\n10,1.0,0.5,false\n20,0.9,x,true\n",
        )
        .unwrap();
        let e = read_dev_log(&dev).unwrap_err().to_string();
        assert!(e.contains("dev_log.csv") && e.contains("line 3"), "{e}");
        assert!(matches!(
            read_dev_log(&dir.path().join("absent.csv")),
            Err(ReportError::Missing { .. })
        ));
    }
}
