//! QA rows (`group_id, lang, question, answer`, as [`crate::qa_rows`] reads them) streamed from
//! a JSON Lines or Parquet file into a **row store**: the texts are written once to a spill file
//! on disk and read back on demand; memory holds only a compact index (per group two 64-bit
//! hashes of its id and the spill offset of the id; per row its language and spill offset:
//! about 10 bytes a row and 24 a group, whatever the texts' length). A 40M-row source thus
//! trains without 40M rows in memory. Groups are the units the sampler draws, so a batch never
//! holds two translations of one question.
//!
//! Groups are numbered in the order their first row appears; the train/dev split is
//! [`crate::split::split_train_dev`]'s (same ids, same seed: same dev groups).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{DataError, Result};
use crate::groups::{GroupMember, ParallelGroup};
use crate::qa_rows::{one_line, string_column};
use crate::split::{id_hash, key_of_id_hash};
use crate::Lang;

/// Rows read per Parquet slice while building a store.
const PARQUET_SLICE: usize = 65_536;

/// A second, independent hash of a group id (FNV-1a from another basis, mixed): two ids are
/// taken as one group only when both hashes agree.
fn id_check(id: &str) -> u64 {
    let mut hash: u64 = 0x84222325cbf29ce4;
    for byte in id.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    crate::split::splitmix64(hash ^ 0x5851_f42d_4c95_7f2d)
}

/// A row store: QA rows spilled to disk with a compact index in memory (see the module
/// documentation).
#[derive(Debug)]
pub struct RowStore {
    source: PathBuf,
    spill_path: PathBuf,
    spill: File,
    /// Per group: [`id_hash`] of its id (the split key's basis).
    id_hashes: Vec<u64>,
    /// Per group: the spill offset of its id.
    id_offsets: Vec<u64>,
    /// Per group, plus one: the index of its first row in `row_langs` / `row_offsets`.
    first_row: Vec<u32>,
    /// Per row, grouped and sorted by language within each group.
    row_langs: Vec<Lang>,
    /// Per row: the spill offset of its question and answer.
    row_offsets: Vec<u64>,
}

/// One row as read from the source, before it is spilled.
struct SourceRow<'a> {
    number: usize,
    group_id: &'a str,
    lang: &'a str,
    question: &'a str,
    answer: &'a str,
}

/// Builds the index while rows stream in.
struct Builder {
    spill: BufWriter<File>,
    spill_path: PathBuf,
    written: u64,
    groups: HashMap<u64, u32>,
    id_hashes: Vec<u64>,
    id_checks: Vec<u64>,
    id_offsets: Vec<u64>,
    /// (group, language, spill offset, row number) per row.
    rows: Vec<(u32, Lang, u64, u32)>,
}

impl Builder {
    fn write(&mut self, parts: &[&[u8]]) -> Result<u64> {
        let offset = self.written;
        for part in parts {
            self.spill
                .write_all(part)
                .map_err(|e| DataError::io(&self.spill_path, e))?;
            self.written += part.len() as u64;
        }
        Ok(offset)
    }

    fn add(&mut self, source: &Path, row: SourceRow<'_>) -> Result<()> {
        let record = format!("row {}", row.number);
        let field = |name: &str, value: &str| -> Result<()> {
            if value.trim().is_empty() {
                return Err(DataError::record(
                    source,
                    &record,
                    format!("`{name}` is missing or empty"),
                ));
            }
            Ok(())
        };
        field("group_id", row.group_id)?;
        field("lang", row.lang)?;
        field("question", row.question)?;
        field("answer", row.answer)?;
        let lang =
            Lang::parse(row.lang).map_err(|e| DataError::record(source, &record, e.to_string()))?;
        let (hash, check) = (id_hash(row.group_id), id_check(row.group_id));
        let group = match self.groups.get(&hash) {
            Some(&group) if self.id_checks[group as usize] == check => group,
            Some(_) => {
                return Err(DataError::record(
                    source,
                    &record,
                    format!(
                        "group id `{}` has the 64-bit hash of an earlier, different id; rename one",
                        row.group_id
                    ),
                ))
            }
            None => {
                let group = u32::try_from(self.id_hashes.len()).map_err(|_| {
                    DataError::format(source, "more than 4,294,967,295 groups".to_string())
                })?;
                let id = row.group_id.as_bytes();
                let offset = self.write(&[&(id.len() as u32).to_le_bytes(), id])?;
                self.groups.insert(hash, group);
                self.id_hashes.push(hash);
                self.id_checks.push(check);
                self.id_offsets.push(offset);
                group
            }
        };
        let (q, a) = (row.question.as_bytes(), row.answer.as_bytes());
        let offset = self.write(&[
            &(q.len() as u32).to_le_bytes(),
            &(a.len() as u32).to_le_bytes(),
            q,
            a,
        ])?;
        let number = u32::try_from(row.number).unwrap_or(u32::MAX);
        self.rows.push((group, lang, offset, number));
        Ok(())
    }
}

impl RowStore {
    /// Streams the QA rows of `source` (`.jsonl` / `.json` / `.ndjson` or `.parquet`) into a
    /// store whose texts go to the file `spill` (created or replaced). `on_rows` is called
    /// with the rows read so far, every slice of rows (progress).
    ///
    /// # Errors
    /// [`DataError`] naming the file and the row for a missing or empty field, an unknown
    /// language, a group with one language twice, an unreadable file or an empty one.
    pub fn build(source: &Path, spill: &Path, on_rows: &mut dyn FnMut(usize)) -> Result<RowStore> {
        let file = File::create(spill).map_err(|e| DataError::io(spill, e))?;
        let mut builder = Builder {
            spill: BufWriter::with_capacity(1 << 20, file),
            spill_path: spill.to_path_buf(),
            written: 0,
            groups: HashMap::new(),
            id_hashes: Vec::new(),
            id_checks: Vec::new(),
            id_offsets: Vec::new(),
            rows: Vec::new(),
        };
        let ext = source
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        match ext {
            "parquet" => read_parquet(source, &mut builder, on_rows)?,
            "jsonl" | "json" | "ndjson" => read_jsonl(source, &mut builder, on_rows)?,
            other => {
                return Err(DataError::format(
                    source,
                    format!(
                        "unsupported extension `{other}` for QA rows (expected .jsonl or .parquet)"
                    ),
                ))
            }
        }
        if builder.rows.is_empty() {
            return Err(DataError::empty(source, "rows"));
        }
        builder.spill.flush().map_err(|e| DataError::io(spill, e))?;
        let Builder {
            spill: writer,
            id_hashes,
            id_offsets,
            mut rows,
            ..
        } = builder;
        let spill_file = writer
            .into_inner()
            .map_err(|e| DataError::io(spill, e.into_error()))?;
        drop(spill_file);
        rows.sort_unstable_by_key(|&(group, lang, _, _)| (group, lang));
        let store_file = File::open(spill).map_err(|e| DataError::io(spill, e))?;
        let mut store = RowStore {
            source: source.to_path_buf(),
            spill_path: spill.to_path_buf(),
            spill: store_file,
            first_row: Vec::with_capacity(id_hashes.len() + 1),
            id_hashes,
            id_offsets,
            row_langs: Vec::with_capacity(rows.len()),
            row_offsets: Vec::with_capacity(rows.len()),
        };
        let mut duplicate = None;
        for (i, &(group, lang, offset, number)) in rows.iter().enumerate() {
            while store.first_row.len() <= group as usize {
                store.first_row.push(i as u32);
            }
            if i > 0 && rows[i - 1].0 == group && rows[i - 1].1 == lang && duplicate.is_none() {
                duplicate = Some((group, lang, number.max(rows[i - 1].3)));
            }
            store.row_langs.push(lang);
            store.row_offsets.push(offset);
        }
        drop(rows);
        store.first_row.push(store.row_langs.len() as u32);
        if let Some((group, lang, number)) = duplicate {
            let id = store.group_id(group as usize)?;
            return Err(DataError::record(
                source,
                format!("row {number}"),
                format!("group {id} already has a {lang} row"),
            ));
        }
        Ok(store)
    }

    /// The file the rows came from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Groups (parallel questions) in the store.
    pub fn groups(&self) -> usize {
        self.id_hashes.len()
    }

    /// Rows (one language of one group) in the store.
    pub fn rows(&self) -> usize {
        self.row_langs.len()
    }

    /// Bytes the in-memory index holds.
    pub fn index_bytes(&self) -> usize {
        self.id_hashes.len() * 16 + self.first_row.len() * 4 + self.row_langs.len() * 10
    }

    /// The languages of group `group`, sorted.
    pub fn languages(&self, group: usize) -> &[Lang] {
        &self.row_langs[self.row_range(group)]
    }

    fn row_range(&self, group: usize) -> std::ops::Range<usize> {
        self.first_row[group] as usize..self.first_row[group + 1] as usize
    }

    fn read(&self, offset: u64, length: usize) -> Result<Vec<u8>> {
        let mut bytes = vec![0; length];
        self.spill
            .read_exact_at(&mut bytes, offset)
            .map_err(|e| DataError::io(&self.spill_path, e))?;
        Ok(bytes)
    }

    fn text(&self, bytes: Vec<u8>) -> Result<String> {
        String::from_utf8(bytes)
            .map_err(|_| DataError::format(&self.spill_path, "a text is not UTF-8 (damaged?)"))
    }

    /// The id of group `group`.
    ///
    /// # Errors
    /// [`DataError::Io`] naming the spill file when it cannot be read.
    pub fn group_id(&self, group: usize) -> Result<String> {
        let offset = self.id_offsets[group];
        let length = u32::from_le_bytes(self.read(offset, 4)?.try_into().unwrap_or([0; 4]));
        self.text(self.read(offset + 4, length as usize)?)
    }

    /// The question and answer of group `group` in `lang` (`None` when it lacks `lang`).
    ///
    /// # Errors
    /// [`DataError::Io`] naming the spill file when it cannot be read.
    pub fn member(&self, group: usize, lang: Lang) -> Result<Option<(String, String)>> {
        let range = self.row_range(group);
        let Ok(i) = self.row_langs[range.clone()].binary_search(&lang) else {
            return Ok(None);
        };
        let offset = self.row_offsets[range.start + i];
        let header = self.read(offset, 8)?;
        let length =
            |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().unwrap_or([0; 4]));
        let (q, a) = (length(0) as usize, length(4) as usize);
        let mut body = self.read(offset + 8, q + a)?;
        let answer = body.split_off(q);
        Ok(Some((self.text(body)?, self.text(answer)?)))
    }

    /// Group `group` with all its texts.
    ///
    /// # Errors
    /// [`DataError::Io`] naming the spill file when it cannot be read.
    pub fn group(&self, group: usize) -> Result<ParallelGroup> {
        let mut members = std::collections::BTreeMap::new();
        for &lang in self.languages(group) {
            if let Some((question, answer)) = self.member(group, lang)? {
                members.insert(
                    lang,
                    GroupMember {
                        question,
                        answer,
                        context: None,
                    },
                );
            }
        }
        Ok(ParallelGroup {
            id: self.group_id(group)?,
            members,
        })
    }

    /// The groups' training and dev parts, as group numbers in store order: the
    /// `round(dev_fraction × groups)` groups with the smallest [`crate::split::group_key`]
    /// under `seed` are dev, as [`crate::split::split_train_dev`] splits.
    ///
    /// # Errors
    /// [`DataError::Invalid`] when `dev_fraction` is outside [0, 1).
    pub fn split(&self, dev_fraction: f64, seed: u64) -> Result<(Vec<u32>, Vec<u32>)> {
        if !(0.0..1.0).contains(&dev_fraction) {
            return Err(DataError::Invalid(format!(
                "dev_fraction must be in [0, 1), got {dev_fraction}"
            )));
        }
        let n = self.groups();
        let n_dev = (dev_fraction * n as f64).round() as usize;
        let mut dev = vec![false; n];
        if n_dev > 0 {
            let mut keyed: Vec<(u64, u32)> = self
                .id_hashes
                .iter()
                .enumerate()
                .map(|(g, &hash)| (key_of_id_hash(hash, seed), g as u32))
                .collect();
            keyed.select_nth_unstable(n_dev - 1);
            for &(_, g) in &keyed[..n_dev] {
                dev[g as usize] = true;
            }
        }
        let (dev_groups, train_groups): (Vec<u32>, Vec<u32>) =
            (0..n as u32).partition(|&g| dev[g as usize]);
        Ok((train_groups, dev_groups))
    }
}

/// JSON Lines rows, one object per line (blank lines skipped).
fn read_jsonl(source: &Path, builder: &mut Builder, on_rows: &mut dyn FnMut(usize)) -> Result<()> {
    let text_field = |value: &serde_json::Value, name: &str| -> String {
        match value.get(name) {
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(serde_json::Value::Number(number)) => number.to_string(),
            _ => String::new(),
        }
    };
    let mut count = 0;
    for (number, line) in crate::files::numbered_lines(source)? {
        let record = format!("line {number}");
        let line = line.map_err(|e| DataError::record(source, &record, e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| DataError::record(source, &record, format!("invalid JSON: {e}")))?;
        if !value.is_object() {
            return Err(DataError::record(source, &record, "not a JSON object"));
        }
        let fields = ["group_id", "lang", "question", "answer"].map(|n| text_field(&value, n));
        builder.add(
            source,
            SourceRow {
                number,
                group_id: &fields[0],
                lang: &fields[1],
                question: &fields[2],
                answer: &fields[3],
            },
        )?;
        count += 1;
        if count % PARQUET_SLICE == 0 {
            on_rows(count);
        }
    }
    on_rows(count);
    Ok(())
}

/// Parquet rows, read in slices of [`PARQUET_SLICE`] rows with only the four columns.
fn read_parquet(
    source: &Path,
    builder: &mut Builder,
    on_rows: &mut dyn FnMut(usize),
) -> Result<()> {
    let polars_error = |e: PolarsError| DataError::format(source, one_line(&e.to_string()));
    let total = ParquetReader::new(crate::files::open_regular(source)?)
        .num_rows()
        .map_err(polars_error)?;
    let columns: Vec<String> = ["group_id", "lang", "question", "answer"]
        .map(String::from)
        .to_vec();
    let mut start = 0;
    while start < total {
        let length = PARQUET_SLICE.min(total - start);
        let frame = ParquetReader::new(crate::files::open_regular(source)?)
            .with_columns(Some(columns.clone()))
            .with_slice(Some((start, length)))
            .finish()
            .map_err(polars_error)?;
        let values: Vec<Vec<Option<String>>> = columns
            .iter()
            .map(|name| string_column(source, &frame, name))
            .collect::<Result<_>>()?;
        drop(frame);
        let [ids, langs, questions, answers] = &values[..] else {
            unreachable!("four columns were read")
        };
        let fields = ids.iter().zip(langs).zip(questions).zip(answers);
        for (i, (((id, lang), question), answer)) in fields.enumerate() {
            let text = |value: &Option<String>| value.as_deref().unwrap_or_default().to_string();
            let (id, lang, question, answer) = (text(id), text(lang), text(question), text(answer));
            builder.add(
                source,
                SourceRow {
                    number: start + i + 1,
                    group_id: &id,
                    lang: &lang,
                    question: &question,
                    answer: &answer,
                },
            )?;
        }
        start += length;
        on_rows(start);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qa_rows::read_qa_rows;
    use crate::split::split_train_dev;

    const ROWS: &str = r#"{"group_id": "g1", "lang": "en", "question": "Who?", "answer": "Me."}
{"group_id": "g2", "lang": "en", "question": "Why?", "answer": "Because."}
{"group_id": "g1", "lang": "de", "question": "Wer?", "answer": "Ich."}

{"group_id": 7, "lang": "zh", "question": "谁?", "answer": "我。"}
"#;

    fn store(text: &str, name: &str) -> (tempfile::TempDir, Result<RowStore>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let store = RowStore::build(&path, &dir.path().join("spill"), &mut |_| {});
        (dir, store)
    }

    #[test]
    fn a_store_holds_the_groups_qa_rows_reads() {
        let (dir, store) = store(ROWS, "rows.jsonl");
        let store = store.unwrap();
        assert_eq!((store.groups(), store.rows()), (3, 4));
        let mut groups: Vec<ParallelGroup> = (0..3).map(|g| store.group(g).unwrap()).collect();
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(
            groups,
            read_qa_rows(&dir.path().join("rows.jsonl")).unwrap()
        );
        let de = Lang::parse("de").unwrap();
        assert_eq!(store.languages(0), [de, Lang::parse("en").unwrap()]);
        assert_eq!(
            store.member(0, de).unwrap(),
            Some(("Wer?".to_string(), "Ich.".to_string()))
        );
        assert_eq!(store.member(1, de).unwrap(), None);
        assert!(store.index_bytes() < 200);
    }

    #[test]
    fn the_split_is_the_in_memory_split() {
        let rows: String = (0..200)
            .flat_map(|g| {
                ["en", "de"].map(|l| {
                    format!(
                        "{{\"group_id\": \"q{g}\", \"lang\": \"{l}\", \"question\": \"q {g} {l}\", \"answer\": \"a\"}}\n"
                    )
                })
            })
            .collect();
        let (dir, store) = store(&rows, "rows.jsonl");
        let store = store.unwrap();
        let (train, dev) = store.split(0.1, 9).unwrap();
        assert_eq!((train.len(), dev.len()), (180, 20));
        let expected = split_train_dev(
            read_qa_rows(&dir.path().join("rows.jsonl")).unwrap(),
            0.1,
            9,
        )
        .unwrap();
        let mut ids: Vec<String> = dev
            .iter()
            .map(|&g| store.group_id(g as usize).unwrap())
            .collect();
        let mut expected: Vec<String> = expected.dev.into_iter().map(|g| g.id).collect();
        ids.sort();
        expected.sort();
        assert_eq!(ids, expected);
        assert!(store.split(1.0, 9).is_err());
    }

    #[test]
    fn bad_rows_are_named() {
        let cases = [
            ("{\"group_id\": \"g\", \"lang\": \"en\", \"question\": \"\", \"answer\": \"a\"}\n", "row 1: `question` is missing or empty"),
            ("{\"group_id\": \"g\", \"lang\": \"xx\", \"question\": \"q\", \"answer\": \"a\"}\n", "row 1"),
            ("{\"group_id\": \"g\", \"lang\": \"en\", \"question\": \"q\", \"answer\": \"a\"}\n{\"group_id\": \"g\", \"lang\": \"en\", \"question\": \"q2\", \"answer\": \"a\"}\n", "row 2: group g already has a en row"),
            ("[1, 2]\n", "line 1: not a JSON object"),
            ("{oops\n", "line 1: invalid JSON"),
            ("\n", "no rows"),
        ];
        for (text, culprit) in cases {
            let (_dir, store) = store(text, "rows.jsonl");
            let message = store.unwrap_err().to_string();
            assert!(message.contains(culprit), "{message} lacks {culprit}");
            assert!(message.contains("rows.jsonl"), "{message}");
        }
        let (_dir, store) = store("x", "rows.csv");
        assert!(store
            .unwrap_err()
            .to_string()
            .contains("unsupported extension `csv`"));
    }

    #[test]
    fn parquet_rows_are_read_in_slices_as_jsonl_rows() {
        let (dir, jsonl) = store(ROWS, "rows.jsonl");
        let jsonl = jsonl.unwrap();
        let frame = crate::qa_rows::read_frame(&dir.path().join("rows.jsonl")).unwrap();
        let mut frame = frame;
        let parquet = dir.path().join("rows.parquet");
        ParquetWriter::new(File::create(&parquet).unwrap())
            .finish(&mut frame)
            .unwrap();
        let from_parquet =
            RowStore::build(&parquet, &dir.path().join("spill2"), &mut |_| {}).unwrap();
        assert_eq!(from_parquet.groups(), jsonl.groups());
        for g in 0..jsonl.groups() {
            assert_eq!(from_parquet.group(g).unwrap(), jsonl.group(g).unwrap());
        }
    }
}
