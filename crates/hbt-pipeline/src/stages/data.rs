//! The data stage: load training sources and evaluation tasks, refuse train/eval overlap,
//! split train/dev, train or load the tokenizer, and record statistics.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use hbt_data::beir::{load_retrieval_task, RetrievalTask};
use hbt_data::bitext;
use hbt_data::lareqa::read_lareqa_dir;
use hbt_data::qa_rows::read_qa_rows;
use hbt_data::split::{check_zero_shot, split_train_dev, TrainDevSplit};
use hbt_data::task::QaTask;
use hbt_data::tokenize::TextTokenizer;
use hbt_data::{Lang, ParallelGroup, TranslationPair};
use hbt_hub::ResolvedModel;
use hbt_schema::{
    DataFile, DataStats, EvalTaskStats, ExperimentConfig, GroupSummary, QaLanguageStats,
    SentenceSource, TokenStats, TokenizerStats, TrainSourceStats, DATA_STATS_FILE,
};

use crate::datasets::{self, SourceKind};
use crate::locations::Locations;
use crate::pretrained;
use crate::progress::{Progress, StageLog};
use crate::run_dir::RunDir;

/// One training source after loading, filtering and splitting.
pub struct LoadedSource {
    /// The reference from the experiment file.
    pub reference: String,
    /// Its parallel groups, split into train and dev.
    pub groups: TrainDevSplit,
    /// Its translation pairs (cross-lingual training pairs).
    pub pairs: Vec<TranslationPair>,
}

/// An evaluation task.
pub enum EvalTask {
    /// QA retrieval with a multilingual pool (XQuAD-R, MLQA-R).
    Qa(QaTask),
    /// Monolingual ad-hoc retrieval (BEIR / MIRACL).
    Retrieval(RetrievalTask),
    /// Bitext retrieval: find each line's translation.
    Bitext(bitext::BitextTask),
}

/// Everything later stages need from the data stage.
pub struct PreparedData {
    /// Training sources.
    pub sources: Vec<LoadedSource>,
    /// Evaluation tasks, by reference.
    pub eval: Vec<(String, EvalTask)>,
    /// The tokenizer (saved as tokenizer.json in the run folder), with `[model]`'s query and
    /// passage prefixes.
    pub tokenizer: TextTokenizer,
    /// The pretrained model of `model.pretrained`, resolved to local files.
    pub pretrained: Option<ResolvedModel>,
    /// Every data file read, with sha256.
    pub files: Vec<DataFile>,
}

/// Runs the data stage of one run, writing tokenizer.json, data_stats.json and dev_groups.txt.
pub fn run(
    config: &ExperimentConfig,
    locations: &Locations,
    run_dir: &RunDir,
    progress: &dyn Progress,
) -> Result<PreparedData> {
    let log = StageLog::start(
        progress,
        "data",
        "loading training sources and evaluation tasks",
    );
    let pretrained = match config.model.pretrained.as_str() {
        "" => None,
        text => {
            let model =
                pretrained::resolve(text, locations, progress).context("key `model.pretrained`")?;
            log.note(&format!("pretrained model: {}", model.folder.display()));
            Some(model)
        }
    };
    let data = &config.data;
    let sentences = data.sentences;
    let languages = &data.train_languages;
    let mut files = Vec::new();

    let mut eval = Vec::new();
    for reference in &data.eval {
        let (task, task_files) =
            load_eval_task(reference, sentences, locations, progress).context("key `data.eval`")?;
        files.extend(task_files);
        log.note(&format!("eval {reference}: {}", describe_task(&task)));
        eval.push((reference.clone(), task));
    }

    let mut sources = Vec::new();
    for reference in &data.train {
        let source =
            datasets::resolve(reference, locations, progress).context("key `data.train`")?;
        files.extend(source.files.clone());
        let (groups, pairs) = match &source.kind {
            SourceKind::Lareqa(dir) => {
                (read_lareqa_dir(dir, None, sentences)?.groups(), Vec::new())
            }
            SourceKind::QaRows(path) => (read_qa_rows(path)?, Vec::new()),
            SourceKind::Bitext(path) => (Vec::new(), read_pairs(path)?),
            SourceKind::Beir(dir) => bail!(
                "key `data.train`: {}: a BEIR folder is an evaluation task, not a training source",
                dir.display()
            ),
        };
        let (groups, pairs) = keep_languages(groups, pairs, languages);
        if groups.is_empty() && pairs.is_empty() {
            bail!(
                "key `data.train_languages`: training source `{reference}` has no data in {}",
                join(languages)
            );
        }
        for (name, task) in &eval {
            if let EvalTask::Qa(task) = task {
                let ids = task
                    .pools
                    .values()
                    .flat_map(|p| p.questions.iter().map(|q| q.group_id.as_str()));
                check_zero_shot(&groups, name, ids)
                    .with_context(|| format!("training source `{reference}`"))?;
            }
        }
        let groups = split_train_dev(groups, data.dev_fraction, config.seed)?;
        log.note(&format!(
            "train {reference}: {} groups ({} train, {} dev), {} translation pairs",
            groups.train.len() + groups.dev.len(),
            groups.train.len(),
            groups.dev.len(),
            pairs.len()
        ));
        sources.push(LoadedSource {
            reference: reference.clone(),
            groups,
            pairs,
        });
    }

    let tokenizer = tokenizer_for(config, &sources, pretrained.as_ref())?
        .with_prefixes(config.model.prefixes());
    tokenizer.save(&run_dir.path().join("tokenizer.json"))?;
    log.note(&format!(
        "tokenizer: {} tokens, max_len {}",
        tokenizer.vocab_size(),
        tokenizer.max_len()
    ));

    let stats = statistics(config, &sources, &eval, &tokenizer)?;
    run_dir.write_json(DATA_STATS_FILE, &stats)?;
    let dev_ids: Vec<&str> = sources
        .iter()
        .flat_map(|s| s.groups.dev.iter().map(|g| g.id.as_str()))
        .collect();
    run_dir.write(
        "dev_groups.txt",
        format!("{}\n", dev_ids.join("\n")).as_bytes(),
    )?;
    log.note("wrote tokenizer.json, data_stats.json, dev_groups.txt");
    Ok(PreparedData {
        sources,
        eval,
        tokenizer,
        pretrained,
        files,
    })
}

/// Loads the evaluation task `reference` (a dataset name or path), with the files it read.
pub fn load_eval_task(
    reference: &str,
    sentences: SentenceSource,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<(EvalTask, Vec<DataFile>)> {
    let source = datasets::resolve(reference, locations, progress)?;
    let task = match &source.kind {
        SourceKind::Lareqa(dir) => EvalTask::Qa(read_lareqa_dir(dir, None, sentences)?.task()),
        SourceKind::Beir(dir) => EvalTask::Retrieval(load_retrieval_task(dir, "test", None)?),
        SourceKind::Bitext(path) => EvalTask::Bitext(bitext::BitextTask::from_pairs(
            reference,
            &read_pairs(path)?,
        )?),
        SourceKind::QaRows(path) => bail!(
            "{}: QA rows are a training source, not an evaluation task",
            path.display()
        ),
    };
    Ok((task, source.files))
}

fn read_pairs(path: &std::path::Path) -> Result<Vec<TranslationPair>> {
    Ok(bitext::read_pairs(path)?)
}

fn join(languages: &[Lang]) -> String {
    languages
        .iter()
        .map(Lang::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Keeps only members (and pairs) in `languages`; an empty list keeps everything.
fn keep_languages(
    groups: Vec<ParallelGroup>,
    pairs: Vec<TranslationPair>,
    languages: &[Lang],
) -> (Vec<ParallelGroup>, Vec<TranslationPair>) {
    if languages.is_empty() {
        return (groups, pairs);
    }
    let groups = groups
        .into_iter()
        .filter_map(|mut g| {
            g.members.retain(|lang, _| languages.contains(lang));
            (!g.members.is_empty()).then_some(g)
        })
        .collect();
    let pairs = pairs
        .into_iter()
        .filter(|p| languages.contains(&p.source_lang) && languages.contains(&p.target_lang))
        .collect();
    (groups, pairs)
}

/// The tokenizer of `tokenizer.pretrained`, else the pretrained model's own, else one trained
/// on the training split's text only.
fn tokenizer_for(
    config: &ExperimentConfig,
    sources: &[LoadedSource],
    pretrained: Option<&ResolvedModel>,
) -> Result<TextTokenizer> {
    let tok = &config.tokenizer;
    if !tok.pretrained.is_empty() {
        return TextTokenizer::load(std::path::Path::new(&tok.pretrained), tok.max_len)
            .context("key `tokenizer.pretrained`");
    }
    if let Some(model) = pretrained {
        return TextTokenizer::load(&model.tokenizer, tok.max_len)
            .context("key `model.pretrained`");
    }
    let with_context = config.data.candidate_context;
    let mut texts: Vec<&str> = Vec::new();
    for source in sources {
        for member in source.groups.train.iter().flat_map(|g| g.members.values()) {
            texts.push(&member.question);
            texts.push(&member.answer);
            if let (true, Some(context)) = (with_context, &member.context) {
                texts.push(context);
            }
        }
        for pair in &source.pairs {
            texts.push(&pair.source);
            texts.push(&pair.target);
        }
    }
    Ok(TextTokenizer::train(
        texts.into_iter(),
        tok.vocab_size,
        tok.max_len,
    )?)
}

fn describe_task(task: &EvalTask) -> String {
    match task {
        EvalTask::Qa(t) => {
            let q: usize = t.pools.values().map(|p| p.questions.len()).sum();
            let c: usize = t.pools.values().map(|p| p.candidates.len()).sum();
            format!("{} languages, {q} questions, {c} candidates", t.pools.len())
        }
        EvalTask::Retrieval(t) => {
            format!("{} queries, {} documents", t.queries.len(), t.corpus.len())
        }
        EvalTask::Bitext(t) => format!(
            "{} aligned lines {}-{}",
            t.source.len(),
            t.source_lang,
            t.target_lang
        ),
    }
}

/// Token-length statistics of some texts under the tokenizer.
fn token_stats(tokenizer: &TextTokenizer, texts: &[&str]) -> Result<TokenStats> {
    let mut total = 0usize;
    let mut truncated = 0usize;
    for text in texts {
        let n = tokenizer.encode(text)?.len();
        total += n;
        truncated += usize::from(n >= tokenizer.max_len());
    }
    let n = texts.len().max(1) as f64;
    Ok(TokenStats {
        texts: texts.len(),
        mean_tokens: total as f64 / n,
        share_at_max_len: truncated as f64 / n,
    })
}

fn statistics(
    config: &ExperimentConfig,
    sources: &[LoadedSource],
    eval: &[(String, EvalTask)],
    tokenizer: &TextTokenizer,
) -> Result<DataStats> {
    let train = sources
        .iter()
        .map(|s| TrainSourceStats {
            source: s.reference.clone(),
            groups: GroupSummary::of(
                s.groups
                    .train
                    .iter()
                    .chain(&s.groups.dev)
                    .map(|g| g.languages()),
            ),
            train_groups: s.groups.train.len(),
            dev_groups: s.groups.dev.len(),
            translation_pairs: s.pairs.len(),
        })
        .collect();
    let mut eval_stats = Vec::new();
    for (name, task) in eval {
        let stats = match task {
            EvalTask::Qa(t) => {
                let mut languages = BTreeMap::new();
                for (lang, pool) in &t.pools {
                    let questions: Vec<&str> =
                        pool.questions.iter().map(|q| q.text.as_str()).collect();
                    let candidates: Vec<String> = (0..pool.candidates.len())
                        .map(|i| t.candidate_text(*lang, i, config.data.candidate_context))
                        .collect();
                    let candidates: Vec<&str> = candidates.iter().map(String::as_str).collect();
                    languages.insert(
                        *lang,
                        QaLanguageStats {
                            questions: pool.questions.len(),
                            candidates: pool.candidates.len(),
                            question_tokens: token_stats(tokenizer, &questions)?,
                            candidate_tokens: token_stats(tokenizer, &candidates)?,
                        },
                    );
                }
                EvalTaskStats::Qa {
                    task: name.clone(),
                    languages,
                }
            }
            EvalTask::Retrieval(t) => EvalTaskStats::Retrieval {
                task: name.clone(),
                queries: t.queries.len(),
                documents: t.corpus.len(),
            },
            EvalTask::Bitext(t) => EvalTaskStats::Bitext {
                task: name.clone(),
                lines: t.source.len(),
            },
        };
        eval_stats.push(stats);
    }
    Ok(DataStats {
        train,
        eval: eval_stats,
        tokenizer: TokenizerStats {
            vocab_size: tokenizer.vocab_size(),
            max_len: tokenizer.max_len(),
            pretrained: config.tokenizer.pretrained.clone(),
        },
    })
}
