//! Translation pairs: cross-lingual training pairs and a bitext-retrieval task.
//!
//! # Input forms
//!
//! * **Aligned files** (the OPUS Moses layout): `NAME.xx-yy.xx` and `NAME.xx-yy.yy`, one
//!   sentence per line, line *i* of one file translating line *i* of the other. Either file or
//!   the stem `NAME.xx-yy` may be given. The source language is the first of the pair (`xx`).
//!   The two files must have the same number of lines.
//! * **TSV**: `source<TAB>target` per line. With [`read_tsv`] the caller gives the languages;
//!   with [`read_pairs`] / [`read_bitext`] they come from the name `NAME.xx-yy.tsv` or, when the
//!   name has no language pair, from a required header line `xx<TAB>yy`. A first line that is
//!   exactly the header of the file's languages (`xx<TAB>yy`) is always skipped. A line without
//!   exactly one tab is an error naming the file and line.
//!
//! Language codes are ISO 639-1 ([`Lang::parse`]); an OPUS region or script suffix after `_`
//! (`zh_cn`, `pt_br`, `sr_latn`) is accepted and dropped from the language (the file names keep
//! it). An unknown code is an error naming the file.
//!
//! # Conventions
//!
//! * Sentences are trimmed. A line where either side is empty is **skipped**, not an error
//!   (aligners emit empty lines for unaligned sentences); [`Bitext::skipped`] counts them. A
//!   file with no pair left is an error. In a TSV, blank lines (no tab at all) are ignored and
//!   not counted.
//! * Pair ids are `NAME:LINE`, with `NAME` the file name without the final extension
//!   (`europarl.de-en`, `dict.en-hi`) and `LINE` the 1-based line number, so ids stay stable
//!   when lines are skipped and are unique across language pairs of one corpus.
//! * Every error is one line naming the file (and line) at fault.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};
use crate::groups::TranslationPair;
use crate::Lang;

/// The pairs read from one bitext source, and how many lines were skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Bitext {
    /// The pairs, in line order.
    pub pairs: Vec<TranslationPair>,
    /// Lines skipped because one side (or both) was empty.
    pub skipped: usize,
}

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
    /// Pairs left out because their source or target sentence repeats an earlier pair's.
    pub duplicates_dropped: usize,
}

impl BitextTask {
    /// Builds the task from pairs that all share one language pair (else an error naming the
    /// first pair that differs).
    ///
    /// Deduplication: a pair whose source sentence or target sentence already occurred in an
    /// earlier kept pair is dropped (counted in [`BitextTask::duplicates_dropped`]), so every
    /// source line has exactly one correct target line and vice versa; otherwise retrieving an
    /// identical copy of the gold sentence would count as a miss.
    pub fn from_pairs(name: &str, pairs: &[TranslationPair]) -> Result<BitextTask> {
        let first = pairs
            .first()
            .ok_or_else(|| DataError::Invalid(format!("{name}: no translation pairs")))?;
        if let Some(other) = pairs
            .iter()
            .find(|p| p.source_lang != first.source_lang || p.target_lang != first.target_lang)
        {
            return Err(DataError::Invalid(format!(
                "{name}: pair {} is {}-{}, expected {}-{} like pair {}",
                other.id,
                other.source_lang,
                other.target_lang,
                first.source_lang,
                first.target_lang,
                first.id
            )));
        }
        let mut seen_source = HashSet::new();
        let mut seen_target = HashSet::new();
        let (mut source, mut target) = (Vec::new(), Vec::new());
        let mut duplicates_dropped = 0;
        for p in pairs {
            if seen_source.contains(p.source.as_str()) || seen_target.contains(p.target.as_str()) {
                duplicates_dropped += 1;
                continue;
            }
            seen_source.insert(p.source.as_str());
            seen_target.insert(p.target.as_str());
            source.push(p.source.clone());
            target.push(p.target.clone());
        }
        Ok(BitextTask {
            name: name.to_string(),
            source_lang: first.source_lang,
            target_lang: first.target_lang,
            source,
            target,
            duplicates_dropped,
        })
    }

    /// Number of aligned lines.
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// Whether the task has no lines (never true for a task built by [`BitextTask::from_pairs`]).
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }
}

/// Reads translation pairs from a `.tsv` file or from aligned files (stem `NAME.xx-yy` or either
/// of its two files). Same as [`read_bitext`] without the count of skipped lines.
pub fn read_pairs(path: &Path) -> Result<Vec<TranslationPair>> {
    Ok(read_bitext(path)?.pairs)
}

/// Reads translation pairs from `NAME.xx-yy.tsv` (or a `.tsv` with a `xx<TAB>yy` header) or
/// from the aligned files of the stem `NAME.xx-yy` (or either of its two files).
pub fn read_bitext(path: &Path) -> Result<Bitext> {
    if path.extension().is_some_and(|e| e == "tsv") {
        let stem = path.with_extension("");
        if let Some(codes) = pair_codes(&stem) {
            let (source, target) = languages_of(codes, path)?;
            return tsv(path, source, target, false);
        }
        let (source, target) = tsv_header(path)?;
        return tsv(path, source, target, true);
    }
    aligned(path)
}

/// The raw codes `("xx", "yy")` of a stem `NAME.xx-yy`.
fn pair_codes(stem: &Path) -> Option<(String, String)> {
    let pair = stem.extension()?.to_str()?;
    let (a, b) = pair.split_once('-')?;
    (!a.is_empty() && !b.is_empty() && !b.contains('-')).then(|| (a.to_string(), b.to_string()))
}

/// A language from a raw file-name code (`de`, `zh_cn`); errors name `shown`.
fn code_lang(code: &str, shown: &Path) -> Result<Lang> {
    let base = code.split('_').next().unwrap_or(code);
    Lang::parse(base).map_err(|e| DataError::format(shown, e.to_string()))
}

/// The languages of the raw codes of a file name; errors name `shown`.
fn languages_of((a, b): (String, String), shown: &Path) -> Result<(Lang, Lang)> {
    let (a, b) = (code_lang(&a, shown)?, code_lang(&b, shown)?);
    if a == b {
        return Err(DataError::format(
            shown,
            format!("a translation pair needs two different languages, the name says {a}-{b}"),
        ));
    }
    Ok((a, b))
}

/// Reads aligned files. `path` is the stem `NAME.xx-yy` or one of `NAME.xx-yy.xx` / `.yy`; the
/// languages come from the name. Lines where either side is empty are skipped; the line counts
/// of the two files must match.
pub fn read_aligned(path: &Path) -> Result<Vec<TranslationPair>> {
    Ok(aligned(path)?.pairs)
}

fn aligned(path: &Path) -> Result<Bitext> {
    let stem = aligned_stem(path);
    let codes = pair_codes(&stem).ok_or_else(|| {
        DataError::format(
            path,
            "file name must look like NAME.xx-yy, NAME.xx-yy.xx or NAME.xx-yy.yy (language pair)",
        )
    })?;
    let (source_lang, target_lang) = languages_of(codes.clone(), path)?;
    let file_of = |code: &str| PathBuf::from(format!("{}.{code}", stem.display()));
    let (source_path, target_path) = (file_of(&codes.0), file_of(&codes.1));
    let source = read_lines(&source_path)?;
    let target = read_lines(&target_path)?;
    if source.len() != target.len() {
        return Err(DataError::format(
            &source_path,
            format!(
                "{} lines but {} has {} lines; aligned files must have the same number of lines",
                source.len(),
                target_path.display(),
                target.len()
            ),
        ));
    }
    let name = file_name(&stem);
    let mut pairs = Vec::new();
    let mut skipped = 0;
    for (i, (s, t)) in source.into_iter().zip(target).enumerate() {
        let (s, t) = (s.trim(), t.trim());
        if s.is_empty() || t.is_empty() {
            skipped += 1;
            continue;
        }
        pairs.push(TranslationPair {
            id: format!("{name}:{}", i + 1),
            source_lang,
            source: s.to_string(),
            target_lang,
            target: t.to_string(),
        });
    }
    if pairs.is_empty() {
        return Err(DataError::empty(&source_path, "translation pairs"));
    }
    Ok(Bitext { pairs, skipped })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("bitext")
        .to_string()
}

/// `NAME.xx-yy.xx` → `NAME.xx-yy`; anything else is returned as it is.
fn aligned_stem(path: &Path) -> PathBuf {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let inner = path.with_extension("");
    match pair_codes(&inner) {
        Some((a, b)) if !ext.is_empty() && (a == ext || b == ext) => inner,
        _ => path.to_path_buf(),
    }
}

/// Reads a TSV of `source<TAB>target` lines in the given languages. A first line that is exactly
/// `source_lang<TAB>target_lang` is taken as a header and skipped; a first line naming the two
/// languages the other way round is an error. Lines with an empty side are skipped; a line
/// without exactly one tab is an error naming the line.
pub fn read_tsv(path: &Path, source_lang: Lang, target_lang: Lang) -> Result<Vec<TranslationPair>> {
    Ok(tsv(path, source_lang, target_lang, false)?.pairs)
}

/// The languages of a required `xx<TAB>yy` header on the first non-empty line.
fn tsv_header(path: &Path) -> Result<(Lang, Lang)> {
    let lines = read_lines(path)?;
    let Some((i, line)) = lines.iter().enumerate().find(|(_, l)| !l.trim().is_empty()) else {
        return Err(DataError::empty(path, "translation pairs"));
    };
    let bad = |why: String| {
        DataError::record(
            path,
            format!("line {}", i + 1),
            format!("the file name has no language pair (NAME.xx-yy.tsv), so the first line must be a header `xx<TAB>yy` ({why})"),
        )
    };
    let (a, b) = line
        .split_once('\t')
        .ok_or_else(|| bad("found no tab".to_string()))?;
    let a = Lang::parse(a).map_err(|e| bad(e.to_string()))?;
    let b = Lang::parse(b).map_err(|e| bad(e.to_string()))?;
    if a == b {
        return Err(DataError::record(
            path,
            format!("line {}", i + 1),
            format!("a translation pair needs two different languages, the header says {a}-{b}"),
        ));
    }
    Ok((a, b))
}

/// Whether `line` is `a<TAB>b` with `a`, `b` these two languages.
fn is_header(line: &str, a: Lang, b: Lang) -> bool {
    line.split_once('\t').is_some_and(|(x, y)| {
        Lang::parse(x).is_ok_and(|x| x == a)
            && Lang::parse(y).is_ok_and(|y| y == b)
            && x.trim().len() == 2
            && y.trim().len() == 2
    })
}

fn tsv(path: &Path, source_lang: Lang, target_lang: Lang, header_required: bool) -> Result<Bitext> {
    let name = file_name(&path.with_extension(""));
    let mut pairs = Vec::new();
    let mut skipped = 0;
    let mut first = true;
    for (i, line) in read_lines(path)?.into_iter().enumerate() {
        let record = format!("line {}", i + 1);
        if line.trim().is_empty() && !line.contains('\t') {
            continue; // a blank line; `<TAB>` alone counts as a pair with empty sides
        }
        if std::mem::replace(&mut first, false) {
            if header_required || is_header(&line, source_lang, target_lang) {
                continue;
            }
            if is_header(&line, target_lang, source_lang) {
                return Err(DataError::record(
                    path,
                    record,
                    format!(
                        "the header says {target_lang}-{source_lang} but the languages are {source_lang}-{target_lang}"
                    ),
                ));
            }
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [source, target] = fields[..] else {
            return Err(DataError::record(
                path,
                record,
                format!(
                    "expected `source<TAB>target` (exactly one tab), found {} tabs",
                    fields.len() - 1
                ),
            ));
        };
        let (source, target) = (source.trim(), target.trim());
        if source.is_empty() || target.is_empty() {
            skipped += 1;
            continue;
        }
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
    Ok(Bitext { pairs, skipped })
}

/// The lines of a text file (without `\r`, and without a leading byte order mark).
fn read_lines(path: &Path) -> Result<Vec<String>> {
    let text = crate::files::read_regular_to_string(path)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
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

    fn lang(code: &str) -> Lang {
        Lang::parse(code).unwrap()
    }

    #[test]
    fn aligned_files_give_pairs_from_stem_or_either_file() {
        let dir = tempfile::tempdir().unwrap();
        let de = write(dir.path(), "news.de-en.de", "Guten Morgen.\n\nDanke.\n");
        let en = write(
            dir.path(),
            "news.de-en.en",
            "Good morning.\nHello.\nThank you.\n",
        );
        let from_stem = read_bitext(&dir.path().join("news.de-en")).unwrap();
        assert_eq!(
            from_stem.skipped, 1,
            "the line with an empty side is skipped"
        );
        let from_stem = from_stem.pairs;
        assert_eq!(from_stem, read_pairs(&en).unwrap());
        assert_eq!(from_stem, read_aligned(&de).unwrap());
        assert_eq!(from_stem.len(), 2);
        assert_eq!(from_stem[1].id, "news.de-en:3");
        assert_eq!(
            (from_stem[1].source.as_str(), from_stem[1].target.as_str()),
            ("Danke.", "Thank you.")
        );
        assert_eq!(from_stem[0].source_lang.as_str(), "de");
        let task = BitextTask::from_pairs("news", &from_stem).unwrap();
        assert_eq!(task.target, ["Good morning.", "Thank you."]);
        assert_eq!(task.len(), 2);
    }

    #[test]
    fn opus_region_suffixes_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "subs.en-zh_cn.en", "Hello.\n");
        let zh = write(dir.path(), "subs.en-zh_cn.zh_cn", "你好。\n");
        let pairs = read_pairs(&zh).unwrap();
        assert_eq!(pairs[0].target_lang, lang("zh"));
        assert_eq!(pairs[0].id, "subs.en-zh_cn:1");
    }

    #[test]
    fn tsv_pairs_take_languages_from_the_name_or_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "dict.en-hi.tsv",
            "en\thi\nwater\tपानी\nfire\tआग\n",
        );
        let pairs = read_pairs(&path).unwrap();
        assert_eq!(pairs.len(), 2, "the header is skipped");
        assert_eq!(
            (pairs[0].source_lang.as_str(), pairs[0].target_lang.as_str()),
            ("en", "hi")
        );
        assert_eq!(pairs[1].target, "आग");
        assert_eq!(pairs[1].id, "dict.en-hi:3");

        let headed = write(dir.path(), "words.tsv", "de\tfr\nHund\tchien\n\t\n");
        let read = read_bitext(&headed).unwrap();
        assert_eq!(read.skipped, 1);
        assert_eq!(read.pairs[0].source_lang, lang("de"));
        assert_eq!(read.pairs[0].id, "words:2");

        let given = read_tsv(&headed, lang("de"), lang("fr")).unwrap();
        assert_eq!(given, read.pairs);
    }

    #[test]
    fn from_pairs_drops_duplicates_and_refuses_mixed_languages() {
        let pair = |id: &str, s: &str, t: &str, tl: &str| TranslationPair {
            id: id.into(),
            source_lang: lang("en"),
            source: s.into(),
            target_lang: lang(tl),
            target: t.into(),
        };
        let pairs = [
            pair("a:1", "Yes.", "Ja.", "de"),
            pair("a:2", "Yes.", "Jawohl.", "de"),
            pair("a:3", "Sure.", "Ja.", "de"),
            pair("a:4", "No.", "Nein.", "de"),
        ];
        let task = BitextTask::from_pairs("a", &pairs).unwrap();
        assert_eq!(task.source, ["Yes.", "No."]);
        assert_eq!(task.target, ["Ja.", "Nein."]);
        assert_eq!(task.duplicates_dropped, 2);

        let mixed = [pairs[0].clone(), pair("b:1", "No.", "Non.", "fr")];
        let err = BitextTask::from_pairs("a", &mixed).unwrap_err().to_string();
        assert!(err.contains("pair b:1 is en-fr, expected en-de"), "{err}");
        assert!(BitextTask::from_pairs("a", &[]).is_err());
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
            err.contains("a.de-en.de: 2 lines") && err.contains("a.de-en.en has 1 lines"),
            "{err}"
        );

        let bad_tab = write(dir.path(), "b.en-de.tsv", "one\teins\ntwo eins zwei\n");
        let err = read_pairs(&bad_tab).unwrap_err().to_string();
        assert!(err.contains("b.en-de.tsv: line 2: expected"), "{err}");

        let unknown = write(dir.path(), "c.en-qq.tsv", "one\tx\n");
        let err = read_pairs(&unknown).unwrap_err().to_string();
        assert!(err.contains("c.en-qq.tsv") && err.contains("`qq`"), "{err}");

        let empty = write(dir.path(), "d.en-de.tsv", "\n");
        let err = read_pairs(&empty).unwrap_err().to_string();
        assert!(err.contains("d.en-de.tsv: no translation pairs"), "{err}");

        let swapped = write(dir.path(), "e.en-de.tsv", "de\ten\nHund\tdog\n");
        let err = read_pairs(&swapped).unwrap_err().to_string();
        assert!(
            err.contains("e.en-de.tsv: line 1: the header says de-en"),
            "{err}"
        );

        let headless = write(dir.path(), "f.tsv", "dog\tHund\n");
        let err = read_pairs(&headless).unwrap_err().to_string();
        assert!(
            err.contains("f.tsv: line 1: the file name has no language pair"),
            "{err}"
        );

        let same = write(dir.path(), "g.en-en.tsv", "a\tb\n");
        let err = read_pairs(&same).unwrap_err().to_string();
        assert!(err.contains("two different languages"), "{err}");

        let err = read_pairs(&dir.path().join("missing.en-de"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing.en-de.en"), "{err}");

        let err = read_pairs(&dir.path().join("plain.txt"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("plain.txt: file name must look like"), "{err}");
    }
}
