//! Results files of an evaluation that need polars or stream: `per_query.parquet` and `trec/`
//! (`metrics.json` is [`hbt_schema::MetricsFile`]). Every file is written atomically.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{EvalError, Result};
use crate::rows::{PerQueryRow, Setting};
use crate::trec::TrecRun;

/// The file names of a run folder.
pub const PER_QUERY_FILE: &str = "per_query.parquet";
/// See [`PER_QUERY_FILE`].
pub const TREC_DIR: &str = "trec";

/// The string columns of `per_query.parquet`, in order.
const STRING_COLUMNS: [&str; 5] = ["dataset", "setting", "query_lang", "pool_lang", "query_id"];
/// The float columns, in order (after the string columns).
const FLOAT_COLUMNS: [&str; 5] = ["ap", "rr", "rr_at_10", "recall_at_10", "ndcg_at_10"];
/// The last column.
const RANKS_COLUMN: &str = "relevant_ranks";

/// Writes `path` atomically through [`hbt_schema::file::write_atomic_with`].
fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::result::Result<(), String>,
) -> Result<()> {
    hbt_schema::file::write_atomic_with(path, |out| write(out).map_err(std::io::Error::other))
        .map_err(|e| EvalError::io(path, e))
}

/// The rows as a polars frame with the columns of the results contract.
pub fn per_query_frame(rows: &[PerQueryRow]) -> Result<DataFrame> {
    let text = |f: fn(&PerQueryRow) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let float = |f: fn(&PerQueryRow) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
    let strings = [
        text(|r| &r.dataset),
        text(|r| r.setting.as_str()),
        text(|r| &r.query_lang),
        text(|r| &r.pool_lang),
        text(|r| &r.query_id),
    ];
    let floats = [
        float(|r| r.ap),
        float(|r| r.rr),
        float(|r| r.rr_at_10),
        float(|r| r.recall_at_10),
        float(|r| r.ndcg_at_10),
    ];
    let mut columns: Vec<Column> = Vec::new();
    for (name, values) in STRING_COLUMNS.iter().zip(strings) {
        columns.push(Column::new((*name).into(), values));
    }
    for (name, values) in FLOAT_COLUMNS.iter().zip(floats) {
        columns.push(Column::new((*name).into(), values));
    }
    let total: usize = rows.iter().map(|r| r.relevant_ranks.len()).sum();
    let mut ranks = ListPrimitiveChunkedBuilder::<UInt32Type>::new(
        RANKS_COLUMN.into(),
        rows.len(),
        total,
        DataType::UInt32,
    );
    for r in rows {
        ranks.append_slice(&r.relevant_ranks);
    }
    columns.push(ranks.finish().into_series().into_column());
    DataFrame::new(rows.len(), columns).map_err(|e| EvalError::Invalid(e.to_string()))
}

/// Writes `per_query.parquet` with the columns of the results contract: `dataset`, `setting`,
/// `query_lang`, `pool_lang`, `query_id` (strings), `ap`, `rr`, `rr_at_10`, `recall_at_10`,
/// `ndcg_at_10` (f64), `relevant_ranks` (list of u32).
pub fn write_per_query(path: &Path, rows: &[PerQueryRow]) -> Result<()> {
    let mut frame = per_query_frame(rows).map_err(|e| EvalError::format(path, e))?;
    write_atomic(path, |out| {
        ParquetWriter::new(out)
            .finish(&mut frame)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
}

/// Reads `per_query.parquet` back into rows; errors name the file and the column at fault.
pub fn read_per_query(path: &Path) -> Result<Vec<PerQueryRow>> {
    let file = File::open(path).map_err(|e| EvalError::io(path, e))?;
    let frame = ParquetReader::new(file)
        .finish()
        .map_err(|e| EvalError::format(path, e))?;
    let column = |name: &str| {
        frame
            .column(name)
            .map_err(|_| EvalError::format(path, format!("missing column `{name}`")))
    };
    let bad = |name: &str, e: PolarsError| EvalError::format(path, format!("column `{name}`: {e}"));
    let mut strings: Vec<Vec<String>> = Vec::new();
    for name in STRING_COLUMNS {
        let values = column(name)?.str().map_err(|e| bad(name, e))?;
        let values = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.map(str::to_string).ok_or_else(|| {
                    EvalError::format(path, format!("column `{name}`: row {i} is null"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        strings.push(values);
    }
    let mut floats: Vec<Vec<f64>> = Vec::new();
    for name in FLOAT_COLUMNS {
        let values = column(name)?.f64().map_err(|e| bad(name, e))?;
        floats.push(values.iter().map(|v| v.unwrap_or(f64::NAN)).collect());
    }
    let lists = column(RANKS_COLUMN)?
        .list()
        .map_err(|e| bad(RANKS_COLUMN, e))?;
    let mut ranks: Vec<Vec<u32>> = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        let series = lists.get_as_series(i).ok_or_else(|| {
            EvalError::format(path, format!("column `{RANKS_COLUMN}`: row {i} is null"))
        })?;
        let values = series.u32().map_err(|e| bad(RANKS_COLUMN, e))?;
        ranks.push(values.into_no_null_iter().collect());
    }
    let mut rows = Vec::with_capacity(frame.height());
    for (i, relevant_ranks) in ranks.into_iter().enumerate() {
        let setting: Setting = strings[1][i]
            .parse()
            .map_err(|e: EvalError| EvalError::format(path, format!("row {i}: {e}")))?;
        rows.push(PerQueryRow {
            dataset: strings[0][i].clone(),
            setting,
            query_lang: strings[2][i].clone(),
            pool_lang: strings[3][i].clone(),
            query_id: strings[4][i].clone(),
            ap: floats[0][i],
            rr: floats[1][i],
            rr_at_10: floats[2][i],
            recall_at_10: floats[3][i],
            ndcg_at_10: floats[4][i],
            relevant_ranks,
        });
    }
    Ok(rows)
}

/// Writes every run as `RUN_DIR/trec/STEM.run` (tagged `tag`) and `STEM.qrels`, creating the
/// folder; returns the paths written.
pub fn write_trec(run_dir: &Path, runs: &[TrecRun], tag: &str) -> Result<Vec<PathBuf>> {
    if tag.is_empty() || tag.chars().any(char::is_whitespace) {
        return Err(EvalError::Invalid(format!(
            "TREC run tag `{tag}` must be one word without spaces"
        )));
    }
    let dir = run_dir.join(TREC_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| EvalError::io(&dir, e))?;
    let mut written = Vec::new();
    for run in runs {
        let stem = run.file_stem();
        let run_path = dir.join(format!("{stem}.run"));
        write_atomic(&run_path, |out| {
            run.write_run(out, tag).map_err(|e| e.to_string())
        })?;
        let qrels_path = dir.join(format!("{stem}.qrels"));
        write_atomic(&qrels_path, |out| {
            run.write_qrels(out).map_err(|e| e.to_string())
        })?;
        written.push(run_path);
        written.push(qrels_path);
    }
    Ok(written)
}
