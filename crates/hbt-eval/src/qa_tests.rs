//! The QA evaluation on a tiny hand-built task whose rankings are worked out by hand.
//!
//! Languages de, en, fr; groups g1, g2 (all three languages) and g3 (en and fr only). Pools,
//! in multi order: de [d0 g1, d1 g2] (0–1), en [e0 g1, e1 g2, e2 g3, x1, x2, x3] (2–7; x are
//! distractors), fr [f0 g3, f1 g1, f2 g2] (8–10).
//!
//! Embeddings over the basis (g1, g2, g3, de, en, fr): candidate (g, L) = e_g + e_L, distractor
//! = e_L, question (g, X) = e_g + 1.5·e_X, except the en question of g2, which also leans to
//! g1 (+ 1.2·e_g1). So score = [same group] + 1.5·[same language] (+ 1.2 towards g1 answers
//! for that one question): same-language answers come first and same-language distractors tie
//! with (and, by pool order, often beat) other-language answers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use hbt_data::squad::{SquadFile, SquadParagraph, SquadQuestion};
use hbt_data::task::QaTask;
use hbt_data::Lang;

use crate::bm25::Bm25Params;
use crate::embeddings::Embeddings;
use crate::output::{read_per_query, write_per_query, write_trec};
use crate::qa::evaluate_qa;
use crate::qa_scoring::{Bm25Qa, DenseQa, QaEmbeddings};
use crate::rows::Setting;
use crate::search::SearchOptions;
use hbt_schema::metrics::{MetricsFile, ModelKind, TaskMetrics};

type B = burn::backend::Flex;

fn lang(code: &str) -> Lang {
    Lang::parse(code).unwrap()
}

fn paragraph(sentences: &[&str], questions: &[(&str, &str, usize)]) -> SquadParagraph {
    SquadParagraph {
        title: "t".into(),
        context: sentences.join(" "),
        sentences: sentences.iter().map(|s| s.to_string()).collect(),
        breaks: Vec::new(),
        questions: questions
            .iter()
            .map(|(id, text, answer)| SquadQuestion {
                id: id.to_string(),
                text: text.to_string(),
                answer_sentence: *answer,
                answer_text: String::new(),
            })
            .collect(),
    }
}

fn file(code: &str, paragraphs: Vec<SquadParagraph>) -> SquadFile {
    SquadFile {
        path: PathBuf::from(format!("{code}.json")),
        lang: lang(code),
        paragraphs,
    }
}

fn tiny_task() -> QaTask {
    let de = file(
        "de",
        vec![paragraph(
            &["Die Burg wurde 1066 gebaut.", "Der Fluss ist lang."],
            &[
                ("g1", "Wann wurde die Burg gebaut?", 0),
                ("g2", "Wie lang ist der Fluss?", 1),
            ],
        )],
    );
    let en = file(
        "en",
        vec![
            paragraph(
                &["The castle was built in 1066.", "The river is long."],
                &[
                    ("g1", "When was the castle built?", 0),
                    ("g2", "How long is the river?", 1),
                ],
            ),
            paragraph(
                &[
                    "The king had three sons.",
                    "Nothing here.",
                    "Nothing there.",
                    "Nothing at all.",
                ],
                &[("g3", "How many sons did the king have?", 0)],
            ),
        ],
    );
    let fr = file(
        "fr",
        vec![paragraph(
            &[
                "Le roi avait trois fils.",
                "Le château fut bâti en 1066.",
                "Le fleuve est long.",
            ],
            &[
                ("g1", "Quand le château fut-il bâti ?", 1),
                ("g2", "Quelle est la longueur du fleuve ?", 2),
                ("g3", "Combien de fils le roi avait-il ?", 0),
            ],
        )],
    );
    QaTask::from_files("tiny", &[de, en, fr])
}

/// The embeddings described in the module docs.
fn tiny_embeddings(task: &QaTask) -> QaEmbeddings {
    let group_dim = |g: &str| ["g1", "g2", "g3"].iter().position(|x| *x == g).unwrap();
    let lang_dim = |l: Lang| {
        3 + ["de", "en", "fr"]
            .iter()
            .position(|x| *x == l.as_str())
            .unwrap()
    };
    let mut embeddings = QaEmbeddings::default();
    for (&l, pool) in &task.pools {
        let mut questions = Vec::new();
        for q in &pool.questions {
            let mut v = [0.0f32; 6];
            v[group_dim(&q.group_id)] = 1.0;
            v[lang_dim(l)] = 1.5;
            if l.as_str() == "en" && q.group_id == "g2" {
                v[0] = 1.2;
            }
            questions.extend(v);
        }
        let mut answers: BTreeMap<usize, &str> = BTreeMap::new();
        for q in &pool.questions {
            answers.insert(q.answer, &q.group_id);
        }
        let mut candidates = Vec::new();
        for i in 0..pool.candidates.len() {
            let mut v = [0.0f32; 6];
            if let Some(g) = answers.get(&i) {
                v[group_dim(g)] = 1.0;
            }
            v[lang_dim(l)] = 1.0;
            candidates.extend(v);
        }
        let nq = pool.questions.len();
        let nc = pool.candidates.len();
        embeddings
            .questions
            .insert(l, Embeddings::new(questions, nq, 6).unwrap());
        embeddings
            .candidates
            .insert(l, Embeddings::new(candidates, nc, 6).unwrap());
    }
    embeddings
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn hand_built_task_gives_the_hand_computed_metrics() {
    let task = tiny_task();
    let embeddings = tiny_embeddings(&task);
    let scoring = DenseQa::<B>::new(&task, &embeddings, &Default::default()).unwrap();
    let mut events = 0;
    let eval = evaluate_qa(
        &task,
        &scoring,
        &[lang("en"), lang("de")],
        &SearchOptions {
            block_size: 2,
            top_k: 0,
        },
        &mut |_| events += 1,
    )
    .unwrap();
    let m = &eval.metrics;
    assert!(events > 0);
    assert_eq!(m.languages, vec![lang("de"), lang("en"), lang("fr")]);
    assert_eq!(m.zero_shot_languages, vec![lang("fr")]);

    // Mono: only the en question of g2 misses (rank 2 behind the g1 answer).
    let en = m.mono.per_language[&lang("en")];
    assert_eq!(en.queries, 3);
    assert!(close(en.map, (1.0 + 0.5 + 1.0) / 3.0));
    assert!(close(en.recall_at_1, 2.0 / 3.0));
    assert!(close(en.ndcg_at_10, (2.0 + 1.0 / 3f64.log2()) / 3.0));
    assert_eq!(m.mono.per_language[&lang("de")].map, 1.0);
    assert_eq!(m.mono.per_language[&lang("fr")].map, 1.0);
    assert!(close(m.mono.mean.map, (5.0 / 6.0 + 2.0) / 3.0));
    assert_eq!(m.mono.mean.queries, 8);

    // Cross: 6 pairs; g3 has no de answer, so en-de and fr-de lose it.
    let cross = m.cross.as_ref().unwrap();
    let keys: Vec<&str> = cross.pairs.keys().map(String::as_str).collect();
    assert_eq!(keys, ["de-en", "de-fr", "en-de", "en-fr", "fr-de", "fr-en"]);
    assert_eq!(eval.cross_skipped, 2);
    assert_eq!(cross.pairs["en-de"].queries, 2);
    assert!(close(cross.pairs["en-de"].map, 0.75));
    assert_eq!(cross.pairs["en-fr"].queries, 3);
    assert!(close(cross.pairs["en-fr"].map, 2.5 / 3.0));
    for pair in ["de-en", "de-fr", "fr-de", "fr-en"] {
        assert_eq!(cross.pairs[pair].map, 1.0, "{pair}");
    }
    assert!(close(cross.mean.map, (4.0 + 0.75 + 2.5 / 3.0) / 6.0));
    assert_eq!(cross.mean.queries, 14);

    // Multi: ranks worked out in the module docs.
    let ap_en = [
        (1.0 + 2.0 / 7.0 + 3.0 / 8.0) / 3.0,  // g1: ranks 1, 7, 8
        (0.5 + 2.0 / 9.0 + 3.0 / 10.0) / 3.0, // g2: ranks 2, 9, 10
        (1.0 + 2.0 / 7.0) / 2.0,              // g3: ranks 1, 7
    ];
    let multi = &m.multi;
    assert!(close(
        multi.per_language[&lang("en")].map,
        ap_en.iter().sum::<f64>() / 3.0
    ));
    let ap_de = (1.0 + 2.0 / 3.0 + 3.0 / 4.0) / 3.0; // ranks 1, 3, 4 for both
    assert!(close(multi.per_language[&lang("de")].map, ap_de));
    let ap_fr = (0.7 + 0.7 + 0.75) / 3.0; // ranks 1, 4, 5 / 1, 4, 5 / 1, 4
    assert!(close(multi.per_language[&lang("fr")].map, ap_fr));
    assert!(close(
        multi.mean.map,
        (ap_en.iter().sum::<f64>() / 3.0 + ap_de + ap_fr) / 3.0
    ));
    let en_multi = multi.per_language[&lang("en")];
    assert!(close(
        en_multi.recall_at_5,
        (1.0 / 3.0 + 1.0 / 3.0 + 0.5) / 3.0
    ));
    assert_eq!(en_multi.recall_at_10, 1.0);

    // Rank distance: en 7, 8, 6; de 3, 3; fr 4, 4, 3.
    let rd = &multi.rank_distance;
    assert_eq!(rd.queries, 8);
    assert_eq!((rd.mean, rd.median), (Some(4.75), Some(4.0)));
    let en_rd = rd.per_language[&lang("en")];
    assert_eq!((en_rd.mean, en_rd.median, en_rd.queries), (7.0, 7.0, 3));
    let fr_rd = rd.per_language[&lang("fr")];
    assert!(close(fr_rd.mean, 11.0 / 3.0));
    assert_eq!(fr_rd.median, 4.0);

    // Same-language share of the top 10 (pool of 11).
    let share = &multi.same_language_share_at_10;
    assert!(close(share[&lang("en")].share, 0.6));
    assert!(close(share[&lang("en")].pool_share, 6.0 / 11.0));
    assert!(close(share[&lang("de")].share, 0.2));
    assert!(close(share[&lang("de")].pool_share, 2.0 / 11.0));
    assert!(close(share[&lang("fr")].share, 0.3));

    // Per-query rows: 8 mono + 14 cross + 8 multi.
    let count = |s: Setting| eval.rows.iter().filter(|r| r.setting == s).count();
    assert_eq!(
        (
            count(Setting::Mono),
            count(Setting::Cross),
            count(Setting::Multi)
        ),
        (8, 14, 8)
    );
    let row = eval
        .rows
        .iter()
        .find(|r| r.setting == Setting::Multi && r.query_lang == "en" && r.query_id == "g2")
        .unwrap();
    assert_eq!(row.relevant_ranks, vec![2, 9, 10]);
    assert_eq!(row.pool_lang, "all");
    assert!(close(row.ap, ap_en[1]));
    assert_eq!((row.rr, row.rr_at_10), (0.5, 0.5));
    assert!(eval.runs.is_empty());
}

#[test]
fn results_files_round_trip() {
    let task = tiny_task();
    let embeddings = tiny_embeddings(&task);
    let scoring = DenseQa::<B>::new(&task, &embeddings, &Default::default()).unwrap();
    let options = SearchOptions {
        block_size: 256,
        top_k: 3,
    };
    let eval = evaluate_qa(&task, &scoring, &[lang("en")], &options, &mut |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let file = MetricsFile::new(
        ModelKind::Trained,
        &[lang("en")],
        vec![TaskMetrics::Qa(eval.metrics.clone())],
    );
    let path = dir.path().join("metrics.json");
    file.write(&path).unwrap();
    assert_eq!(MetricsFile::read(&path).unwrap(), file);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["model"], "trained");
    assert_eq!(json["tasks"][0]["kind"], "qa");
    assert_eq!(json["tasks"][0]["cross"]["pairs"]["en-de"]["queries"], 2);
    assert_eq!(
        json["tasks"][0]["multi"]["rank_distance"]["per_language"]["de"]["median"],
        3.0
    );
    assert_eq!(
        json["tasks"][0]["multi"]["same_language_share_at_10"]["de"]["share"],
        0.2
    );

    let parquet = dir.path().join("per_query.parquet");
    write_per_query(&parquet, &eval.rows).unwrap();
    assert_eq!(read_per_query(&parquet).unwrap(), eval.rows);
    use polars::prelude::SerReader;
    let frame = polars::prelude::ParquetReader::new(std::fs::File::open(&parquet).unwrap())
        .finish()
        .unwrap();
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "dataset",
            "setting",
            "query_lang",
            "pool_lang",
            "query_id",
            "ap",
            "rr",
            "rr_at_10",
            "recall_at_10",
            "ndcg_at_10",
            "relevant_ranks"
        ]
    );
    assert_eq!(
        frame.column("relevant_ranks").unwrap().dtype(),
        &polars::prelude::DataType::List(Box::new(polars::prelude::DataType::UInt32))
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // TREC: 3 mono + 6 cross + 3 multi runs, each with its qrels.
    assert_eq!(eval.runs.len(), 12);
    let written = write_trec(dir.path(), &eval.runs, "hbt").unwrap();
    assert_eq!(written.len(), 24);
    let run = std::fs::read_to_string(dir.path().join("trec/tiny.multi.en-all.run")).unwrap();
    let first: Vec<&str> = run.lines().take(3).collect();
    assert_eq!(
        first,
        [
            "en:g1 Q0 en:0:0 1 2.5 hbt",
            "en:g1 Q0 en:0:1 2 1.5 hbt",
            "en:g1 Q0 en:1:0 3 1.5 hbt"
        ]
    );
    assert_eq!(run.lines().count(), 9, "3 queries × top 3");
    let qrels = std::fs::read_to_string(dir.path().join("trec/tiny.multi.en-all.qrels")).unwrap();
    assert!(
        qrels.starts_with("en:g1 0 de:0:0 1\nen:g1 0 en:0:0 1\nen:g1 0 fr:0:1 1\n"),
        "{qrels}"
    );
    let cross = std::fs::read_to_string(dir.path().join("trec/tiny.cross.en-de.run")).unwrap();
    assert!(cross.starts_with("en:g1 Q0 de:0:0 1 1 hbt\n"), "{cross}");
    assert!(write_trec(dir.path(), &eval.runs, "two words").is_err());
}

#[test]
fn bm25_scores_a_qa_task_through_the_same_path() {
    let task = tiny_task();
    let scoring = Bm25Qa {
        params: Bm25Params::default(),
        with_context: false,
    };
    let eval = evaluate_qa(&task, &scoring, &[], &SearchOptions::default(), &mut |_| {}).unwrap();
    let m = &eval.metrics;
    assert_eq!(m.zero_shot_languages.len(), 3);
    // Each English question shares its content words with its answer sentence only.
    assert_eq!(m.mono.per_language[&lang("en")].mrr_at_10, 1.0);
    assert_eq!(m.multi.rank_distance.queries, 8);
    assert_eq!(eval.rows.len(), 8 + 14 + 8);
}

#[test]
fn embeddings_that_do_not_fit_the_task_are_refused() {
    let task = tiny_task();
    let mut embeddings = tiny_embeddings(&task);
    embeddings
        .candidates
        .insert(lang("fr"), Embeddings::new(vec![0.0; 12], 2, 6).unwrap());
    let err = DenseQa::<B>::new(&task, &embeddings, &Default::default())
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "tiny: fr candidate embeddings have 2 rows, the task has 3 candidates"
    );
    embeddings.candidates.remove(&lang("fr"));
    let err = DenseQa::<B>::new(&task, &embeddings, &Default::default())
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "tiny: no candidate embeddings for fr");
}

/// BM25 over the real XQuAD-R (11 languages, 1,190 questions each): the whole evaluation runs,
/// monolingual retrieval works, and the lexical model shows the strongest language bias.
#[test]
fn xquad_r_bm25_baseline_is_plausible() {
    let Some(data) = hbt_testkit::real_data_dir() else {
        return;
    };
    let dataset = hbt_data::lareqa::read_lareqa_dir(
        &data.join("xquad-r"),
        None,
        hbt_data::squad::SentenceSource::default(),
    )
    .unwrap();
    let task = dataset.task();
    let eval = evaluate_qa(
        &task,
        &Bm25Qa::default(),
        &[],
        &SearchOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let m = &eval.metrics;
    assert_eq!(m.languages.len(), 11);
    assert_eq!(m.mono.mean.queries, 11 * 1190);
    let cross = m.cross.as_ref().unwrap();
    assert_eq!(cross.pairs.len(), 110);
    assert_eq!(eval.cross_skipped, 0);
    // BM25 answers same-language questions well (mAP ≈ 0.74) and cross-language ones badly.
    assert!(
        m.mono.mean.map > 0.6 && m.mono.mean.map < 0.9,
        "{:?}",
        m.mono.mean
    );
    assert!(cross.mean.map < 0.3, "{:?}", cross.mean);
    // Multi: every query has its 11 parallel answers; the top 10 is nearly all in the query's
    // language, far above that language's ~9% of the pool.
    assert_eq!(m.multi.rank_distance.queries, 11 * 1190);
    for (lang, share) in &m.multi.same_language_share_at_10 {
        assert!(
            share.share > 0.5 && share.pool_share < 0.15,
            "{lang}: {share:?}"
        );
    }
    assert_eq!(eval.rows.len(), 11 * 1190 * (1 + 10 + 1));
}
