//! The loaders on the real XQuAD-R and MLQA-R files reproduce the published statistics
//! (LAReQA paper / repository README, copied in ../shared/datasets/README.md).

use std::collections::BTreeMap;

use hbt_data::lareqa::read_lareqa_dir;
use hbt_data::squad::SentenceSource;
use hbt_data::stats::DatasetStats;
use hbt_data::Lang;

/// (lang, XQuAD-R questions, XQuAD-R candidates, MLQA-R questions, MLQA-R candidates); 0 = absent.
const PUBLISHED: [(&str, usize, usize, usize, usize); 11] = [
    ("ar", 1190, 1222, 517, 2545),
    ("de", 1190, 1276, 512, 2362),
    ("el", 1190, 1234, 0, 0),
    ("en", 1190, 1180, 1148, 6264),
    ("es", 1190, 1215, 500, 1787),
    ("hi", 1190, 1244, 507, 2426),
    ("ru", 1190, 1219, 0, 0),
    ("th", 1190, 852, 0, 0),
    ("tr", 1190, 1167, 0, 0),
    ("vi", 1190, 1209, 511, 2828),
    ("zh", 1190, 1196, 504, 2322),
];

fn stats(name: &str) -> Option<DatasetStats> {
    let dir = hbt_testkit::real_data_dir()?.join(name);
    let dataset = read_lareqa_dir(&dir, None, SentenceSource::ShippedOrSplitter).unwrap();
    Some(DatasetStats::of(&dataset))
}

fn table(stats: &DatasetStats) -> BTreeMap<String, (usize, usize)> {
    stats
        .languages
        .iter()
        .map(|l| (l.lang.to_string(), (l.questions, l.candidates)))
        .collect()
}

#[test]
fn xquad_r_matches_the_published_table() {
    let Some(stats) = stats("xquad-r") else {
        return;
    };
    let expected: BTreeMap<String, (usize, usize)> = PUBLISHED
        .iter()
        .map(|&(l, q, c, _, _)| (l.to_string(), (q, c)))
        .collect();
    assert_eq!(table(&stats), expected);
    assert_eq!(stats.groups.groups, 1190);
    assert_eq!(stats.groups.by_language_count, BTreeMap::from([(11, 1190)]));
}

#[test]
fn mlqa_r_matches_the_published_table() {
    let Some(stats) = stats("mlqa-r") else { return };
    let expected: BTreeMap<String, (usize, usize)> = PUBLISHED
        .iter()
        .filter(|row| row.3 > 0)
        .map(|&(l, _, _, q, c)| (l.to_string(), (q, c)))
        .collect();
    assert_eq!(table(&stats), expected);
    // Every MLQA-R question exists in English; its translations give 2 to 4 languages.
    assert_eq!(stats.groups.groups, 1148);
    assert_eq!(stats.groups.per_language[&Lang::parse("en").unwrap()], 1148);
    let sizes: Vec<usize> = stats.groups.by_language_count.keys().copied().collect();
    assert_eq!(sizes, [2, 3, 4]);
    assert_eq!(stats.groups.by_language_count.values().sum::<usize>(), 1148);
}

#[test]
fn answers_are_the_sentences_holding_answer_start() {
    let Some(dir) = hbt_testkit::real_data_dir() else {
        return;
    };
    let dataset = read_lareqa_dir(
        &dir.join("xquad-r"),
        None,
        SentenceSource::ShippedOrSplitter,
    )
    .unwrap();
    let task = dataset.task();
    let en = &task.pools[&Lang::parse("en").unwrap()];
    // First question of the English file (hand-checked against en.json).
    let first = &en.questions[0];
    assert_eq!(first.group_id, "56beb4343aeaaa14008c925b");
    assert!(en.candidates[first.answer].text.contains("308 points"));
    // In the multilingual setting each XQuAD-R question has 11 relevant answers, one per language.
    assert_eq!(task.answers_of(&first.group_id).len(), 11);
    for group in dataset.groups() {
        for member in group.members.values() {
            assert!(member.context.as_deref().is_some_and(|c| !c.is_empty()));
        }
    }
}
