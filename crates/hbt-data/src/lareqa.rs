//! LAReQA-layout datasets (XQuAD-R, MLQA-R): a folder with one SQuAD file per language,
//! `LANG.json`, turned into parallel groups and a retrieval task.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};
use crate::groups::{GroupMember, ParallelGroup};
use crate::squad::{read_squad_file, SentenceSource, SquadFile};
use crate::task::QaTask;
use crate::Lang;

/// A LAReQA-layout dataset read from its folder.
#[derive(Debug, Clone)]
pub struct LareqaDataset {
    /// Dataset name (the folder name, e.g. `xquad-r`).
    pub name: String,
    /// The folder it was read from.
    pub dir: PathBuf,
    /// One checked file per language, sorted by language.
    pub files: Vec<SquadFile>,
}

/// The languages a LAReQA folder holds (`LANG.json` files), sorted.
///
/// A `.json` file whose name is not a language code is an error naming the file.
pub fn languages_in(dir: &Path) -> Result<Vec<(Lang, PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let mut found = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| DataError::io(dir, e))?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let lang = Lang::parse(stem).map_err(|_| {
            DataError::format(
                &path,
                "file name is not a language code (expected e.g. en.json)",
            )
        })?;
        found.push((lang, path));
    }
    found.sort();
    if found.is_empty() {
        return Err(DataError::empty(dir, "LANG.json files"));
    }
    Ok(found)
}

/// Reads a LAReQA folder. `languages` restricts it to some languages (each must have a
/// file); `None` reads every `LANG.json`.
pub fn read_lareqa_dir(
    dir: &Path,
    languages: Option<&[Lang]>,
    source: SentenceSource,
) -> Result<LareqaDataset> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("dataset")
        .to_string();
    if !dir.is_dir() {
        return Err(DataError::Io {
            path: dir.to_path_buf(),
            message: "folder not found".into(),
        });
    }
    let available = languages_in(dir)?;
    let chosen: Vec<(Lang, PathBuf)> = match languages {
        None => available,
        Some(wanted) => wanted
            .iter()
            .map(|lang| {
                available
                    .iter()
                    .find(|(l, _)| l == lang)
                    .cloned()
                    .ok_or_else(|| {
                        let have: Vec<String> =
                            available.iter().map(|(l, _)| l.to_string()).collect();
                        DataError::Invalid(format!(
                            "{}: no file for language {lang} (available: {})",
                            dir.display(),
                            have.join(", ")
                        ))
                    })
            })
            .collect::<Result<_>>()?,
    };
    let files = chosen
        .iter()
        .map(|(lang, path)| read_squad_file(path, *lang, source))
        .collect::<Result<Vec<_>>>()?;
    Ok(LareqaDataset {
        name,
        dir: dir.to_path_buf(),
        files,
    })
}

impl LareqaDataset {
    /// The dataset's languages, sorted.
    pub fn languages(&self) -> Vec<Lang> {
        self.files.iter().map(|f| f.lang).collect()
    }

    /// Parallel groups keyed by question id, sorted by id. Each member holds the question,
    /// its answer sentence and the paragraph.
    pub fn groups(&self) -> Vec<ParallelGroup> {
        let mut groups: BTreeMap<String, ParallelGroup> = BTreeMap::new();
        for file in &self.files {
            for para in &file.paragraphs {
                for q in &para.questions {
                    let member = GroupMember {
                        question: q.text.clone(),
                        answer: para.sentences[q.answer_sentence].clone(),
                        context: Some(para.context.clone()),
                    };
                    groups
                        .entry(q.id.clone())
                        .or_insert_with(|| ParallelGroup {
                            id: q.id.clone(),
                            members: BTreeMap::new(),
                        })
                        .members
                        .insert(file.lang, member);
                }
            }
        }
        groups.into_values().collect()
    }

    /// The retrieval task over all of the dataset's languages.
    pub fn task(&self) -> QaTask {
        QaTask::from_files(&self.name, &self.files)
    }
}
