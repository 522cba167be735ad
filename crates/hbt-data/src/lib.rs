//! hbt-data: reads the datasets hbt trains and evaluates on, builds parallel groups and
//! evaluation tasks, splits training data, trains or loads tokenizers and downloads datasets.
//!
//! Nothing here prints or exits: every failure is a [`DataError`] that names the file, record
//! or value at fault.

pub mod beir;
pub mod bitext;
pub mod error;
pub mod fetch;
pub mod files;
pub mod groups;
pub mod lareqa;
pub mod qa_rows;
pub mod row_store;
pub mod split;
pub mod splitter;
pub mod squad;
pub mod stats;
pub mod task;
pub mod tokenize;
pub mod user_texts;

pub use error::{DataError, Result};
pub use groups::{GroupMember, ParallelGroup, TranslationPair};
pub use hbt_schema::lang::{Lang, UnknownLanguage};
