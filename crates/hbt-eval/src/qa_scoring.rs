//! How a QA evaluation gets its scores: from embeddings computed once per language
//! ([`DenseQa`]) or from BM25 indexes built per pool ([`Bm25Qa`]).

use std::collections::BTreeMap;

use burn::tensor::backend::Backend;
use hbt_data::task::QaTask;
use hbt_data::Lang;

use crate::bm25::{Bm25Index, Bm25Params, Bm25Scorer};
use crate::dense::DenseScorer;
use crate::embeddings::Embeddings;
use crate::error::{EvalError, Result};
use crate::search::Scorer;

/// Builds scorers for the searches of a QA evaluation.
pub trait QaScoring {
    /// A scorer whose queries are `queries` (language, index into that language's
    /// `questions`), in order, and whose pool is the candidates of the `pool` languages
    /// concatenated in the given order.
    fn scorer(
        &self,
        task: &QaTask,
        queries: &[(Lang, usize)],
        pool: &[Lang],
    ) -> Result<Box<dyn Scorer + '_>>;
}

/// Embeddings of a QA task, computed once per language and reused by every setting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QaEmbeddings {
    /// Per language: one row per question, in `LanguagePool::questions` order.
    pub questions: BTreeMap<Lang, Embeddings>,
    /// Per language: one row per candidate, in `LanguagePool::candidates` order.
    pub candidates: BTreeMap<Lang, Embeddings>,
}

impl QaEmbeddings {
    /// Checks that every task language has question and candidate embeddings with one row
    /// per question / candidate, all of one width; errors name the language and the counts.
    pub fn check(&self, task: &QaTask) -> Result<()> {
        let mut dim: Option<(usize, String)> = None;
        for (lang, pool) in &task.pools {
            for (what, map, expected) in [
                ("question", &self.questions, pool.questions.len()),
                ("candidate", &self.candidates, pool.candidates.len()),
            ] {
                let e = map.get(lang).ok_or_else(|| {
                    EvalError::Shape(format!("{}: no {what} embeddings for {lang}", task.name))
                })?;
                if e.rows() != expected {
                    return Err(EvalError::Shape(format!(
                        "{}: {lang} {what} embeddings have {} rows, the task has {expected} {what}s",
                        task.name,
                        e.rows()
                    )));
                }
                let here = format!("{lang} {what}");
                match &dim {
                    None => dim = Some((e.dim(), here)),
                    Some((d, first)) if *d != e.dim() => {
                        return Err(EvalError::Shape(format!(
                            "{}: {here} embeddings have {} dimensions, {first} embeddings {d}",
                            task.name,
                            e.dim()
                        )))
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }
}

/// Dense scoring of a QA task on backend `B` (dot products; normalise the embeddings first
/// for cosine).
pub struct DenseQa<'a, B: Backend> {
    embeddings: &'a QaEmbeddings,
    device: B::Device,
}

impl<'a, B: Backend> DenseQa<'a, B> {
    /// Checks `embeddings` against `task` ([`QaEmbeddings::check`]) and keeps them.
    pub fn new(task: &QaTask, embeddings: &'a QaEmbeddings, device: &B::Device) -> Result<Self> {
        embeddings.check(task)?;
        Ok(DenseQa {
            embeddings,
            device: device.clone(),
        })
    }

    fn get<'m>(
        map: &'m BTreeMap<Lang, Embeddings>,
        lang: Lang,
        what: &str,
    ) -> Result<&'m Embeddings> {
        map.get(&lang)
            .ok_or_else(|| EvalError::Shape(format!("no {what} embeddings for {lang}")))
    }
}

impl<B: Backend> QaScoring for DenseQa<'_, B> {
    fn scorer(
        &self,
        _task: &QaTask,
        queries: &[(Lang, usize)],
        pool: &[Lang],
    ) -> Result<Box<dyn Scorer + '_>> {
        let parts = pool
            .iter()
            .map(|&lang| Self::get(&self.embeddings.candidates, lang, "candidate"))
            .collect::<Result<Vec<_>>>()?;
        let pool = Embeddings::concat(parts)?;
        let mut data = Vec::with_capacity(queries.len() * pool.dim());
        for &(lang, i) in queries {
            let q = Self::get(&self.embeddings.questions, lang, "question")?;
            if i >= q.rows() {
                return Err(EvalError::Shape(format!(
                    "question {i} of {lang} is past its {} embeddings",
                    q.rows()
                )));
            }
            data.extend_from_slice(q.row(i));
        }
        let queries = Embeddings::new(data, queries.len(), pool.dim())?;
        Ok(Box::new(DenseScorer::<B>::new(
            queries,
            &pool,
            &self.device,
        )?))
    }
}

/// BM25 scoring of a QA task: one index per pool over the candidate texts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bm25Qa {
    /// BM25 parameters.
    pub params: Bm25Params,
    /// Index each candidate as its sentence followed by its paragraph
    /// (`QaTask::candidate_text`), else the sentence alone.
    pub with_context: bool,
}

impl QaScoring for Bm25Qa {
    fn scorer(
        &self,
        task: &QaTask,
        queries: &[(Lang, usize)],
        pool: &[Lang],
    ) -> Result<Box<dyn Scorer + '_>> {
        let mut texts = Vec::new();
        for &lang in pool {
            let candidates = task
                .pools
                .get(&lang)
                .ok_or_else(|| EvalError::Invalid(format!("{}: no language {lang}", task.name)))?
                .candidates
                .len();
            texts.extend((0..candidates).map(|i| task.candidate_text(lang, i, self.with_context)));
        }
        let index = Bm25Index::build(&texts, self.params)?;
        let mut question_texts = Vec::with_capacity(queries.len());
        for &(lang, i) in queries {
            let q = task
                .pools
                .get(&lang)
                .and_then(|p| p.questions.get(i))
                .ok_or_else(|| {
                    EvalError::Invalid(format!("{}: no question {i} in {lang}", task.name))
                })?;
            question_texts.push(q.text.as_str());
        }
        Ok(Box::new(Bm25Scorer::new(index, question_texts)))
    }
}
