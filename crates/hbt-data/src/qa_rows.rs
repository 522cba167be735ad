//! Generic parallel QA rows — `group_id, lang, question, answer[, context]` — in JSONL or
//! Parquet (read with polars), turned into parallel groups.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use crate::error::{DataError, Result};
use crate::groups::{GroupMember, ParallelGroup};
use crate::Lang;

const REQUIRED: [&str; 4] = ["group_id", "lang", "question", "answer"];

/// Reads QA rows from a `.jsonl` / `.json` (JSON Lines) or `.parquet` file into parallel
/// groups sorted by id. Rows sharing a `group_id` are translations of one question; one
/// group may hold each language once. Errors name the file and the row (1-based).
pub fn read_qa_rows(path: &Path) -> Result<Vec<ParallelGroup>> {
    let df = read_frame(path)?;
    if df.height() == 0 {
        return Err(DataError::empty(path, "rows"));
    }
    let column = |name: &str| -> Result<Vec<Option<String>>> { string_column(path, &df, name) };
    let mut columns = Vec::new();
    for name in REQUIRED {
        columns.push(column(name)?);
    }
    let context = if df
        .get_column_names()
        .iter()
        .any(|c| c.as_str() == "context")
    {
        Some(column("context")?)
    } else {
        None
    };
    let mut groups: BTreeMap<String, ParallelGroup> = BTreeMap::new();
    for row in 0..df.height() {
        let record = format!("row {}", row + 1);
        let field = |i: usize| -> Result<&str> {
            columns[i][row]
                .as_deref()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| {
                    DataError::record(
                        path,
                        &record,
                        format!("`{}` is missing or empty", REQUIRED[i]),
                    )
                })
        };
        let group_id = field(0)?.to_string();
        let lang =
            Lang::parse(field(1)?).map_err(|e| DataError::record(path, &record, e.to_string()))?;
        let member = GroupMember {
            question: field(2)?.to_string(),
            answer: field(3)?.to_string(),
            context: context.as_ref().and_then(|c| c[row].clone()),
        };
        let group = groups
            .entry(group_id.clone())
            .or_insert_with(|| ParallelGroup {
                id: group_id.clone(),
                members: BTreeMap::new(),
            });
        if group.members.insert(lang, member).is_some() {
            return Err(DataError::record(
                path,
                &record,
                format!("group {group_id} already has a {lang} row"),
            ));
        }
    }
    Ok(groups.into_values().collect())
}

pub(crate) fn read_frame(path: &Path) -> Result<DataFrame> {
    let file = crate::files::open_regular(path)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let frame = match ext {
        "parquet" => ParquetReader::new(file).finish(),
        "jsonl" | "json" | "ndjson" => JsonReader::new(file)
            .with_json_format(JsonFormat::JsonLines)
            .finish(),
        other => {
            return Err(DataError::format(
                path,
                format!(
                    "unsupported extension `{other}` for QA rows (expected .jsonl or .parquet)"
                ),
            ))
        }
    };
    frame.map_err(|e| {
        if ext == "parquet" {
            return DataError::format(path, one_line(&e.to_string()));
        }
        // polars names neither the line nor an empty file: find the culprit line.
        jsonl_culprit(path).unwrap_or_else(|| DataError::format(path, one_line(&e.to_string())))
    })
}

/// The first line of the JSON Lines file `path` that is not a JSON object (its number and
/// why), or the file holding no line at all; `None` when every line is an object.
fn jsonl_culprit(path: &Path) -> Option<DataError> {
    let mut rows = 0usize;
    for (number, line) in crate::files::numbered_lines(path).ok()? {
        let record = format!("line {number}");
        let line = match line {
            Ok(line) => line,
            Err(e) => return Some(DataError::record(path, &record, e.to_string())),
        };
        if line.trim().is_empty() {
            continue;
        }
        rows += 1;
        match serde_json::from_str::<serde_json::Value>(&line) {
            Ok(serde_json::Value::Object(_)) => {}
            Ok(_) => return Some(DataError::record(path, &record, "not a JSON object")),
            Err(e) => {
                return Some(DataError::record(
                    path,
                    &record,
                    format!("invalid JSON: {e}"),
                ))
            }
        }
    }
    (rows == 0).then(|| DataError::format(path, "no rows (the file is empty)"))
}

pub(crate) fn string_column(
    path: &Path,
    df: &DataFrame,
    name: &str,
) -> Result<Vec<Option<String>>> {
    let column = df
        .column(name)
        .map_err(|_| DataError::format(path, format!("missing column `{name}`")))?;
    let as_text = column.cast(&DataType::String).map_err(|e| {
        DataError::format(
            path,
            format!("column `{name}`: {}", one_line(&e.to_string())),
        )
    })?;
    let values = as_text.str().map_err(|e| {
        DataError::format(
            path,
            format!("column `{name}`: {}", one_line(&e.to_string())),
        )
    })?;
    Ok(values.iter().map(|v| v.map(str::to_string)).collect())
}

/// Polars errors can span lines; hbt errors are one line.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROWS: &str = r#"{"group_id": "g1", "lang": "en", "question": "Who?", "answer": "Me.", "context": "Me. You."}
{"group_id": "g1", "lang": "de", "question": "Wer?", "answer": "Ich."}
{"group_id": "g2", "lang": "en", "question": "Why?", "answer": "Because."}
"#;

    #[test]
    fn jsonl_rows_become_groups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.jsonl");
        std::fs::write(&path, ROWS).unwrap();
        let groups = read_qa_rows(&path).unwrap();
        assert_eq!(groups.len(), 2);
        let g1 = &groups[0];
        assert_eq!(g1.id, "g1");
        assert_eq!(g1.members.len(), 2);
        let en = &g1.members[&Lang::parse("en").unwrap()];
        assert_eq!(en.answer, "Me.");
        assert_eq!(en.context.as_deref(), Some("Me. You."));
        assert_eq!(g1.members[&Lang::parse("de").unwrap()].context, None);
    }

    #[test]
    fn parquet_rows_read_like_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.parquet");
        let mut df = df!(
            "group_id" => ["g1", "g1", "g2"],
            "lang" => ["en", "de", "en"],
            "question" => ["Who?", "Wer?", "Why?"],
            "answer" => ["Me.", "Ich.", "Because."],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let jsonl = dir.path().join("rows.jsonl");
        std::fs::write(&jsonl, ROWS).unwrap();
        let mut from_jsonl = read_qa_rows(&jsonl).unwrap();
        for g in &mut from_jsonl {
            for m in g.members.values_mut() {
                m.context = None;
            }
        }
        assert_eq!(read_qa_rows(&path).unwrap(), from_jsonl);
    }

    #[test]
    fn bad_rows_name_file_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (ROWS.replace("\"de\"", "\"xx\""), "row 2"),
            (
                ROWS.replace("\"Wer?\"", "\"\""),
                "row 2: `question` is missing",
            ),
            (
                ROWS.replace("\"g2\", \"lang\": \"en\"", "\"g1\", \"lang\": \"en\""),
                "row 3: group g1 already has a en row",
            ),
            (
                "{\"group_id\": \"g\", \"lang\": \"en\", \"question\": \"q\"}\n".to_string(),
                "missing column `answer`",
            ),
            (String::new(), "rows.jsonl"),
            ("{not json\n".to_string(), "rows.jsonl"),
        ];
        for (text, expected) in cases {
            let path = dir.path().join("rows.jsonl");
            std::fs::write(&path, text).unwrap();
            let err = read_qa_rows(&path).unwrap_err().to_string();
            assert!(
                err.contains("rows.jsonl") && err.contains(expected),
                "{expected}: {err}"
            );
            assert!(!err.contains('\n'), "one line: {err}");
        }
        let csv = dir.path().join("rows.csv");
        std::fs::write(&csv, "x").unwrap();
        assert!(read_qa_rows(&csv)
            .unwrap_err()
            .to_string()
            .contains("unsupported extension"));
    }
}
