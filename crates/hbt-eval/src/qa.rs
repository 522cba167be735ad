//! Evaluation of a QA task with a multilingual candidate pool (XQuAD-R, MLQA-R) in the three
//! settings of the design notes, with the language-bias measures of the multi setting.
//!
//! * **mono**: Q_X against C_X; relevant = the question's own answer sentence.
//! * **cross**: Q_X against C_Y for each ordered X ≠ Y; relevant = the group's answer sentence
//!   in Y. Questions whose group does not exist in Y are skipped (counted in
//!   [`QaEvaluation::cross_skipped`]); a pair without shared questions is left out.
//! * **multi**: Q_X against the candidates of every language (concatenated in language
//!   order); relevant = the group's answer sentence in every language where it exists.
//!
//! Mono and cross share one search per pool language Y (every query language at once), and
//! multi is one more search, so a task of L languages costs L + 1 searches whatever the
//! number of pairs. The `mean` of a setting is the unweighted mean over its languages or
//! pairs. **Rank distance** is max − min rank over the relevant items of a multi query with
//! |R| ≥ 2; **same-language share@10** is the fraction of a multi query's top 10 in the
//! query's language, averaged per query language, next to that language's share of the pool.

use std::collections::BTreeMap;
use std::sync::Arc;

use hbt_data::task::QaTask;
use hbt_data::Lang;

use crate::error::{EvalError, Result};
use crate::metrics::{mean_median, MetricsSum, QueryMetrics};
use crate::progress::Progress;
use crate::qa_scoring::QaScoring;
use crate::rows::{PerQueryRow, Setting, ALL_LANGUAGES};
use crate::search::{search, QueryRanking, SearchOptions};
use crate::trec::{TrecQuery, TrecRun};
use hbt_schema::metrics::{
    CrossMetrics, LanguageShare, MonoMetrics, MultiMetrics, QaKind, QaMetrics, RankDistance,
    RankDistanceStats,
};
use hbt_schema::Measures;

/// The cut-off of the same-language share.
const SHARE_DEPTH: usize = 10;

/// Everything a QA evaluation produces.
#[derive(Debug, Clone, PartialEq)]
pub struct QaEvaluation {
    /// The task object of `metrics.json`.
    pub metrics: QaMetrics,
    /// One row per query and setting (mono and cross by pool language, then multi).
    pub rows: Vec<PerQueryRow>,
    /// TREC runs (empty unless `options.top_k` > 0): one per mono language, cross pair and
    /// multi query language.
    pub runs: Vec<TrecRun>,
    /// Cross queries skipped because their group does not exist in the pool language.
    pub cross_skipped: usize,
}

/// Evaluates `task` in the mono, cross and multi settings with scores from `scoring`.
/// `train_languages` gives the zero-shot languages (task languages not among them);
/// `options.top_k` > 0 keeps that many hits per query for TREC runs.
///
/// Errors: a task without languages or questions, embeddings that do not fit the task, a
/// scorer error, a NaN score.
pub fn evaluate_qa(
    task: &QaTask,
    scoring: &dyn QaScoring,
    train_languages: &[Lang],
    options: &SearchOptions,
    progress: &mut Progress<'_>,
) -> Result<QaEvaluation> {
    let langs = task.languages();
    if langs.is_empty() {
        return Err(EvalError::Invalid(format!(
            "{}: the task has no languages",
            task.name
        )));
    }
    let mut rows = Vec::new();
    let mut runs = Vec::new();
    let mut mono: BTreeMap<Lang, MetricsSum> = BTreeMap::new();
    let mut cross: BTreeMap<(Lang, Lang), MetricsSum> = BTreeMap::new();
    let mut cross_skipped = 0;

    for &y in &langs {
        let mut queries = Vec::new();
        let mut relevant = Vec::new();
        for &x in &langs {
            for (i, q) in task.pools[&x].questions.iter().enumerate() {
                let rel = if x == y {
                    vec![q.answer]
                } else {
                    answers_in(task, &q.group_id, y)
                };
                if rel.is_empty() {
                    cross_skipped += 1;
                    continue;
                }
                queries.push((x, i));
                relevant.push(rel);
            }
        }
        if queries.is_empty() {
            continue;
        }
        let label = format!("{} pool {y}", task.name);
        let ranked = run_search(
            task,
            scoring,
            &queries,
            &[y],
            &relevant,
            options,
            &label,
            progress,
        )?;
        let mut trec = TrecQueries::new(task, &[y], options.top_k);
        for ((&(x, i), rel), ranking) in queries.iter().zip(&relevant).zip(ranked) {
            let group = &task.pools[&x].questions[i].group_id;
            let (setting, sum) = if x == y {
                (Setting::Mono, mono.entry(x).or_default())
            } else {
                (Setting::Cross, cross.entry((x, y)).or_default())
            };
            let m = QueryMetrics::from_ranks(&ranking.relevant_ranks, rel.len())?;
            sum.add(m.as_ref());
            if let Some(m) = &m {
                rows.push(PerQueryRow::new(
                    &task.name,
                    setting,
                    x.as_str(),
                    y.as_str(),
                    group,
                    m,
                    &ranking.relevant_ranks,
                ));
            }
            trec.add(x, group, ranking, rel);
        }
        trec.push_runs(task, |x| mono_or_cross(x, y), y.as_str(), &mut runs);
    }

    let multi = evaluate_multi(
        task, &langs, scoring, options, progress, &mut rows, &mut runs,
    )?;

    let (mono_per, mono_mean) = per_language_means(task, &mono)?;
    let pairs: BTreeMap<String, Measures> = cross
        .iter()
        .filter_map(|((x, y), s)| Some((format!("{x}-{y}"), s.mean()?)))
        .collect();
    let cross = Measures::mean_of(pairs.values()).map(|mean| CrossMetrics { mean, pairs });
    let zero_shot_languages = langs
        .iter()
        .copied()
        .filter(|l| !train_languages.contains(l))
        .collect();
    Ok(QaEvaluation {
        metrics: QaMetrics {
            task: task.name.clone(),
            kind: QaKind::Kind,
            languages: langs,
            zero_shot_languages,
            mono: MonoMetrics {
                mean: mono_mean,
                per_language: mono_per,
            },
            cross,
            multi,
        },
        rows,
        runs,
        cross_skipped,
    })
}

/// The multi setting: one search of every question against every candidate.
fn evaluate_multi(
    task: &QaTask,
    langs: &[Lang],
    scoring: &dyn QaScoring,
    options: &SearchOptions,
    progress: &mut Progress<'_>,
    rows: &mut Vec<PerQueryRow>,
    runs: &mut Vec<TrecRun>,
) -> Result<MultiMetrics> {
    // Pool offsets and the language of every pool item.
    let mut offsets = BTreeMap::new();
    let mut pool_lang: Vec<Lang> = Vec::new();
    for &l in langs {
        offsets.insert(l, pool_lang.len());
        pool_lang.extend(std::iter::repeat_n(l, task.pools[&l].candidates.len()));
    }
    let mut queries = Vec::new();
    let mut relevant = Vec::new();
    for &x in langs {
        for (i, q) in task.pools[&x].questions.iter().enumerate() {
            let mut rel: Vec<usize> = task
                .answers_of(&q.group_id)
                .iter()
                .filter_map(|(l, a)| offsets.get(l).map(|o| o + a))
                .collect();
            if !rel.contains(&(offsets[&x] + q.answer)) {
                rel.push(offsets[&x] + q.answer);
            }
            rel.sort_unstable();
            rel.dedup();
            queries.push((x, i));
            relevant.push(rel);
        }
    }
    let label = format!("{} multi", task.name);
    let search_options = SearchOptions {
        top_k: options.top_k.max(SHARE_DEPTH),
        ..*options
    };
    let ranked = run_search(
        task,
        scoring,
        &queries,
        langs,
        &relevant,
        &search_options,
        &label,
        progress,
    )?;
    let mut trec = TrecQueries::new(task, langs, options.top_k);

    let mut sums: BTreeMap<Lang, MetricsSum> = BTreeMap::new();
    let mut distances: BTreeMap<Lang, Vec<f64>> = BTreeMap::new();
    let mut shares: BTreeMap<Lang, (f64, usize)> = BTreeMap::new();
    for ((&(x, i), rel), ranking) in queries.iter().zip(&relevant).zip(ranked) {
        let group = &task.pools[&x].questions[i].group_id;
        let ranks = &ranking.relevant_ranks;
        let m = QueryMetrics::from_ranks(ranks, rel.len())?;
        sums.entry(x).or_default().add(m.as_ref());
        if let Some(m) = &m {
            rows.push(PerQueryRow::new(
                &task.name,
                Setting::Multi,
                x.as_str(),
                ALL_LANGUAGES,
                group,
                m,
                ranks,
            ));
        }
        if ranks.len() >= 2 {
            let (lo, hi) = (ranks.iter().min(), ranks.iter().max());
            if let (Some(lo), Some(hi)) = (lo, hi) {
                distances.entry(x).or_default().push(f64::from(hi - lo));
            }
        }
        let top = &ranking.top[..ranking.top.len().min(SHARE_DEPTH)];
        if !top.is_empty() {
            let same = top
                .iter()
                .filter(|h| pool_lang[h.index as usize] == x)
                .count();
            let entry = shares.entry(x).or_default();
            entry.0 += same as f64 / top.len() as f64;
            entry.1 += 1;
        }
        trec.add(x, group, ranking, rel);
    }
    trec.push_runs(task, |_| Setting::Multi, ALL_LANGUAGES, runs);

    let (per_language, mean) = per_language_means(task, &sums)?;
    let all: Vec<f64> = distances.values().flatten().copied().collect();
    let overall = mean_median(&all);
    let rank_distance = RankDistance {
        mean: overall.map(|(m, _)| m),
        median: overall.map(|(_, m)| m),
        queries: all.len(),
        per_language: distances
            .iter()
            .filter_map(|(l, d)| {
                let (mean, median) = mean_median(d)?;
                Some((
                    *l,
                    RankDistanceStats {
                        mean,
                        median,
                        queries: d.len(),
                    },
                ))
            })
            .collect(),
    };
    let pool_size = pool_lang.len().max(1) as f64;
    let same_language_share_at_10 = shares
        .iter()
        .map(|(l, (sum, n))| {
            let share = LanguageShare {
                share: sum / *n as f64,
                pool_share: task.pools[l].candidates.len() as f64 / pool_size,
            };
            (*l, share)
        })
        .collect();
    Ok(MultiMetrics {
        mean,
        per_language,
        rank_distance,
        same_language_share_at_10,
    })
}

/// The mean metrics of each query language of `sums` (languages without defined metrics left
/// out) and their unweighted mean; an error when no language has any (no questions).
fn per_language_means(
    task: &QaTask,
    sums: &BTreeMap<Lang, MetricsSum>,
) -> Result<(BTreeMap<Lang, Measures>, Measures)> {
    let per_language: BTreeMap<Lang, Measures> = sums
        .iter()
        .filter_map(|(l, s)| Some((*l, s.mean()?)))
        .collect();
    let mean = Measures::mean_of(per_language.values())
        .ok_or_else(|| EvalError::Invalid(format!("{}: the task has no questions", task.name)))?;
    Ok((per_language, mean))
}

/// Builds the scorer, checks its sizes and runs the search.
#[allow(clippy::too_many_arguments)]
fn run_search(
    task: &QaTask,
    scoring: &dyn QaScoring,
    queries: &[(Lang, usize)],
    pool: &[Lang],
    relevant: &[Vec<usize>],
    options: &SearchOptions,
    label: &str,
    progress: &mut Progress<'_>,
) -> Result<Vec<QueryRanking>> {
    let mut scorer = scoring.scorer(task, queries, pool)?;
    let expected: usize = pool.iter().map(|l| task.pools[l].candidates.len()).sum();
    if scorer.num_queries() != queries.len() || scorer.pool_size() != expected {
        return Err(EvalError::Shape(format!(
            "{label}: the scorer has {} queries × {} candidates, expected {} × {expected}",
            scorer.num_queries(),
            scorer.pool_size(),
            queries.len()
        )));
    }
    search(scorer.as_mut(), relevant, options, label, progress)
}

/// The setting of queries in `x` against the pool in `y`: mono when they are the same language.
fn mono_or_cross(x: Lang, y: Lang) -> Setting {
    if x == y {
        Setting::Mono
    } else {
        Setting::Cross
    }
}

/// The TREC queries of one search, collected per query language when runs are kept.
struct TrecQueries {
    /// Ids of the searched pool's candidates; `None` when no runs are kept.
    doc_ids: Option<Arc<[String]>>,
    /// Hits kept per query.
    depth: usize,
    /// Queries per query language.
    by_lang: BTreeMap<Lang, Vec<TrecQuery>>,
}

impl TrecQueries {
    /// Collects for a search of the `pool` languages, keeping `depth` hits per query; no runs
    /// are kept when `depth` is 0.
    fn new(task: &QaTask, pool: &[Lang], depth: usize) -> Self {
        TrecQueries {
            doc_ids: (depth > 0).then(|| candidate_ids(task, pool)),
            depth,
            by_lang: BTreeMap::new(),
        }
    }

    /// Adds the query of language `x` and group `group` (nothing when no runs are kept).
    fn add(&mut self, x: Lang, group: &str, ranking: QueryRanking, relevant: &[usize]) {
        if self.doc_ids.is_some() {
            self.by_lang
                .entry(x)
                .or_default()
                .push(trec_query(x, group, ranking, relevant, self.depth));
        }
    }

    /// Appends one run per query language to `runs`; `setting` gives a query language's
    /// setting, `pool_lang` names the pool.
    fn push_runs(
        self,
        task: &QaTask,
        setting: impl Fn(Lang) -> Setting,
        pool_lang: &str,
        runs: &mut Vec<TrecRun>,
    ) {
        let Some(doc_ids) = self.doc_ids else {
            return;
        };
        for (x, queries) in self.by_lang {
            runs.push(trec_run(task, setting(x), x, pool_lang, &doc_ids, queries));
        }
    }
}

/// The indices in C_Y of a group's answer sentence(s) in language `y`.
fn answers_in(task: &QaTask, group: &str, y: Lang) -> Vec<usize> {
    let mut rel: Vec<usize> = task
        .answers_of(group)
        .iter()
        .filter(|(l, _)| *l == y)
        .map(|(_, a)| *a)
        .collect();
    rel.sort_unstable();
    rel.dedup();
    rel
}

/// `LANG:PARAGRAPH:SENTENCE` of every candidate of the pool languages, in pool order.
fn candidate_ids(task: &QaTask, pool: &[Lang]) -> Arc<[String]> {
    pool.iter()
        .flat_map(|l| task.pools[l].candidates.iter())
        .map(|c| format!("{}:{}:{}", c.id.lang, c.id.paragraph, c.id.sentence))
        .collect()
}

fn trec_query(
    x: Lang,
    group: &str,
    ranking: QueryRanking,
    relevant: &[usize],
    depth: usize,
) -> TrecQuery {
    let mut hits = ranking.top;
    hits.truncate(depth);
    TrecQuery {
        id: format!("{x}:{group}"),
        hits,
        qrels: relevant.iter().map(|&i| (i as u32, 1)).collect(),
    }
}

fn trec_run(
    task: &QaTask,
    setting: Setting,
    x: Lang,
    pool_lang: &str,
    doc_ids: &Arc<[String]>,
    queries: Vec<TrecQuery>,
) -> TrecRun {
    TrecRun {
        dataset: task.name.clone(),
        setting,
        query_lang: x.to_string(),
        pool_lang: pool_lang.to_string(),
        doc_ids: Arc::clone(doc_ids),
        queries,
    }
}
