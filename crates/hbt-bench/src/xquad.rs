//! What every benchmark runs on: the XQuAD-R data (loaded as the pipeline loads it) and the
//! sizes of the from-scratch encoder.

use anyhow::{bail, Context, Result};
use hbt_data::lareqa::read_lareqa_dir;
use hbt_data::task::QaTask;
use hbt_data::tokenize::TextTokenizer;
use hbt_data::Lang;
use hbt_model::{EncoderConfig, ModelFamily, PoolingMode};
use hbt_pipeline::datasets::{self, SourceKind};
use hbt_pipeline::stages::data::{load_eval_task, EvalTask};
use hbt_pipeline::{Locations, Progress};
use hbt_schema::SentenceSource;

use crate::shape::BenchShape;

/// The dataset every benchmark reads.
pub(crate) const DATASET: &str = "xquad-r";
/// Tokenizer size asked for and truncation length (special tokens included).
pub(crate) const VOCAB_SIZE: usize = 8000;
pub(crate) const MAX_LEN: usize = 128;

/// XQuAD-R as a question-answer task (all 11 languages, shipped sentences).
pub(crate) fn task(locations: &Locations, progress: &dyn Progress) -> Result<QaTask> {
    let (task, _) = load_eval_task(
        DATASET,
        SentenceSource::ShippedOrSplitter,
        locations,
        progress,
    )?;
    let EvalTask::Qa(task) = task else {
        bail!("dataset `{DATASET}` is not a question-answer task")
    };
    Ok(task)
}

/// Every XQuAD-R question with the text of its answer sentence, language by language.
pub(crate) fn pairs(
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<Vec<(String, String)>> {
    let task = task(locations, progress)?;
    let mut pairs = Vec::new();
    for (lang, pool) in &task.pools {
        for question in &pool.questions {
            let answer = task.candidate_text(*lang, question.answer, false);
            pairs.push((question.text.clone(), answer));
        }
    }
    Ok(pairs)
}

/// The candidate sentences of XQuAD-R in `language`, in file order.
pub(crate) fn candidates(
    language: &str,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<Vec<String>> {
    let source = datasets::resolve(DATASET, locations, progress)?;
    let SourceKind::Lareqa(dir) = &source.kind else {
        bail!("dataset `{DATASET}` is not a LAReQA-layout folder");
    };
    let lang = Lang::parse(language)?;
    let dataset = read_lareqa_dir(dir, Some(&[lang]), SentenceSource::ShippedOrSplitter)?;
    let task = dataset.task();
    let pool = task
        .pools
        .get(&lang)
        .with_context(|| format!("{}: no {language} candidates", dir.display()))?;
    Ok(pool.candidates.iter().map(|c| c.text.clone()).collect())
}

/// The encoder of the encode and eval benchmarks: XLM-R family, mean pooling, sized to the
/// tokenizer (vocabulary, pad id, max_len).
pub(crate) fn xlmr_config(tokenizer: &TextTokenizer, shape: BenchShape) -> EncoderConfig {
    let pad_id = tokenizer.pad_id();
    let mut config = EncoderConfig::new(
        ModelFamily::XlmRoberta,
        shape.vocab_rows(tokenizer.vocab_size()),
        shape.hidden(),
        shape.layers(),
        shape.heads(),
        shape.intermediate(),
        // XLM-R positions start after the pad id, so the table needs max_len + pad + 1 rows.
        MAX_LEN + pad_id as usize + 1,
    );
    config.pad_token_id = pad_id;
    config.pooling = PoolingMode::Mean;
    config
}
