//! Locating the real datasets from tests. Not part of the library's API.
//!
//! Real-data tests read `HBT_DATA_DIR`, or `../shared/datasets` beside the repository. When
//! neither exists the test is skipped with a message, except under `CI=true`, where missing
//! data fails the test: CI must never pass by skipping the real-data tests.

use std::path::PathBuf;

/// The folder holding `xquad-r/` and `mlqa-r/`, or `None` (test skipped) outside CI.
///
/// # Panics
/// When the data is missing and the environment variable `CI` is `true`.
pub fn real_data_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("HBT_DATA_DIR").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets")),
    ];
    for dir in candidates.into_iter().flatten() {
        if dir.join("xquad-r").is_dir() && dir.join("mlqa-r").is_dir() {
            return Some(dir);
        }
    }
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!("CI=true but the real datasets are missing: set HBT_DATA_DIR to the folder holding xquad-r/ and mlqa-r/");
    }
    eprintln!("skipped: real datasets not found (set HBT_DATA_DIR)");
    None
}
