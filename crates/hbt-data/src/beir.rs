//! BEIR / MIRACL folders: a monolingual ad-hoc retrieval task.
//!
//! Layout: `corpus.jsonl` (`_id` or `docid`, optional `title`, `text`); queries as
//! `queries.jsonl` (`_id`/`query_id`, `text`/`query`) or a topics TSV (`qid<TAB>text`, e.g.
//! MIRACL `topics/*.tsv`); qrels as BEIR TSV (`query-id corpus-id score`, optional header,
//! `qrels/SPLIT.tsv`) or TREC (`qid Q0 docid rel`). Queries without a positive judgement on a
//! document of the corpus are dropped (the BEIR convention); qrels naming an unknown query or
//! document are errors.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{DataError, Result};
use crate::lang::Lang;

/// A corpus document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Document id.
    pub id: String,
    /// Title (may be empty).
    pub title: String,
    /// Body text.
    pub text: String,
}

/// A query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Query id.
    pub id: String,
    /// Query text.
    pub text: String,
}

/// Relevance judgements: query id → document id → grade.
pub type Qrels = BTreeMap<String, BTreeMap<String, i32>>;

/// A monolingual ad-hoc retrieval task.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievalTask {
    /// Task name (the folder name).
    pub name: String,
    /// Language of queries and documents, when known.
    pub lang: Option<Lang>,
    /// The documents.
    pub corpus: Vec<Document>,
    /// Queries with at least one relevant document in the corpus.
    pub queries: Vec<Query>,
    /// Judgements of the kept queries.
    pub qrels: Qrels,
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
    pub fn discover(dir: &Path, split: &str) -> Result<BeirPaths> {
        let first = |candidates: Vec<PathBuf>, what: &str| {
            candidates
                .iter()
                .find(|p| p.is_file())
                .cloned()
                .ok_or_else(|| DataError::Io {
                    path: dir.to_path_buf(),
                    message: format!("no {what} file (looked for {})", names(&candidates)),
                })
        };
        let corpus = first(vec![dir.join("corpus.jsonl")], "corpus")?;
        let queries = first(
            vec![
                dir.join("queries.jsonl"),
                dir.join(format!("topics/{split}.tsv")),
                dir.join("topics.tsv"),
            ],
            "queries",
        )?;
        let qrels = first(
            vec![
                dir.join(format!("qrels/{split}.tsv")),
                dir.join(format!("qrels/{split}.trec")),
                dir.join("qrels.tsv"),
            ],
            "qrels",
        )?;
        Ok(BeirPaths {
            corpus,
            queries,
            qrels,
        })
    }
}

fn names(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Loads the retrieval task of `split` from a BEIR / MIRACL folder.
pub fn load_retrieval_task(dir: &Path, split: &str, lang: Option<Lang>) -> Result<RetrievalTask> {
    let paths = BeirPaths::discover(dir, split)?;
    let corpus = read_corpus(&paths.corpus)?;
    let all_queries = read_queries(&paths.queries)?;
    let qrels = read_qrels(&paths.qrels)?;
    let doc_ids: HashSet<&str> = corpus.iter().map(|d| d.id.as_str()).collect();
    let query_ids: HashSet<&str> = all_queries.iter().map(|q| q.id.as_str()).collect();
    for (qid, docs) in &qrels {
        if !query_ids.contains(qid.as_str()) {
            return Err(DataError::record(
                &paths.qrels,
                format!("query {qid}"),
                "not in the queries file",
            ));
        }
        if let Some(doc) = docs.keys().find(|d| !doc_ids.contains(d.as_str())) {
            return Err(DataError::record(
                &paths.qrels,
                format!("query {qid}"),
                format!("document {doc} is not in the corpus"),
            ));
        }
    }
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
            "queries with a relevant document",
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
        queries,
        qrels,
    })
}

/// Reads `corpus.jsonl`; errors name the line.
pub fn read_corpus(path: &Path) -> Result<Vec<Document>> {
    let mut seen = HashSet::new();
    let mut docs = Vec::new();
    for (line_no, record) in json_lines(path)? {
        let id = string_field(path, line_no, &record, &["_id", "docid"])?;
        let text = string_field(path, line_no, &record, &["text"])?;
        let title = record
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !seen.insert(id.clone()) {
            return Err(DataError::record(
                path,
                format!("line {line_no}"),
                format!("duplicate document id {id}"),
            ));
        }
        docs.push(Document { id, title, text });
    }
    if docs.is_empty() {
        return Err(DataError::empty(path, "documents"));
    }
    Ok(docs)
}

/// Reads queries from `queries.jsonl` or a topics TSV (`qid<TAB>text`).
pub fn read_queries(path: &Path) -> Result<Vec<Query>> {
    let mut queries = Vec::new();
    if path.extension().is_some_and(|e| e == "jsonl") {
        for (line_no, record) in json_lines(path)? {
            let id = string_field(path, line_no, &record, &["_id", "query_id"])?;
            let text = string_field(path, line_no, &record, &["text", "query"])?;
            queries.push((line_no, Query { id, text }));
        }
    } else {
        for (i, line) in read_text(path)?.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let (id, text) = line.split_once('\t').ok_or_else(|| {
                DataError::record(
                    path,
                    format!("line {}", i + 1),
                    "expected `qid<TAB>query text`",
                )
            })?;
            queries.push((
                i + 1,
                Query {
                    id: id.trim().to_string(),
                    text: text.trim().to_string(),
                },
            ));
        }
    }
    let mut seen = HashSet::new();
    for (line_no, q) in &queries {
        if !seen.insert(q.id.as_str()) {
            return Err(DataError::record(
                path,
                format!("line {line_no}"),
                format!("duplicate query id {}", q.id),
            ));
        }
    }
    if queries.is_empty() {
        return Err(DataError::empty(path, "queries"));
    }
    Ok(queries.into_iter().map(|(_, q)| q).collect())
}

/// Reads qrels in BEIR TSV (3 columns, optional header) or TREC (4 columns) format.
pub fn read_qrels(path: &Path) -> Result<Qrels> {
    let mut qrels = Qrels::new();
    for (i, line) in read_text(path)?.lines().enumerate() {
        let record = format!("line {}", i + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (qid, doc, grade) = match fields[..] {
            [] => continue,
            [q, _, _] if i == 0 && q.eq_ignore_ascii_case("query-id") => continue,
            [q, d, g] | [q, _, d, g] => (q, d, g),
            _ => {
                return Err(DataError::record(
                    path,
                    record,
                    format!(
                        "expected 3 (BEIR) or 4 (TREC) columns, found {}",
                        fields.len()
                    ),
                ))
            }
        };
        let grade: i32 = grade.parse().map_err(|_| {
            DataError::record(
                path,
                &record,
                format!("relevance `{grade}` is not an integer"),
            )
        })?;
        qrels
            .entry(qid.to_string())
            .or_default()
            .insert(doc.to_string(), grade);
    }
    if qrels.is_empty() {
        return Err(DataError::empty(path, "judgements"));
    }
    Ok(qrels)
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))
}

/// Non-empty lines of a JSONL file parsed as JSON objects, with 1-based line numbers.
fn json_lines(path: &Path) -> Result<Vec<(usize, Value)>> {
    let mut out = Vec::new();
    for (i, line) in read_text(path)?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(line).map_err(|e| {
            DataError::record(
                path,
                format!("line {}", i + 1),
                format!("invalid JSON: {e}"),
            )
        })?;
        out.push((i + 1, value));
    }
    Ok(out)
}

/// The first of `keys` present as a string (or number, for ids) in `record`.
fn string_field(path: &Path, line_no: usize, record: &Value, keys: &[&str]) -> Result<String> {
    keys.iter()
        .find_map(|k| match record.get(*k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .ok_or_else(|| {
            DataError::record(
                path,
                format!("line {line_no}"),
                format!("missing `{}`", keys.join("` or `")),
            )
        })
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
        assert_eq!(task.qrels["q1"]["d1"], 1);
        assert_eq!(task.qrels["q1"]["d3"], 0);
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
                    (
                        "corpus.jsonl",
                        "{\"_id\": \"d1\", \"text\": \"a\"}\n{\"_id\": \"d1\", \"text\": \"b\"}\n",
                    ),
                    ok_queries,
                    ok_qrels,
                ],
                "duplicate document id d1",
            ),
            (
                vec![("corpus.jsonl", ""), ok_queries, ok_qrels],
                "no documents",
            ),
            (
                vec![
                    ("corpus.jsonl", CORPUS),
                    ok_queries,
                    ("qrels/test.tsv", "q1\td1\thigh\n"),
                ],
                "test.tsv: line 1: relevance `high`",
            ),
            (
                vec![
                    ("corpus.jsonl", CORPUS),
                    ok_queries,
                    ("qrels/test.tsv", "q1\td9\t1\n"),
                ],
                "document d9 is not in the corpus",
            ),
            (
                vec![
                    ("corpus.jsonl", CORPUS),
                    ok_queries,
                    ("qrels/test.tsv", "q5\td1\t1\n"),
                ],
                "query q5: not in the queries file",
            ),
            (vec![("corpus.jsonl", CORPUS), ok_queries], "no qrels file"),
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
