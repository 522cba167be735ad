//! `per_query.parquet`: one row per query and setting (see `results/README.md`).

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::error::{ReportError, Result};

/// One row of `per_query.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRow {
    /// Task (dataset) name.
    pub dataset: String,
    /// `mono`, `cross`, `multi`, `retrieval`, `bitext-forward` or `bitext-backward`.
    pub setting: String,
    /// Query language.
    pub query_lang: String,
    /// Pool language (`all` for multi).
    pub pool_lang: String,
    /// Query id (the parallel group's id for QA tasks).
    pub query_id: String,
    /// Average precision.
    pub ap: f64,
    /// Reciprocal rank cut at 10.
    pub rr_at_10: f64,
    /// 1-based ranks of the relevant items over the whole pool.
    pub relevant_ranks: Vec<u32>,
}

impl QueryRow {
    /// Max − min rank of the relevant items, for queries with at least two of them.
    pub fn rank_distance(&self) -> Option<u32> {
        if self.relevant_ranks.len() < 2 {
            return None;
        }
        let max = *self.relevant_ranks.iter().max()?;
        let min = *self.relevant_ranks.iter().min()?;
        Some(max - min)
    }
}

/// The key that pairs the same query across two runs.
pub type QueryKey = (String, String, String, String, String);

impl QueryRow {
    /// `(dataset, setting, query_lang, pool_lang, query_id)`.
    pub fn key(&self) -> QueryKey {
        (
            self.dataset.clone(),
            self.setting.clone(),
            self.query_lang.clone(),
            self.pool_lang.clone(),
            self.query_id.clone(),
        )
    }
}

const STRING_COLUMNS: [&str; 5] = ["dataset", "setting", "query_lang", "pool_lang", "query_id"];

/// Reads the columns the report uses from `per_query.parquet`.
pub fn read_per_query(path: &Path) -> Result<Vec<QueryRow>> {
    let file = File::open(path).map_err(|e| ReportError::open(path, e))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| ReportError::format(path, e.to_string()))?;
    let text = |name: &str| -> Result<Vec<String>> {
        let col = column(path, &df, name)?
            .cast(&DataType::String)
            .map_err(|e| col_err(path, name, e))?;
        let ca = col.str().map_err(|e| col_err(path, name, e))?;
        ca.iter()
            .enumerate()
            .map(|(i, v)| v.map(str::to_string).ok_or_else(|| null_err(path, name, i)))
            .collect()
    };
    let float = |name: &str| -> Result<Vec<f64>> {
        let col = column(path, &df, name)?
            .cast(&DataType::Float64)
            .map_err(|e| col_err(path, name, e))?;
        let ca = col.f64().map_err(|e| col_err(path, name, e))?;
        ca.iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| null_err(path, name, i)))
            .collect()
    };
    let [dataset, setting, query_lang, pool_lang, query_id] = [
        text(STRING_COLUMNS[0])?,
        text(STRING_COLUMNS[1])?,
        text(STRING_COLUMNS[2])?,
        text(STRING_COLUMNS[3])?,
        text(STRING_COLUMNS[4])?,
    ];
    let ap = float("ap")?;
    let rr_at_10 = float("rr_at_10")?;
    let ranks = {
        let name = "relevant_ranks";
        let col = column(path, &df, name)?
            .cast(&DataType::List(Box::new(DataType::UInt32)))
            .map_err(|e| col_err(path, name, e))?;
        let ca = col.list().map_err(|e| col_err(path, name, e))?;
        let mut out = Vec::with_capacity(ca.len());
        for series in ca.amortized_iter() {
            let ranks = match series {
                None => Vec::new(),
                Some(s) => {
                    let values = s.as_ref().u32().map_err(|e| col_err(path, name, e))?;
                    values.iter().flatten().collect()
                }
            };
            out.push(ranks);
        }
        out
    };
    let mut rows = Vec::with_capacity(df.height());
    let it = dataset
        .into_iter()
        .zip(setting)
        .zip(query_lang)
        .zip(pool_lang)
        .zip(query_id)
        .zip(ap.into_iter().zip(rr_at_10))
        .zip(ranks);
    for ((((((dataset, setting), query_lang), pool_lang), query_id), (ap, rr_at_10)), ranks) in it {
        rows.push(QueryRow {
            dataset,
            setting,
            query_lang,
            pool_lang,
            query_id,
            ap,
            rr_at_10,
            relevant_ranks: ranks,
        });
    }
    Ok(rows)
}

fn column<'a>(path: &Path, df: &'a DataFrame, name: &str) -> Result<&'a Column> {
    df.column(name).map_err(|_| {
        ReportError::format(
            path,
            format!(
                "missing column `{name}` (columns: {})",
                df.get_column_names()
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

fn col_err(path: &Path, name: &str, e: PolarsError) -> ReportError {
    ReportError::format(path, format!("column `{name}`: {e}"))
}

fn null_err(path: &Path, name: &str, row: usize) -> ReportError {
    ReportError::format(path, format!("column `{name}`: null at row {row}"))
}
