//! Translation pairs: aligned plain-text files (`NAME.xx-yy.xx` + `NAME.xx-yy.yy`, one
//! sentence per line, the OPUS Moses layout) or a TSV file `NAME.xx-yy.tsv` (`source<TAB>target`).
//! They become cross-lingual training pairs and a bitext-retrieval task.

use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};
use crate::groups::TranslationPair;
use crate::lang::Lang;

/// Bitext retrieval: find the translation of each source line among all target lines.
#[derive(Debug, Clone, PartialEq)]
pub struct BitextTask {
    /// Task name.
    pub name: String,
    /// Language of `source`.
    pub source_lang: Lang,
    /// Language of `target`.
    pub target_lang: Lang,
    /// Source sentences; `source[i]` translates to `target[i]`.
    pub source: Vec<String>,
    /// Target sentences.
    pub target: Vec<String>,
}

impl BitextTask {
    /// Builds the task from pairs that all share one language pair.
    pub fn from_pairs(name: &str, pairs: &[TranslationPair]) -> Result<BitextTask> {
        let first = pairs
            .first()
            .ok_or_else(|| DataError::Invalid(format!("{name}: no translation pairs")))?;
        if let Some(other) = pairs
            .iter()
            .find(|p| p.source_lang != first.source_lang || p.target_lang != first.target_lang)
        {
            return Err(DataError::Invalid(format!(
                "{name}: pair {} is {}-{}, expected {}-{} like the others",
                other.id,
                other.source_lang,
                other.target_lang,
                first.source_lang,
                first.target_lang
            )));
        }
        Ok(BitextTask {
            name: name.to_string(),
            source_lang: first.source_lang,
            target_lang: first.target_lang,
            source: pairs.iter().map(|p| p.source.clone()).collect(),
            target: pairs.iter().map(|p| p.target.clone()).collect(),
        })
    }
}

/// Reads translation pairs from `NAME.xx-yy.tsv` or from the aligned files of the stem
/// `NAME.xx-yy` (or either of its two files). Languages come from the file name.
pub fn read_pairs(path: &Path) -> Result<Vec<TranslationPair>> {
    if path.extension().is_some_and(|e| e == "tsv") {
        let stem = path.with_extension("");
        let (source, target) = languages_of(&stem, path)?;
        return read_tsv(path, source, target);
    }
    read_aligned(path)
}

/// The languages of a stem `NAME.xx-yy`; errors name `shown`.
fn languages_of(stem: &Path, shown: &Path) -> Result<(Lang, Lang)> {
    let pair = stem
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let (a, b) = pair.split_once('-').ok_or_else(|| {
        DataError::format(shown, "file name must look like NAME.xx-yy (language pair)")
    })?;
    let a = Lang::parse(a).map_err(|e| DataError::format(shown, e.to_string()))?;
    let b = Lang::parse(b).map_err(|e| DataError::format(shown, e.to_string()))?;
    if a == b {
        return Err(DataError::format(
            shown,
            "a translation pair needs two different languages",
        ));
    }
    Ok((a, b))
}

/// Reads aligned files. `path` is the stem `NAME.xx-yy` or one of `NAME.xx-yy.xx` / `.yy`.
/// Lines where either side is empty are skipped; the line counts must match.
pub fn read_aligned(path: &Path) -> Result<Vec<TranslationPair>> {
    let stem = aligned_stem(path);
    let (source_lang, target_lang) = languages_of(&stem, path)?;
    let file_of = |lang: Lang| PathBuf::from(format!("{}.{lang}", stem.display()));
    let (source_path, target_path) = (file_of(source_lang), file_of(target_lang));
    let source = read_lines(&source_path)?;
    let target = read_lines(&target_path)?;
    if source.len() != target.len() {
        return Err(DataError::format(
            &source_path,
            format!(
                "{} lines but {} has {}",
                source.len(),
                target_path.display(),
                target.len()
            ),
        ));
    }
    let name = stem
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("bitext")
        .to_string();
    let pairs: Vec<TranslationPair> = source
        .into_iter()
        .zip(target)
        .enumerate()
        .filter(|(_, (s, t))| !s.trim().is_empty() && !t.trim().is_empty())
        .map(|(i, (s, t))| TranslationPair {
            id: format!("{name}:{}", i + 1),
            source_lang,
            source: s,
            target_lang,
            target: t,
        })
        .collect();
    if pairs.is_empty() {
        return Err(DataError::empty(&source_path, "translation pairs"));
    }
    Ok(pairs)
}

/// `NAME.xx-yy.xx` → `NAME.xx-yy`; a stem is returned as it is.
fn aligned_stem(path: &Path) -> PathBuf {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let inner = path.with_extension("");
    let inner_ext = inner
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    if ext.len() == 2 && inner_ext.split('-').any(|l| l == ext) {
        inner
    } else {
        path.to_path_buf()
    }
}

/// Reads a TSV of `source<TAB>target` lines in the given languages. Empty lines are skipped;
/// a line without exactly one tab is an error naming the line.
pub fn read_tsv(path: &Path, source_lang: Lang, target_lang: Lang) -> Result<Vec<TranslationPair>> {
    let name = path
        .file_stem()
        .and_then(|n| n.to_str())
        .unwrap_or("bitext")
        .to_string();
    let mut pairs = Vec::new();
    for (i, line) in read_lines(path)?.into_iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [source, target] = fields[..] else {
            return Err(DataError::record(
                path,
                format!("line {}", i + 1),
                format!("expected 2 tab-separated fields, found {}", fields.len()),
            ));
        };
        pairs.push(TranslationPair {
            id: format!("{name}:{}", i + 1),
            source_lang,
            source: source.to_string(),
            target_lang,
            target: target.to_string(),
        });
    }
    if pairs.is_empty() {
        return Err(DataError::empty(path, "translation pairs"));
    }
    Ok(pairs)
}

fn read_lines(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    Ok(text
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn aligned_files_give_pairs_from_stem_or_either_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "news.de-en.de", "Guten Morgen.\n\nDanke.\n");
        let en = write(
            dir.path(),
            "news.de-en.en",
            "Good morning.\nHello.\nThank you.\n",
        );
        let from_stem = read_pairs(&dir.path().join("news.de-en")).unwrap();
        assert_eq!(from_stem, read_pairs(&en).unwrap());
        assert_eq!(from_stem.len(), 2, "the line with an empty side is skipped");
        assert_eq!(from_stem[1].id, "news.de-en:3");
        assert_eq!(
            (from_stem[1].source.as_str(), from_stem[1].target.as_str()),
            ("Danke.", "Thank you.")
        );
        assert_eq!(from_stem[0].source_lang.as_str(), "de");
        let task = BitextTask::from_pairs("news", &from_stem).unwrap();
        assert_eq!(task.target, ["Good morning.", "Thank you."]);
    }

    #[test]
    fn tsv_pairs_take_languages_from_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "dict.en-hi.tsv", "water\tपानी\nfire\tआग\n");
        let pairs = read_pairs(&path).unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(
            (pairs[0].source_lang.as_str(), pairs[0].target_lang.as_str()),
            ("en", "hi")
        );
        assert_eq!(pairs[1].target, "आग");
    }

    #[test]
    fn bad_bitext_inputs_are_errors_naming_the_culprit() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.de-en.de", "eins\nzwei\n");
        write(dir.path(), "a.de-en.en", "one\n");
        let err = read_pairs(&dir.path().join("a.de-en"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a.de-en.de") && err.contains("2 lines") && err.contains("has 1"),
            "{err}"
        );

        let bad_tab = write(dir.path(), "b.en-de.tsv", "one\teins\ntwo eins zwei\n");
        let err = read_pairs(&bad_tab).unwrap_err().to_string();
        assert!(err.contains("b.en-de.tsv: line 2"), "{err}");

        let unknown = write(dir.path(), "c.en-qq.tsv", "one\tx\n");
        assert!(read_pairs(&unknown)
            .unwrap_err()
            .to_string()
            .contains("`qq`"));

        let empty = write(dir.path(), "d.en-de.tsv", "\n");
        assert!(read_pairs(&empty)
            .unwrap_err()
            .to_string()
            .contains("no translation pairs"));

        let err = read_pairs(&dir.path().join("missing.en-de"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.en-de.en"), "{err}");
    }
}
