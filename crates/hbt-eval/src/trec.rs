//! TREC run and qrels files of one setting and language pair.
//!
//! A run line is `QID Q0 DOCID RANK SCORE TAG` (top `k`, best first, rank 1-based), a qrels
//! line `QID 0 DOCID GRADE`. Ids: QA queries are `LANG:GROUPID`, QA candidates
//! `LANG:PARAGRAPH:SENTENCE`; retrieval uses the dataset's ids; bitext uses `LANG:LINE`
//! (0-based line index). Files are named `DATASET.SETTING.QLANG-PLANG.run` / `.qrels`.
//!
//! Note: trec_eval re-sorts a run by score and breaks exact ties by document id, not by pool
//! order, so on exact ties its numbers can differ slightly from `metrics.json`.

use std::io::{self, Write};
use std::sync::Arc;

use crate::rows::Setting;
use crate::search::Hit;

/// One query of a run: its hits and its judgements.
#[derive(Debug, Clone, PartialEq)]
pub struct TrecQuery {
    /// Query id.
    pub id: String,
    /// The top hits, best first (indices into the run's `doc_ids`).
    pub hits: Vec<Hit>,
    /// Judged pool items: (index into `doc_ids`, grade).
    pub qrels: Vec<(u32, i32)>,
}

/// The run of one dataset, setting and language pair.
#[derive(Debug, Clone, PartialEq)]
pub struct TrecRun {
    /// Task name.
    pub dataset: String,
    /// Setting.
    pub setting: Setting,
    /// Query language.
    pub query_lang: String,
    /// Pool language (`all` for multi).
    pub pool_lang: String,
    /// Document id of every pool item (shared between the runs of one pool).
    pub doc_ids: Arc<[String]>,
    /// The queries, in evaluation order.
    pub queries: Vec<TrecQuery>,
}

impl TrecRun {
    /// `DATASET.SETTING.QLANG-PLANG`, the name of the run and qrels files without extension.
    pub fn file_stem(&self) -> String {
        format!(
            "{}.{}.{}-{}",
            self.dataset, self.setting, self.query_lang, self.pool_lang
        )
    }

    /// Writes the run lines, tagged `tag`.
    pub fn write_run(&self, out: &mut dyn Write, tag: &str) -> io::Result<()> {
        for q in &self.queries {
            for (rank, hit) in q.hits.iter().enumerate() {
                writeln!(
                    out,
                    "{} Q0 {} {} {} {tag}",
                    q.id,
                    self.doc_ids[hit.index as usize],
                    rank + 1,
                    hit.score
                )?;
            }
        }
        Ok(())
    }

    /// Writes the qrels lines.
    pub fn write_qrels(&self, out: &mut dyn Write) -> io::Result<()> {
        for q in &self.queries {
            for &(doc, grade) in &q.qrels {
                writeln!(out, "{} 0 {} {grade}", q.id, self.doc_ids[doc as usize])?;
            }
        }
        Ok(())
    }
}
