//! Time limits of hbt's downloads, one definition for every downloader (datasets with ureq,
//! hub models with hf-hub): an overall deadline per file and a minimum rate, so that a stalled
//! or trickling server is abandoned with an error naming the limit instead of holding hbt forever.

mod limits;
mod rate;

pub use limits::{DownloadLimits, LimitsError, DEADLINE_VAR, MIN_RATE_VAR};
pub use rate::RateCheck;
