//! A user's own texts in and their embeddings out (`hbt encode`).
//!
//! Input, by extension: `.jsonl` / `.ndjson` (one JSON object per line with a text field and
//! an optional id field; missing id: the line number), `.parquet` (a text column and an
//! optional id column; missing id: the row number), anything else one text per line (id: the
//! line number; blank lines skipped). Output: [`EMBEDDINGS_COLUMNS`] in a Parquet file,
//! written by [`write_embeddings`] and read back by [`read_embeddings`].

use std::collections::HashSet;
use std::path::Path;

use polars::prelude::*;

use crate::error::{DataError, Result};
use crate::qa_rows::{one_line, read_frame, string_column};

/// The columns of an embeddings file: `id` (string) and `embedding` (list of f32, all of one
/// length).
pub const EMBEDDINGS_COLUMNS: [&str; 2] = ["id", "embedding"];

/// One text to embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRecord {
    /// Its id (given, or the 1-based line / row number).
    pub id: String,
    /// The text.
    pub text: String,
}

/// Which fields of a JSONL or Parquet input hold the text and the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFields {
    /// The text field (required in every record).
    pub text: String,
    /// The id field (optional; records without it get their line or row number).
    pub id: String,
}

impl Default for TextFields {
    fn default() -> Self {
        TextFields {
            text: "text".into(),
            id: "id".into(),
        }
    }
}

/// Reads the texts of `path` (format by extension, see the module). Errors name the file and
/// the line or row: a broken JSON line, a missing or non-string text, a duplicated id, no text.
pub fn read_texts(path: &Path, fields: &TextFields) -> Result<Vec<TextRecord>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let records = match ext {
        "jsonl" | "ndjson" => read_jsonl(path, fields)?,
        "parquet" => read_parquet(path, fields)?,
        _ => read_lines(path)?,
    };
    if records.is_empty() {
        return Err(DataError::empty(path, "texts"));
    }
    let mut seen = HashSet::new();
    for record in &records {
        if !seen.insert(record.id.as_str()) {
            return Err(DataError::format(
                path,
                format!("id `{}` appears more than once", record.id),
            ));
        }
    }
    Ok(records)
}

fn read_lines(path: &Path) -> Result<Vec<TextRecord>> {
    let mut out = Vec::new();
    for (number, line) in crate::files::numbered_lines(path)? {
        let line =
            line.map_err(|e| DataError::record(path, format!("line {number}"), e.to_string()))?;
        if !line.trim().is_empty() {
            out.push(TextRecord {
                id: number.to_string(),
                text: line,
            });
        }
    }
    Ok(out)
}

fn read_jsonl(path: &Path, fields: &TextFields) -> Result<Vec<TextRecord>> {
    let mut out = Vec::new();
    for (number, line) in crate::files::numbered_lines(path)? {
        let record = format!("line {number}");
        let line = line.map_err(|e| DataError::record(path, &record, e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| DataError::record(path, &record, format!("invalid JSON: {e}")))?;
        let text = value
            .get(&fields.text)
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                DataError::record(path, &record, format!("no string field `{}`", fields.text))
            })?;
        let id = match value.get(&fields.id) {
            None | Some(serde_json::Value::Null) => number.to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(DataError::record(
                    path,
                    &record,
                    format!(
                        "field `{}` is neither a string nor a number: {other}",
                        fields.id
                    ),
                ))
            }
        };
        out.push(TextRecord {
            id,
            text: text.to_string(),
        });
    }
    Ok(out)
}

fn read_parquet(path: &Path, fields: &TextFields) -> Result<Vec<TextRecord>> {
    let frame = read_frame(path)?;
    let texts = string_column(path, &frame, &fields.text)?;
    let has_ids = frame
        .get_column_names()
        .iter()
        .any(|c| c.as_str() == fields.id);
    let ids = if has_ids {
        Some(string_column(path, &frame, &fields.id)?)
    } else {
        None
    };
    texts
        .into_iter()
        .enumerate()
        .map(|(row, text)| {
            let text = text.ok_or_else(|| {
                DataError::record(
                    path,
                    format!("row {}", row + 1),
                    format!("`{}` is null", fields.text),
                )
            })?;
            let id = ids
                .as_ref()
                .and_then(|ids| ids[row].clone())
                .unwrap_or_else(|| (row + 1).to_string());
            Ok(TextRecord { id, text })
        })
        .collect()
}

/// Writes `ids` and their embeddings (`rows`, all of one length) as a Parquet file with
/// [`EMBEDDINGS_COLUMNS`], atomically (a killed run leaves no half file under `path`).
pub fn write_embeddings(path: &Path, ids: &[String], rows: &[Vec<f32>]) -> Result<()> {
    let width = rows.first().map_or(0, Vec::len);
    if ids.len() != rows.len() || rows.iter().any(|r| r.len() != width) {
        return Err(DataError::Invalid(format!(
            "{}: {} ids for {} embeddings of unequal or mismatched length",
            path.display(),
            ids.len(),
            rows.len()
        )));
    }
    let mut vectors = ListPrimitiveChunkedBuilder::<Float32Type>::new(
        EMBEDDINGS_COLUMNS[1].into(),
        rows.len(),
        rows.len() * width,
        DataType::Float32,
    );
    for row in rows {
        vectors.append_slice(row);
    }
    let columns = vec![
        Column::new(EMBEDDINGS_COLUMNS[0].into(), ids),
        vectors.finish().into_series().into_column(),
    ];
    let mut frame = DataFrame::new(rows.len(), columns)
        .map_err(|e| DataError::format(path, one_line(&e.to_string())))?;
    hbt_schema::file::write_atomic_with(path, |out| {
        ParquetWriter::new(out)
            .finish(&mut frame)
            .map(|_| ())
            .map_err(|e| std::io::Error::other(one_line(&e.to_string())))
    })
    .map_err(|e| DataError::Invalid(e.to_string()))
}

/// Reads an embeddings file written by [`write_embeddings`]: the ids and the vectors.
pub fn read_embeddings(path: &Path) -> Result<(Vec<String>, Vec<Vec<f32>>)> {
    let frame = read_frame(path)?;
    let ids = string_column(path, &frame, EMBEDDINGS_COLUMNS[0])?
        .into_iter()
        .enumerate()
        .map(|(row, id)| {
            id.ok_or_else(|| DataError::record(path, format!("row {}", row + 1), "null id"))
        })
        .collect::<Result<Vec<_>>>()?;
    let name = EMBEDDINGS_COLUMNS[1];
    let bad = |message: String| DataError::format(path, format!("column `{name}`: {message}"));
    let lists = frame
        .column(name)
        .map_err(|_| DataError::format(path, format!("missing column `{name}`")))?
        .list()
        .map_err(|e| bad(one_line(&e.to_string())))?;
    let mut rows = Vec::with_capacity(lists.len());
    for row in 0..lists.len() {
        let series = lists
            .get_as_series(row)
            .ok_or_else(|| bad(format!("row {} is null", row + 1)))?;
        let values = series.f32().map_err(|e| bad(one_line(&e.to_string())))?;
        rows.push(values.into_no_null_iter().collect());
    }
    Ok((ids, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn each_input_format_gives_ids_and_texts() {
        let dir = tempfile::tempdir().unwrap();
        let fields = TextFields::default();
        let lines = write(dir.path(), "t.txt", "first\n\nthird\n");
        let got = read_texts(&lines, &fields).unwrap();
        assert_eq!(
            got,
            vec![
                TextRecord {
                    id: "1".into(),
                    text: "first".into()
                },
                TextRecord {
                    id: "3".into(),
                    text: "third".into()
                },
            ]
        );
        let jsonl = write(
            dir.path(),
            "t.jsonl",
            "{\"id\": \"a\", \"text\": \"Hallo\"}\n{\"text\": \"no id\"}\n{\"id\": 7, \"text\": \"x\"}\n",
        );
        let got = read_texts(&jsonl, &fields).unwrap();
        let ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "2", "7"]);

        let parquet = dir.path().join("t.parquet");
        let mut frame = DataFrame::new(
            2,
            vec![
                Column::new("doc".into(), ["d1", "d2"]),
                Column::new("body".into(), ["one", "two"]),
            ],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&parquet).unwrap())
            .finish(&mut frame)
            .unwrap();
        let custom = TextFields {
            text: "body".into(),
            id: "doc".into(),
        };
        let got = read_texts(&parquet, &custom).unwrap();
        assert_eq!(
            got[1],
            TextRecord {
                id: "d2".into(),
                text: "two".into()
            }
        );
    }

    #[test]
    fn bad_records_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let fields = TextFields::default();
        let broken = write(dir.path(), "b.jsonl", "{\"text\": \"ok\"}\n{\"text\": \n");
        let err = read_texts(&broken, &fields).unwrap_err().to_string();
        assert!(err.contains("b.jsonl") && err.contains("line 2"), "{err}");
        let no_text = write(dir.path(), "n.jsonl", "{\"body\": \"ok\"}\n");
        let err = read_texts(&no_text, &fields).unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("`text`"), "{err}");
        let twice = write(
            dir.path(),
            "d.jsonl",
            "{\"id\":1,\"text\":\"a\"}\n{\"id\":1,\"text\":\"b\"}\n",
        );
        let err = read_texts(&twice, &fields).unwrap_err().to_string();
        assert!(err.contains("`1` appears more than once"), "{err}");
        let empty = write(dir.path(), "e.txt", "\n\n");
        assert!(read_texts(&empty, &fields).is_err());
    }

    #[test]
    fn embeddings_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.parquet");
        let ids = vec!["a".to_string(), "b".to_string()];
        let rows = vec![vec![0.5f32, -1.0, 2.0], vec![0.0, 1.0e-7, 3.25]];
        write_embeddings(&path, &ids, &rows).unwrap();
        assert_eq!(read_embeddings(&path).unwrap(), (ids.clone(), rows));
        assert!(write_embeddings(&path, &ids, &[vec![1.0]]).is_err());
    }
}
