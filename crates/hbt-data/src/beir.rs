//! BEIR / MIRACL folders: a monolingual ad-hoc retrieval task.
//!
//! # Layout
//!
//! * corpus: `corpus.jsonl`, one JSON object a line with `_id` (MIRACL: `docid`), an optional
//!   `title` and `text`;
//! * queries: `queries.jsonl` (`_id` / `query_id`, `text` / `query`) or a topics TSV
//!   (`qid<TAB>query text`, MIRACL `topics/topics.miracl-v1.0-de-dev.tsv`);
//! * qrels: BEIR TSV `qrels/SPLIT.tsv` (`query-id corpus-id score`, tab separated, optional
//!   header) or TREC (`qid Q0 docid rel`, whitespace separated, MIRACL
//!   `qrels/qrels.miracl-v1.0-de-dev.tsv`). The format is detected per file from the number of
//!   columns; one file must not mix them.
//!
//! # Checks and conventions
//!
//! Every error is one line naming the file and the record (`line 17`) at fault: invalid JSON, a
//! missing or non-string `text`, an empty id, duplicate document or query ids, a relevance that
//! is not an integer, a document judged twice with different grades, an empty file.
//!
//! * Qrels naming a query missing from the queries file, or a document missing from the corpus,
//!   are **errors** (naming the qrels line): a relevant document that cannot be retrieved would
//!   silently cap recall, and a judged query that cannot be asked would silently vanish.
//! * Queries without a positive judgement (grade > 0) are **dropped** from the task, with their
//!   judgements (the BEIR convention); [`RetrievalTask::dropped_queries`] counts them. A task
//!   left without queries is an error.
//! * Empty lines are ignored everywhere; a UTF-8 byte order mark at the start of a file is
//!   ignored.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{DataError, Result};
use crate::Lang;

/// A corpus document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Document id (`_id` or `docid`).
    pub id: String,
    /// Title (empty when the record has none).
    pub title: String,
    /// Body text (may be empty when the title carries the content).
    pub text: String,
}

/// A query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Query id.
    pub id: String,
    /// Query text (never empty).
    pub text: String,
}

/// Relevance judgements: query id → document id → grade (> 0 is relevant).
pub type Qrels = BTreeMap<String, BTreeMap<String, i32>>;

/// A monolingual ad-hoc retrieval task.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievalTask {
    /// Task name (the folder name).
    pub name: String,
    /// Language of queries and documents, when known.
    pub lang: Option<Lang>,
    /// The documents, in file order.
    pub corpus: Vec<Document>,
    /// Queries with at least one relevant document in the corpus, in file order.
    pub queries: Vec<Query>,
    /// Judgements of the kept queries (including grade-0 judgements).
    pub qrels: Qrels,
    /// How many queries of the queries file were dropped for lack of a positive judgement.
    pub dropped_queries: usize,
}

impl RetrievalTask {
    /// The ids of the documents relevant (grade > 0) to `query_id`, sorted.
    pub fn relevant(&self, query_id: &str) -> Vec<&str> {
        self.qrels
            .get(query_id)
            .map(|docs| {
                docs.iter()
                    .filter(|(_, &g)| g > 0)
                    .map(|(d, _)| d.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The three files of a BEIR / MIRACL folder.
#[derive(Debug, Clone, PartialEq)]
pub struct BeirPaths {
    /// `corpus.jsonl`.
    pub corpus: PathBuf,
    /// `queries.jsonl` or a topics TSV.
    pub queries: PathBuf,
    /// The qrels file of the split.
    pub qrels: PathBuf,
}

impl BeirPaths {
    /// Finds the files of `split` (e.g. `test`, `dev`) in a BEIR or MIRACL folder.
    ///
    /// Looks for, in this order:
    /// * corpus: `corpus.jsonl`;
    /// * queries: `queries.jsonl`, `topics/SPLIT.tsv`, `topics.tsv`, then the one file in
    ///   `topics/` whose name ends in `-SPLIT.tsv`, `_SPLIT.tsv` or `.SPLIT.tsv` (MIRACL);
    /// * qrels: `qrels/SPLIT.tsv`, `qrels/SPLIT.trec`, `qrels.tsv`, then the one file in
    ///   `qrels/` whose name ends in `-SPLIT.tsv` / `.trec` (or `_` / `.` before `SPLIT`).
    ///
    /// A missing file, or several files matching the split, is an error naming the folder.
    pub fn discover(dir: &Path, split: &str) -> Result<BeirPaths> {
        if !dir.is_dir() {
            return Err(DataError::Io {
                path: dir.to_path_buf(),
                message: "not a folder (expected a BEIR / MIRACL folder with corpus.jsonl)"
                    .to_string(),
            });
        }
        let corpus = find(dir, "corpus", &[dir.join("corpus.jsonl")], None, split)?;
        let queries = find(
            dir,
            "queries",
            &[
                dir.join("queries.jsonl"),
                dir.join("topics").join(format!("{split}.tsv")),
                dir.join("topics.tsv"),
            ],
            Some(&dir.join("topics")),
            split,
        )?;
        let qrels = find(
            dir,
            "qrels",
            &[
                dir.join("qrels").join(format!("{split}.tsv")),
                dir.join("qrels").join(format!("{split}.trec")),
                dir.join("qrels.tsv"),
            ],
            Some(&dir.join("qrels")),
            split,
        )?;
        Ok(BeirPaths {
            corpus,
            queries,
            qrels,
        })
    }
}

/// The first existing file of `candidates`, else the single file of `folder` named for `split`.
fn find(
    dir: &Path,
    what: &str,
    candidates: &[PathBuf],
    folder: Option<&Path>,
    split: &str,
) -> Result<PathBuf> {
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let mut looked = candidates
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>();
    if let Some(folder) = folder {
        let mut matches = Vec::new();
        if let Ok(entries) = std::fs::read_dir(folder) {
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_file() && names_split(&name, split) {
                    matches.push(path);
                }
            }
        }
        matches.sort();
        match matches.len() {
            0 => looked.push(format!("{}/*-{split}.tsv", folder.display())),
            1 => return Ok(matches.remove(0)),
            _ => {
                return Err(DataError::Invalid(format!(
                    "{}: several {what} files for split `{split}`: {}",
                    dir.display(),
                    matches
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        }
    }
    Err(DataError::Io {
        path: dir.to_path_buf(),
        message: format!(
            "no {what} file for split `{split}` (looked for {})",
            looked.join(", ")
        ),
    })
}

/// Whether a file name is `...-SPLIT.tsv` / `..._SPLIT.trec` / `....SPLIT.tsv`.
fn names_split(name: &str, split: &str) -> bool {
    let Some(stem) = name
        .strip_suffix(".tsv")
        .or_else(|| name.strip_suffix(".trec"))
    else {
        return false;
    };
    stem.strip_suffix(split)
        .is_some_and(|rest| rest.ends_with(['-', '_', '.']))
}

/// Loads the retrieval task of `split` from a BEIR / MIRACL folder (see the module docs for
/// the layout, the checks and which queries are kept). The task is named after the folder.
pub fn load_retrieval_task(dir: &Path, split: &str, lang: Option<Lang>) -> Result<RetrievalTask> {
    let paths = BeirPaths::discover(dir, split)?;
    let corpus = read_corpus(&paths.corpus)?;
    let all_queries = read_queries(&paths.queries)?;
    let judgements = qrels_lines(&paths.qrels)?;
    let doc_ids: HashSet<&str> = corpus.iter().map(|d| d.id.as_str()).collect();
    let query_ids: HashSet<&str> = all_queries.iter().map(|q| q.id.as_str()).collect();
    for j in &judgements {
        if !query_ids.contains(j.query.as_str()) {
            return Err(DataError::record(
                &paths.qrels,
                format!("line {}", j.line),
                format!("query {} is not in {}", j.query, file_name(&paths.queries)),
            ));
        }
        if !doc_ids.contains(j.doc.as_str()) {
            return Err(DataError::record(
                &paths.qrels,
                format!("line {}", j.line),
                format!(
                    "document {} (query {}) is not in {}",
                    j.doc,
                    j.query,
                    file_name(&paths.corpus)
                ),
            ));
        }
    }
    let qrels = collect_qrels(&paths.qrels, judgements)?;
    let total = all_queries.len();
    let queries: Vec<Query> = all_queries
        .into_iter()
        .filter(|q| {
            qrels
                .get(&q.id)
                .is_some_and(|docs| docs.values().any(|&g| g > 0))
        })
        .collect();
    if queries.is_empty() {
        return Err(DataError::empty(
            &paths.qrels,
            "queries with a relevant (grade > 0) document",
        ));
    }
    let kept: HashSet<&str> = queries.iter().map(|q| q.id.as_str()).collect();
    let qrels = qrels
        .into_iter()
        .filter(|(q, _)| kept.contains(q.as_str()))
        .collect();
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("beir")
        .to_string();
    Ok(RetrievalTask {
        name,
        lang,
        corpus,
        dropped_queries: total - queries.len(),
        queries,
        qrels,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Reads `corpus.jsonl`: `_id` or `docid` (string or number), optional `title`, `text`.
/// Errors name the line: invalid JSON, missing id or `text`, empty id, duplicate id, no
/// documents.
pub fn read_corpus(path: &Path) -> Result<Vec<Document>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut docs = Vec::new();
    for (line_no, record) in json_lines(path)? {
        let id = id_field(path, line_no, &record, &["_id", "docid"])?;
        let text = string_field(path, line_no, &record, &["text"])?;
        let title = match record.get("title") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(DataError::record(
                    path,
                    format!("line {line_no}"),
                    format!("`title` is {}, expected a string", kind(other)),
                ))
            }
        };
        if let Some(first) = seen.insert(id.clone(), line_no) {
            return Err(DataError::record(
                path,
                format!("line {line_no}"),
                format!("duplicate document id {id} (first on line {first})"),
            ));
        }
        docs.push(Document { id, title, text });
    }
    if docs.is_empty() {
        return Err(DataError::empty(path, "documents"));
    }
    Ok(docs)
}

/// Reads queries from `queries.jsonl` (`_id` / `query_id`, `text` / `query`) or a topics TSV
/// (`qid<TAB>query text`). The format comes from the extension (`.jsonl` / `.json` vs `.tsv` /
/// `.txt`), else from the first non-empty line (`{` means JSONL). Errors name the line:
/// malformed line, missing or empty id or text, duplicate id, no queries.
pub fn read_queries(path: &Path) -> Result<Vec<Query>> {
    let text = read_text(path)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let is_jsonl = match ext.as_str() {
        "jsonl" | "json" | "ndjson" => true,
        "tsv" | "txt" => false,
        _ => text
            .lines()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| l.trim_start().starts_with('{')),
    };
    let mut queries = Vec::new();
    if is_jsonl {
        for (line_no, record) in parse_json_lines(path, &text)? {
            let id = id_field(path, line_no, &record, &["_id", "query_id"])?;
            let text = string_field(path, line_no, &record, &["text", "query"])?;
            queries.push((line_no, Query { id, text }));
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record = format!("line {}", i + 1);
            let (id, text) = line.split_once('\t').ok_or_else(|| {
                DataError::record(path, &record, "expected `qid<TAB>query text`, found no tab")
            })?;
            let (id, text) = (id.trim(), text.trim());
            if id.is_empty() {
                return Err(DataError::record(path, record, "empty query id"));
            }
            queries.push((
                i + 1,
                Query {
                    id: id.to_string(),
                    text: text.to_string(),
                },
            ));
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (line_no, q) in &queries {
        if q.text.trim().is_empty() {
            return Err(DataError::record(
                path,
                format!("line {line_no}"),
                format!("query {} has an empty text", q.id),
            ));
        }
        if let Some(first) = seen.insert(q.id.as_str(), *line_no) {
            return Err(DataError::record(
                path,
                format!("line {line_no}"),
                format!("duplicate query id {} (first on line {first})", q.id),
            ));
        }
    }
    if queries.is_empty() {
        return Err(DataError::empty(path, "queries"));
    }
    Ok(queries.into_iter().map(|(_, q)| q).collect())
}

/// Reads qrels in BEIR TSV (3 columns, optional header on the first line such as
/// `query-id corpus-id score`) or TREC (4 columns: `qid Q0 docid rel`) format, whitespace
/// separated. Errors name the line: wrong column count, mixed formats, a relevance that is not
/// an integer, a document judged twice with different grades, no judgements. A judgement
/// repeated with the same grade is kept once.
pub fn read_qrels(path: &Path) -> Result<Qrels> {
    let lines = qrels_lines(path)?;
    collect_qrels(path, lines)
}

/// One line of a qrels file.
struct Judgement {
    line: usize,
    query: String,
    doc: String,
    grade: i32,
}

/// First-line headers of BEIR-style qrels.
const QRELS_HEADERS: &[&str] = &["query-id", "query_id", "qid", "query", "queryid"];

fn qrels_lines(path: &Path) -> Result<Vec<Judgement>> {
    let text = read_text(path)?;
    let mut out = Vec::new();
    // (column count, line) of the first judgement: all lines must have the same count.
    let mut columns: Option<(usize, usize)> = None;
    let mut first_line = true;
    for (i, line) in text.lines().enumerate() {
        let record = format!("line {}", i + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let is_first = std::mem::replace(&mut first_line, false);
        if is_first
            && fields.len() == 3
            && QRELS_HEADERS
                .iter()
                .any(|h| fields[0].eq_ignore_ascii_case(h))
            && fields[2].parse::<i64>().is_err()
        {
            continue;
        }
        let (query, doc, grade) = match fields[..] {
            [q, d, g] | [q, _, d, g] => (q, d, g),
            _ => {
                return Err(DataError::record(
                    path,
                    record,
                    format!(
                        "expected 3 (BEIR `query-id corpus-id score`) or 4 (TREC `qid Q0 docid rel`) columns, found {}",
                        fields.len()
                    ),
                ))
            }
        };
        match columns {
            None => columns = Some((fields.len(), i + 1)),
            Some((n, at)) if n != fields.len() => {
                return Err(DataError::record(
                    path,
                    record,
                    format!(
                    "{} columns but line {at} has {n}: one file must not mix BEIR and TREC lines",
                    fields.len()
                ),
                ))
            }
            Some(_) => {}
        }
        let grade: i32 = grade.parse().map_err(|_| {
            DataError::record(
                path,
                &record,
                format!("relevance `{grade}` is not an integer"),
            )
        })?;
        out.push(Judgement {
            line: i + 1,
            query: query.to_string(),
            doc: doc.to_string(),
            grade,
        });
    }
    if out.is_empty() {
        return Err(DataError::empty(path, "judgements"));
    }
    Ok(out)
}

fn collect_qrels(path: &Path, judgements: Vec<Judgement>) -> Result<Qrels> {
    let mut qrels = Qrels::new();
    let mut lines: HashMap<(String, String), usize> = HashMap::new();
    for j in judgements {
        let docs = qrels.entry(j.query.clone()).or_default();
        match docs.get(&j.doc) {
            Some(&g) if g != j.grade => {
                let first = lines
                    .get(&(j.query.clone(), j.doc.clone()))
                    .copied()
                    .unwrap_or(0);
                return Err(DataError::record(
                    path,
                    format!("line {}", j.line),
                    format!(
                        "query {} judges document {} {} but line {first} says {g}",
                        j.query, j.doc, j.grade
                    ),
                ));
            }
            Some(_) => {}
            None => {
                docs.insert(j.doc.clone(), j.grade);
                lines.insert((j.query, j.doc), j.line);
            }
        }
    }
    Ok(qrels)
}

fn read_text(path: &Path) -> Result<String> {
    let text = crate::files::read_regular_to_string(path)?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Non-empty lines of a JSONL file parsed as JSON objects, with 1-based line numbers.
fn json_lines(path: &Path) -> Result<Vec<(usize, Value)>> {
    parse_json_lines(path, &read_text(path)?)
}

fn parse_json_lines(path: &Path, text: &str) -> Result<Vec<(usize, Value)>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = format!("line {}", i + 1);
        let value: Value = serde_json::from_str(line)
            .map_err(|e| DataError::record(path, &record, format!("invalid JSON: {e}")))?;
        if !value.is_object() {
            return Err(DataError::record(
                path,
                record,
                format!("expected a JSON object, found {}", kind(&value)),
            ));
        }
        out.push((i + 1, value));
    }
    Ok(out)
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The first of `keys` present in `record` as a string (or number, as ids often are), trimmed
/// and non-empty.
fn id_field(path: &Path, line_no: usize, record: &Value, keys: &[&str]) -> Result<String> {
    let id = field(path, line_no, record, keys, true)?;
    let id = id.trim();
    if id.is_empty() {
        return Err(DataError::record(
            path,
            format!("line {line_no}"),
            format!("empty `{}`", keys.join("` / `")),
        ));
    }
    Ok(id.to_string())
}

/// The first of `keys` present in `record`, which must be a string.
fn string_field(path: &Path, line_no: usize, record: &Value, keys: &[&str]) -> Result<String> {
    field(path, line_no, record, keys, false)
}

fn field(
    path: &Path,
    line_no: usize,
    record: &Value,
    keys: &[&str],
    numbers: bool,
) -> Result<String> {
    let Some((key, value)) = keys.iter().find_map(|k| record.get(*k).map(|v| (*k, v))) else {
        return Err(DataError::record(
            path,
            format!("line {line_no}"),
            format!("missing `{}`", keys.join("` or `")),
        ));
    };
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if numbers => Ok(n.to_string()),
        other => Err(DataError::record(
            path,
            format!("line {line_no}"),
            format!("`{key}` is {}, expected a string", kind(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    const CORPUS: &str = r#"{"_id": "d1", "title": "Rivers", "text": "The Nile is long."}
{"_id": "d2", "text": "Bread is baked."}
{"_id": "d3", "title": "", "text": "Ovens are hot."}
"#;

    #[test]
    fn beir_folder_with_jsonl_queries_and_tsv_qrels() {
        let dir = folder(&[
            ("corpus.jsonl", CORPUS),
            ("queries.jsonl", "{\"_id\": \"q1\", \"text\": \"longest river\"}\n{\"_id\": \"q2\", \"text\": \"unjudged\"}\n"),
            ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td3\t0\n"),
        ]);
        let task =
            load_retrieval_task(dir.path(), "test", Some(Lang::parse("en").unwrap())).unwrap();
        assert_eq!(task.corpus.len(), 3);
        assert_eq!(task.corpus[0].title, "Rivers");
        assert_eq!(
            task.queries,
            vec![Query {
                id: "q1".into(),
                text: "longest river".into()
            }],
            "q2 has no judgement"
        );
        assert_eq!(task.dropped_queries, 1);
        assert_eq!(task.qrels["q1"]["d1"], 1);
        assert_eq!(task.qrels["q1"]["d3"], 0);
        assert_eq!(task.relevant("q1"), ["d1"]);
    }

    #[test]
    fn miracl_folder_with_topics_and_trec_qrels() {
        let dir = folder(&[
            ("corpus.jsonl", &CORPUS.replace("_id", "docid")),
            ("topics/dev.tsv", "7\tWie lang ist der Nil?\n8\tBrot\n"),
            ("qrels/dev.tsv", "7 Q0 d1 1\n8 Q0 d2 1\n8 Q0 d3 0\n"),
        ]);
        let task = load_retrieval_task(dir.path(), "dev", None).unwrap();
        assert_eq!(task.queries.len(), 2);
        assert_eq!(task.queries[0].text, "Wie lang ist der Nil?");
        assert_eq!(task.qrels["8"].len(), 2);
    }

    #[test]
    fn split_names_match_miracl_file_names() {
        assert!(names_split("topics.miracl-v1.0-de-dev.tsv", "dev"));
        assert!(names_split("qrels.miracl-v1.0-de-test-a.tsv", "test-a"));
        assert!(names_split("qrels_dev.trec", "dev"));
        assert!(!names_split("topics.miracl-v1.0-de-dev.tsv", "test"));
        assert!(!names_split("qrels.miracl-v1.0-de-devx.tsv", "dev"));
        assert!(!names_split("dev.jsonl", "dev"));
    }

    #[test]
    fn qrels_repeated_judgements_and_headers() {
        let dir = folder(&[
            ("same.tsv", "qid\tdocid\trel\nq1\td1\t1\nq1\td1\t1\n"),
            ("conflict.tsv", "q1 Q0 d1 1\nq1 Q0 d2 0\nq1 Q0 d1 2\n"),
            ("mixed.tsv", "q1\td1\t1\nq1 Q0 d2 1\n"),
            ("header-only.tsv", "query-id\tcorpus-id\tscore\n"),
        ]);
        let same = read_qrels(&dir.path().join("same.tsv")).unwrap();
        assert_eq!(same["q1"].len(), 1);
        let err = read_qrels(&dir.path().join("conflict.tsv"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("conflict.tsv: line 3:") && err.contains("line 1 says 1"),
            "{err}"
        );
        let err = read_qrels(&dir.path().join("mixed.tsv"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("mixed.tsv: line 2: 4 columns but line 1 has 3"),
            "{err}"
        );
        let err = read_qrels(&dir.path().join("header-only.tsv"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no judgements"), "{err}");
    }

    #[test]
    fn queries_format_is_sniffed_without_a_known_extension() {
        let dir = folder(&[
            ("queries.dat", "{\"query_id\": 3, \"query\": \"Brot\"}\n"),
            ("topics.dat", "3\tBrot\n"),
        ]);
        for name in ["queries.dat", "topics.dat"] {
            let q = read_queries(&dir.path().join(name)).unwrap();
            assert_eq!(
                q,
                [Query {
                    id: "3".into(),
                    text: "Brot".into()
                }]
            );
        }
    }

    #[test]
    fn bad_beir_inputs_name_file_and_line() {
        let ok_queries = ("queries.jsonl", "{\"_id\": \"q1\", \"text\": \"x\"}\n");
        let ok_qrels = ("qrels/test.tsv", "q1\td1\t1\n");
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                vec![
                    (
                        "corpus.jsonl",
                        "{\"_id\": \"d1\", \"text\": \"a\"}\n{oops\n",
                    ),
                    ok_queries,
                    ok_qrels,
                ],
                "corpus.jsonl: line 2: invalid JSON",
            ),
            (
                vec![
                    ("corpus.jsonl", "{\"_id\": \"d1\"}\n"),
                    ok_queries,
                    ok_qrels,
                ],
                "corpus.jsonl: line 1: missing `text`",
            ),
            (
                vec![
                    ("corpus.jsonl", "{\"_id\": \"d1\", \"text\": null}\n"),
                    ok_queries,
                    ok_qrels,
                ],
                "corpus.jsonl: line 1: `text` is null, expected a string",
            ),
            (
                vec![("corpus.jsonl", "[1, 2]\n"), ok_queries, ok_qrels],
                "corpus.jsonl: line 1: expected a JSON object, found an array",
            ),
            (
                vec![
                    (
                        "corpus.jsonl",
                        "{\"_id\": \"d1\", \"text\": \"a\"}\n{\"_id\": \"d1\", \"text\": \"b\"}\n",
                    ),
                    ok_queries,
                    ok_qrels,
                ],
                "corpus.jsonl: line 2: duplicate document id d1 (first on line 1)",
            ),
            (
                vec![("corpus.jsonl", ""), ok_queries, ok_qrels],
                "corpus.jsonl: no documents",
            ),
            (
                vec![
                    ("corpus.jsonl", CORPUS),
                    ("queries.jsonl", "{\"_id\": \"q1\", \"text\": \"  \"}\n"),
                    ok_qrels,
                ],
                "queries.jsonl: line 1: query q1 has an empty text",
            ),
            (
                vec![
                    ("corpus.jsonl", CORPUS),
                    ok_queries,
                    ("qrels/test.tsv", "q1\td1\thigh\n"),
                ],
                "test.tsv: line 1: relevance `high` is not an integer",
            ),
            (
                vec![
                    ("corpus.jsonl", CORPUS),
                    ok_queries,
                    ("qrels/test.tsv", "q1\td1\t1\nq1\td1\n"),
                ],
                "test.tsv: line 2: expected 3 (BEIR",
            ),
            (
                vec![
                    ("corpus.jsonl", CORPUS),
                    ok_queries,
                    ("qrels/test.tsv", "q1\td1\t1\nq1\td9\t1\n"),
                ],
                "test.tsv: line 2: document d9 (query q1) is not in corpus.jsonl",
            ),
            (
                vec![
                    ("corpus.jsonl", CORPUS),
                    ok_queries,
                    ("qrels/test.tsv", "q5\td1\t1\n"),
                ],
                "test.tsv: line 1: query q5 is not in queries.jsonl",
            ),
            (
                vec![
                    ("corpus.jsonl", CORPUS),
                    ok_queries,
                    ("qrels/test.tsv", "q1\td1\t0\n"),
                ],
                "test.tsv: no queries with a relevant",
            ),
            (vec![("corpus.jsonl", CORPUS), ok_queries], "no qrels file"),
            (
                vec![
                    ("corpus.jsonl", CORPUS),
                    ok_queries,
                    ("qrels/a-test.tsv", "q1\td1\t1\n"),
                    ("qrels/b-test.tsv", "q1\td1\t1\n"),
                ],
                "several qrels files for split `test`",
            ),
        ];
        for (files, expected) in cases {
            let dir = folder(&files);
            let err = load_retrieval_task(dir.path(), "test", None)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{expected}: {err}");
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }
}
