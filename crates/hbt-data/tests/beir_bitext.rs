//! BEIR / MIRACL and bitext readers on the small fixtures in tests/fixtures/{beir,bitext}.

use std::path::{Path, PathBuf};

use hbt_data::beir::{load_retrieval_task, read_corpus, read_qrels, read_queries, BeirPaths};
use hbt_data::bitext::{read_aligned, read_bitext, read_pairs, read_tsv, BitextTask};
use hbt_data::Lang;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn lang(code: &str) -> Lang {
    Lang::parse(code).unwrap()
}

/// The error message of `result`, checked to be one line.
fn error<T: std::fmt::Debug>(result: hbt_data::Result<T>) -> String {
    let message = result.unwrap_err().to_string();
    assert!(!message.contains('\n'), "one line: {message}");
    message
}

#[test]
fn beir_english_folder() {
    let dir = fixture("beir/scifact-en");
    let paths = BeirPaths::discover(&dir, "test").unwrap();
    assert_eq!(paths.queries, dir.join("queries.jsonl"));
    assert_eq!(paths.qrels, dir.join("qrels/test.tsv"));

    let task = load_retrieval_task(&dir, "test", Some(lang("en"))).unwrap();
    assert_eq!(task.name, "scifact-en");
    assert_eq!(task.lang, Some(lang("en")));
    assert_eq!(task.corpus.len(), 4);
    assert_eq!(task.corpus[2].id, "7912");
    assert_eq!(task.corpus[2].title, "");
    let ids: Vec<&str> = task.queries.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(
        ids,
        ["3", "5", "13"],
        "query 1 has no judgement and is dropped"
    );
    assert_eq!(task.dropped_queries, 1);
    assert_eq!(task.qrels.len(), 3);
    assert_eq!(task.qrels["5"]["18670"], 1);
    assert_eq!(task.qrels["5"]["5836"], 0);
    assert_eq!(task.relevant("5"), ["18670"]);
}

#[test]
fn miracl_german_folder() {
    let dir = fixture("beir/miracl-de");
    let paths = BeirPaths::discover(&dir, "dev").unwrap();
    assert!(paths
        .queries
        .ends_with("topics/topics.miracl-v1.0-de-dev.tsv"));
    assert!(paths.qrels.ends_with("qrels/qrels.miracl-v1.0-de-dev.tsv"));

    let task = load_retrieval_task(&dir, "dev", Some(lang("de"))).unwrap();
    assert_eq!(task.corpus.len(), 5);
    assert_eq!(task.corpus[0].id, "1#0");
    assert_eq!(task.corpus[2].title, "Rhein");
    let ids: Vec<&str> = task.queries.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(
        ids,
        ["101", "102", "103"],
        "104 has only a grade-0 judgement"
    );
    assert_eq!(task.queries[1].text, "Wie lang ist der Rhein?");
    assert!(!task.qrels.contains_key("104"));
    assert_eq!(task.qrels["103"].len(), 2);
    assert_eq!(task.relevant("103"), ["35#1"]);

    // The same files read one by one.
    assert_eq!(read_queries(&paths.queries).unwrap().len(), 4);
    assert_eq!(read_qrels(&paths.qrels).unwrap()["104"]["1#0"], 0);

    let err = error(BeirPaths::discover(&dir, "test"));
    assert!(err.contains("no queries file for split `test`"), "{err}");
}

#[test]
fn beir_errors_name_file_and_line() {
    let err = error(load_retrieval_task(
        &fixture("beir/broken-corpus"),
        "test",
        None,
    ));
    assert!(err.contains("corpus.jsonl: line 3: invalid JSON"), "{err}");

    let err = error(read_corpus(&fixture("beir/missing/corpus.jsonl")));
    assert!(err.contains("missing/corpus.jsonl"), "{err}");

    let err = error(load_retrieval_task(&fixture("beir/nowhere"), "test", None));
    assert!(err.contains("nowhere: not a folder"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let empty = write("corpus.jsonl", "\n\n");
    assert!(error(read_corpus(&empty)).contains("corpus.jsonl: no documents"));
    let dup = write("topics.tsv", "1\tone\n2\ttwo\n1\tuno\n");
    let err = error(read_queries(&dup));
    assert!(
        err.contains("topics.tsv: line 3: duplicate query id 1 (first on line 1)"),
        "{err}"
    );
    let notab = write("topics2.tsv", "1\tone\n2 two\n");
    assert!(error(read_queries(&notab)).contains("topics2.tsv: line 2: expected `qid<TAB>"));
    let bad = write("qrels.tsv", "q1 Q0 d1 1\nq1 Q0 d2 yes\n");
    let err = error(read_qrels(&bad));
    assert!(
        err.contains("qrels.tsv: line 2: relevance `yes` is not an integer"),
        "{err}"
    );
}

#[test]
fn aligned_europarl_pair() {
    let stem = fixture("bitext/europarl.de-en");
    let read = read_bitext(&stem).unwrap();
    assert_eq!(read.skipped, 1, "line 3 has no German side");
    let pairs = read.pairs;
    assert_eq!(pairs.len(), 4);
    assert_eq!(
        pairs.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        [
            "europarl.de-en:1",
            "europarl.de-en:2",
            "europarl.de-en:4",
            "europarl.de-en:5"
        ]
    );
    assert_eq!(pairs[0].source_lang, lang("de"));
    assert_eq!(pairs[0].target_lang, lang("en"));
    assert_eq!(pairs[2].source, "Das Protokoll wurde verteilt.");
    assert_eq!(pairs[2].target, "The minutes have been distributed.");
    // Either file names the same pair.
    assert_eq!(
        read_aligned(&fixture("bitext/europarl.de-en.de")).unwrap(),
        pairs
    );
    assert_eq!(
        read_pairs(&fixture("bitext/europarl.de-en.en")).unwrap(),
        pairs
    );

    let task = BitextTask::from_pairs("europarl", &pairs).unwrap();
    assert_eq!(task.len(), 4);
    assert_eq!(task.duplicates_dropped, 0);
    assert_eq!(task.source[3], "Vielen Dank.");
    assert_eq!(task.target[3], "Thank you very much.");
}

#[test]
fn tatoeba_tsv_with_header() {
    let path = fixture("bitext/tatoeba.en-fr.tsv");
    let pairs = read_pairs(&path).unwrap();
    assert_eq!(pairs.len(), 3, "the `en<TAB>fr` header is not a pair");
    assert_eq!(pairs[0].id, "tatoeba.en-fr:2");
    assert_eq!(pairs[1].target, "Où est la gare ?");
    assert_eq!(pairs[1].target_lang, lang("fr"));
    assert_eq!(read_tsv(&path, lang("en"), lang("fr")).unwrap(), pairs);
    let task = BitextTask::from_pairs("tatoeba", &pairs).unwrap();
    assert_eq!(
        (task.source_lang, task.target_lang),
        (lang("en"), lang("fr"))
    );
}

#[test]
fn bitext_errors_name_the_files() {
    let err = error(read_pairs(&fixture("bitext/short.de-en")));
    assert!(
        err.contains("short.de-en.de: 3 lines but") && err.contains("short.de-en.en has 2 lines"),
        "{err}"
    );

    let err = error(read_pairs(&fixture("bitext/klingon.de-xx.de")));
    assert!(
        err.contains("klingon.de-xx.de") && err.contains("unknown language `xx`"),
        "{err}"
    );

    let err = error(read_pairs(&fixture("bitext/notab.en-fr.tsv")));
    assert!(
        err.contains("notab.en-fr.tsv: line 2: expected `source<TAB>target`"),
        "{err}"
    );

    let err = error(read_pairs(&fixture("bitext/absent.de-en")));
    assert!(err.contains("absent.de-en.de"), "{err}");

    let err = error(read_tsv(
        &fixture("bitext/tatoeba.en-fr.tsv"),
        lang("fr"),
        lang("en"),
    ));
    assert!(err.contains("line 1: the header says en-fr"), "{err}");
}
