//! Turning a dataset reference from an experiment file or the command line into files on
//! disk: a known dataset name (checked against its manifest, downloaded when missing) or a
//! path to a file or folder.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use hbt_data::fetch::{self, DatasetManifest, FileStatus};

use hbt_schema::DataFile;

use crate::locations::Locations;
use crate::progress::Progress;

/// What a dataset reference points to.
#[derive(Debug, Clone)]
pub enum SourceKind {
    /// A folder of `LANG.json` SQuAD files with LAReQA sentence fields (XQuAD-R, MLQA-R...).
    Lareqa(PathBuf),
    /// A JSONL or Parquet file of parallel QA rows.
    QaRows(PathBuf),
    /// Translation pairs: a `NAME.xx-yy.tsv` file or aligned `NAME.xx-yy.{xx,yy}` files.
    Bitext(PathBuf),
    /// A BEIR / MIRACL folder (`corpus.jsonl`, queries, qrels).
    Beir(PathBuf),
}

/// A resolved dataset reference.
#[derive(Debug, Clone)]
pub struct Source {
    /// The reference as written (dataset name or path).
    pub reference: String,
    /// What it points to.
    pub kind: SourceKind,
    /// Every file read, with sha256.
    pub files: Vec<DataFile>,
}

/// Resolves a reference: a known dataset name (ensured present and verified) or a path.
pub fn resolve(reference: &str, locations: &Locations, progress: &dyn Progress) -> Result<Source> {
    if let Ok(manifest) = fetch::manifest(reference) {
        let (dir, files) = ensure_dataset(&manifest, locations, progress)?;
        return Ok(Source {
            reference: reference.to_string(),
            kind: SourceKind::Lareqa(dir),
            files,
        });
    }
    let path = PathBuf::from(reference);
    let kind = classify(&path).with_context(|| {
        let known: Vec<String> = fetch::manifests()
            .map(|m| m.into_iter().map(|m| m.name).collect())
            .unwrap_or_default();
        format!(
            "dataset `{reference}` is neither a known dataset ({}) nor a usable path",
            known.join(", ")
        )
    })?;
    let files = files_of(&kind)?
        .into_iter()
        .map(|path| {
            let sha256 = fetch::sha256_file(&path)?;
            Ok(DataFile { path, sha256 })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Source {
        reference: reference.to_string(),
        kind,
        files,
    })
}

fn classify(path: &Path) -> Result<SourceKind> {
    if path.is_dir() {
        if path.join("corpus.jsonl").is_file() {
            return Ok(SourceKind::Beir(path.to_path_buf()));
        }
        return Ok(SourceKind::Lareqa(path.to_path_buf()));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    match ext {
        "jsonl" | "ndjson" | "parquet" if path.is_file() => {
            Ok(SourceKind::QaRows(path.to_path_buf()))
        }
        "tsv" if path.is_file() => Ok(SourceKind::Bitext(path.to_path_buf())),
        _ if is_aligned_stem(path) => Ok(SourceKind::Bitext(path.to_path_buf())),
        _ if path.exists() => {
            // Named pipes and devices are refused before anything opens them.
            hbt_data::files::open_regular(path)?;
            bail!(
                "{}: not a data file hbt reads (.jsonl, .ndjson, .parquet, .tsv, or a folder)",
                path.display()
            )
        }
        _ => bail!("{}: not found", path.display()),
    }
}

/// `NAME.xx-yy` whose two files `NAME.xx-yy.xx` and `NAME.xx-yy.yy` exist.
fn is_aligned_stem(path: &Path) -> bool {
    aligned_files(path).is_some_and(|(a, b)| a.is_file() && b.is_file())
}

fn aligned_files(stem: &Path) -> Option<(PathBuf, PathBuf)> {
    let pair = stem.extension()?.to_str()?;
    let (a, b) = pair.split_once('-')?;
    let name = stem.to_str()?;
    Some((
        PathBuf::from(format!("{name}.{a}")),
        PathBuf::from(format!("{name}.{b}")),
    ))
}

fn files_of(kind: &SourceKind) -> Result<Vec<PathBuf>> {
    let list_dir = |dir: &Path| -> Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = walk(dir)?;
        files.sort();
        Ok(files)
    };
    Ok(match kind {
        SourceKind::Lareqa(dir) | SourceKind::Beir(dir) => list_dir(dir)?,
        SourceKind::QaRows(path) => vec![path.clone()],
        SourceKind::Bitext(path) => match aligned_files(path) {
            Some((a, b)) if a.is_file() && b.is_file() => vec![a, b],
            _ => vec![path.clone()],
        },
    })
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in
        std::fs::read_dir(dir).with_context(|| format!("{}: cannot read folder", dir.display()))?
    {
        let path = entry
            .with_context(|| format!("{}: cannot read folder", dir.display()))?
            .path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

/// Makes sure every file of a known dataset is in the data folder with the right sha256:
/// downloads what is missing or corrupt, or, offline, says which folder to provide.
pub fn ensure_dataset(
    manifest: &DatasetManifest,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<(PathBuf, Vec<DataFile>)> {
    let dir = locations.data_dir.join(&manifest.name);
    let status = fetch::verify_dataset(manifest, &locations.data_dir)?;
    let bad: Vec<&str> = status
        .iter()
        .filter(|(_, s)| !matches!(s, FileStatus::Ok))
        .map(|(n, _)| n.as_str())
        .collect();
    if !bad.is_empty() {
        let provide = format!(
            "provide the files in {} (or set HBT_DATA_DIR / --data-dir; see datasets/README.md)",
            dir.display()
        );
        if locations.offline {
            bail!(
                "dataset {} is missing or corrupt ({}) and downloads are off: {provide}",
                manifest.name,
                bad.join(", ")
            );
        }
        progress.line(
            "data",
            &format!(
                "{}: {} file(s) missing or corrupt, downloading",
                manifest.name,
                bad.len()
            ),
        );
        let mut report = |event| progress.fetch(&manifest.name, &event);
        fetch::fetch_dataset(
            manifest,
            &locations.data_dir,
            locations.base_url.as_deref(),
            &locations.download_limits,
            &mut report,
        )
        .with_context(|| format!("could not download {}; {provide}", manifest.name))?;
    }
    let files = manifest
        .files
        .iter()
        .map(|f| DataFile {
            path: dir.join(&f.name),
            sha256: f.sha256.clone(),
        })
        .collect();
    Ok((dir, files))
}
