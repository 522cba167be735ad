//! SQuAD v1.1 JSON files, with or without LAReQA's sentence fields, read into checked
//! paragraphs whose sentence spans are known.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{DataError, Result};
use crate::splitter::split_sentences;
use crate::Lang;

pub use hbt_schema::SentenceSource;

#[derive(Deserialize)]
struct RawFile {
    data: Vec<RawArticle>,
}

#[derive(Deserialize)]
struct RawArticle {
    #[serde(default)]
    title: String,
    paragraphs: Vec<RawParagraph>,
}

#[derive(Deserialize)]
struct RawParagraph {
    context: String,
    qas: Vec<RawQa>,
    sentences: Option<Vec<String>>,
    sentence_breaks: Option<Vec<(usize, usize)>>,
}

#[derive(Deserialize)]
struct RawQa {
    id: String,
    question: String,
    answers: Vec<RawAnswer>,
}

#[derive(Deserialize)]
struct RawAnswer {
    answer_start: usize,
    #[serde(default)]
    text: String,
}

/// A question of a SQuAD file with the index of its answer sentence in its paragraph.
#[derive(Debug, Clone, PartialEq)]
pub struct SquadQuestion {
    /// The dataset's question id (shared by translations).
    pub id: String,
    /// The question text.
    pub text: String,
    /// Index into [`SquadParagraph::sentences`] of the sentence holding `answers[0].answer_start`.
    pub answer_sentence: usize,
    /// The answer span text, as given by the file.
    pub answer_text: String,
}

/// One paragraph with its sentences and questions.
#[derive(Debug, Clone, PartialEq)]
pub struct SquadParagraph {
    /// Title of the article the paragraph belongs to.
    pub title: String,
    /// The paragraph text.
    pub context: String,
    /// Its sentences, in order.
    pub sentences: Vec<String>,
    /// Sentence spans as `[start, end)` character offsets into `context`.
    pub breaks: Vec<(usize, usize)>,
    /// Questions whose answer lies in this paragraph.
    pub questions: Vec<SquadQuestion>,
}

/// One language's SQuAD file, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SquadFile {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its language (from the file name, e.g. `de.json`).
    pub lang: Lang,
    /// Paragraphs in file order; a candidate's identity is (lang, paragraph index, sentence index).
    pub paragraphs: Vec<SquadParagraph>,
}

impl SquadFile {
    /// Number of questions in the file.
    pub fn question_count(&self) -> usize {
        self.paragraphs.iter().map(|p| p.questions.len()).sum()
    }

    /// Number of candidate sentences in the file (every sentence of every paragraph).
    pub fn sentence_count(&self) -> usize {
        self.paragraphs.iter().map(|p| p.sentences.len()).sum()
    }
}

/// Reads and checks one SQuAD v1.1 file in language `lang`.
///
/// Every question must have an answer whose `answer_start` falls inside a sentence span; ids
/// must be unique in the file; shipped breaks must lie inside the paragraph. Errors name the
/// file and the question id or paragraph at fault.
pub fn read_squad_file(path: &Path, lang: Lang, source: SentenceSource) -> Result<SquadFile> {
    let bytes = crate::files::read_regular(path)?;
    let raw: RawFile = serde_json::from_slice(&bytes)
        .map_err(|e| DataError::format(path, format!("not a SQuAD v1.1 JSON file: {e}")))?;
    let mut seen = std::collections::HashSet::new();
    let mut paragraphs = Vec::new();
    for (a, article) in raw.data.into_iter().enumerate() {
        for (p, para) in article.paragraphs.into_iter().enumerate() {
            let where_ = format!("data[{a}].paragraphs[{p}]");
            let paragraph = check_paragraph(path, &where_, article.title.clone(), para, source)?;
            for q in &paragraph.questions {
                if !seen.insert(q.id.clone()) {
                    return Err(DataError::record(
                        path,
                        format!("question {}", q.id),
                        "duplicate question id",
                    ));
                }
            }
            paragraphs.push(paragraph);
        }
    }
    let file = SquadFile {
        path: path.to_path_buf(),
        lang,
        paragraphs,
    };
    if file.question_count() == 0 {
        return Err(DataError::empty(path, "questions"));
    }
    Ok(file)
}

fn check_paragraph(
    path: &Path,
    where_: &str,
    title: String,
    para: RawParagraph,
    source: SentenceSource,
) -> Result<SquadParagraph> {
    let char_len = para.context.chars().count();
    let (sentences, breaks) = match (source, para.sentences, para.sentence_breaks) {
        (SentenceSource::ShippedOrSplitter, Some(sentences), Some(breaks)) => {
            if sentences.len() != breaks.len() {
                return Err(DataError::record(
                    path,
                    where_,
                    format!(
                        "{} sentences but {} sentence_breaks",
                        sentences.len(),
                        breaks.len()
                    ),
                ));
            }
            if let Some(&(s, e)) = breaks.iter().find(|&&(s, e)| s > e || e > char_len) {
                return Err(DataError::record(
                    path,
                    where_,
                    format!(
                        "sentence break [{s}, {e}] outside the context ({char_len} characters)"
                    ),
                ));
            }
            (sentences, breaks)
        }
        _ => {
            let breaks = split_sentences(&para.context);
            let sentences = breaks
                .iter()
                .map(|&(s, e)| char_slice(&para.context, s, e))
                .collect();
            (sentences, breaks)
        }
    };
    let mut questions = Vec::with_capacity(para.qas.len());
    for qa in para.qas {
        let record = format!("question {}", qa.id);
        let answer = qa
            .answers
            .into_iter()
            .next()
            .ok_or_else(|| DataError::record(path, &record, "no answers"))?;
        let answer_sentence = breaks
            .iter()
            .position(|&(s, e)| s <= answer.answer_start && answer.answer_start < e)
            .ok_or_else(|| {
                DataError::record(
                    path,
                    &record,
                    format!(
                        "answer_start {} lies in no sentence of {where_}",
                        answer.answer_start
                    ),
                )
            })?;
        if qa.question.trim().is_empty() {
            return Err(DataError::record(path, &record, "empty question text"));
        }
        questions.push(SquadQuestion {
            id: qa.id,
            text: qa.question,
            answer_sentence,
            answer_text: answer.text,
        });
    }
    Ok(SquadParagraph {
        title,
        context: para.context,
        sentences,
        breaks,
        questions,
    })
}

/// The characters `[start, end)` of `text` (offsets in Unicode scalar values).
pub fn char_slice(text: &str, start: usize, end: usize) -> String {
    text.chars()
        .skip(start)
        .take(end.saturating_sub(start))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("en.json");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn en() -> Lang {
        Lang::parse("en").unwrap()
    }

    fn paragraph(qas: &str, extra: &str) -> String {
        format!(
            r#"{{"data": [{{"title": "t", "paragraphs": [{{"context": "Héllo there. Bye now.", "qas": [{qas}]{extra}}}]}}]}}"#
        )
    }

    #[test]
    fn shipped_breaks_pick_the_answer_sentence_by_character_offset() {
        let dir = tempfile::tempdir().unwrap();
        let qas = r#"{"id": "q1", "question": "Who leaves?", "answers": [{"answer_start": 13, "text": "Bye"}]}"#;
        let extra = r#", "sentences": ["Héllo there.", "Bye now."], "sentence_breaks": [[0, 12], [13, 21]]"#;
        let file = read_squad_file(
            &write(dir.path(), &paragraph(qas, extra)),
            en(),
            SentenceSource::ShippedOrSplitter,
        )
        .unwrap();
        let para = &file.paragraphs[0];
        assert_eq!(para.questions[0].answer_sentence, 1);
        assert_eq!(file.sentence_count(), 2);
        assert_eq!(char_slice(&para.context, 13, 21), "Bye now.");
    }

    #[test]
    fn files_without_sentence_fields_use_the_splitter() {
        let dir = tempfile::tempdir().unwrap();
        let qas =
            r#"{"id": "q1", "question": "Who?", "answers": [{"answer_start": 0, "text": "H"}]}"#;
        let file = read_squad_file(
            &write(dir.path(), &paragraph(qas, "")),
            en(),
            SentenceSource::ShippedOrSplitter,
        )
        .unwrap();
        let para = &file.paragraphs[0];
        assert_eq!(para.breaks, split_sentences(&para.context));
        assert_eq!(para.sentences.len(), para.breaks.len());
    }

    #[test]
    fn bad_records_name_the_file_and_the_question() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                paragraph(r#"{"id": "q9", "question": "?", "answers": []}"#, ""),
                "question q9: no answers",
            ),
            (
                paragraph(
                    r#"{"id": "q8", "question": "Where?", "answers": [{"answer_start": 99}]}"#,
                    "",
                ),
                "question q8: answer_start 99",
            ),
            (
                paragraph(
                    r#"{"id": "d", "question": "A?", "answers": [{"answer_start": 0}]}, {"id": "d", "question": "B?", "answers": [{"answer_start": 0}]}"#,
                    "",
                ),
                "question d: duplicate",
            ),
            (
                paragraph(
                    r#"{"id": "q1", "question": "A?", "answers": [{"answer_start": 0}]}"#,
                    r#", "sentences": ["x"], "sentence_breaks": [[0, 500]]"#,
                ),
                "data[0].paragraphs[0]: sentence break",
            ),
            ("{\"data\": [".to_string(), "not a SQuAD v1.1 JSON file"),
            (r#"{"data": []}"#.to_string(), "no questions"),
        ];
        for (text, expected) in cases {
            let err = read_squad_file(
                &write(dir.path(), &text),
                en(),
                SentenceSource::ShippedOrSplitter,
            )
            .unwrap_err()
            .to_string();
            assert!(
                err.contains("en.json") && err.contains(expected),
                "{expected}: {err}"
            );
            assert!(!err.contains('\n'), "one line: {err}");
        }
    }
}
