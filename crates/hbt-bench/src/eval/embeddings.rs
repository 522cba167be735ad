//! The embeddings file set shared with the PyTorch reference: `questions.f32` and `pool.f32`
//! (little-endian f32 rows, languages in alphabetical order) and `embeddings.json` (shapes).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{ensure, Context, Result};
use hbt_data::task::{LanguagePool, QaTask};
use hbt_data::Lang;
use hbt_eval::{Embeddings, QaEmbeddings};

use super::TOP_K;
use crate::files::{write_f32_le, write_json};

/// Writes the pooled question and candidate embeddings as raw little-endian f32 rows plus
/// their shapes, the search block and the hits kept per query.
pub(super) fn export(dir: &Path, embeddings: &QaEmbeddings, block: usize) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let questions = Embeddings::concat(embeddings.questions.values())?;
    let pool = Embeddings::concat(embeddings.candidates.values())?;
    for (name, matrix) in [("questions.f32", &questions), ("pool.f32", &pool)] {
        write_f32_le(&dir.join(name), matrix.as_slice())?;
    }
    let sizes = |m: &BTreeMap<Lang, Embeddings>| -> BTreeMap<String, usize> {
        m.iter()
            .map(|(l, e)| (l.as_str().to_string(), e.rows()))
            .collect()
    };
    let json = serde_json::json!({
        "questions": questions.rows(), "pool": pool.rows(), "dim": pool.dim(),
        "top_k": TOP_K, "block": block,
        "question_rows": sizes(&embeddings.questions),
        "pool_rows": sizes(&embeddings.candidates),
    });
    write_json(&dir.join("embeddings.json"), &json)
}

/// Reads what [`export`] wrote, split back into languages by the task's counts.
pub(super) fn read(dir: &Path, task: &QaTask) -> Result<QaEmbeddings> {
    let spec_path = dir.join("embeddings.json");
    let spec: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&spec_path)
            .with_context(|| format!("reading {}", spec_path.display()))?,
    )
    .with_context(|| format!("{}: not JSON", spec_path.display()))?;
    let dim = spec["dim"]
        .as_u64()
        .with_context(|| format!("{}: no `dim`", spec_path.display()))? as usize;
    Ok(QaEmbeddings {
        questions: read_matrix(&dir.join("questions.f32"), task, dim, |p| p.questions.len())?,
        candidates: read_matrix(&dir.join("pool.f32"), task, dim, |p| p.candidates.len())?,
    })
}

/// One f32 file of `dim`-wide rows, cut into languages of `rows_of(pool)` rows each.
fn read_matrix(
    path: &Path,
    task: &QaTask,
    dim: usize,
    rows_of: impl Fn(&LanguagePool) -> usize,
) -> Result<BTreeMap<Lang, Embeddings>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let total: usize = task.pools.values().map(&rows_of).sum();
    ensure!(
        bytes.len() == total * dim * 4,
        "{}: {} bytes, expected {total} rows of {dim} f32 for {}",
        path.display(),
        bytes.len(),
        task.name
    );
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let mut out = BTreeMap::new();
    let mut start = 0;
    for (lang, pool) in &task.pools {
        let rows = rows_of(pool);
        let part = values[start * dim..(start + rows) * dim].to_vec();
        out.insert(*lang, Embeddings::new(part, rows, dim)?);
        start += rows;
    }
    Ok(out)
}
