//! Test support shared by the crates' tests (a dev-dependency only, never part of `hbt`).
//!
//! - [`real_data_dir`]: where the real datasets are. Real-data tests read `HBT_DATA_DIR`, or
//!   `../shared/datasets` beside the repository. When neither exists the test is skipped with a
//!   message, except under `CI=true`, where missing data fails the test: CI must never pass by
//!   skipping the real-data tests.
//! - [`real_model_dir`]: the same rule for the pretrained model folder
//!   `../shared/models/multilingual-e5-small-q4` (`HBT_MODEL_DIR` overrides it).
//! - [`fake_hub`]: a fake Hugging Face hub on 127.0.0.1 in the hub's URL layout and headers.
//! - [`LocalServer`]: serves a folder over HTTP on 127.0.0.1, for download tests.

pub mod fake_hub;

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

/// The folder holding `xquad-r/` and `mlqa-r/`, or `None` (test skipped) outside CI.
///
/// # Panics
/// When the data is missing and the environment variable `CI` is `true`.
pub fn real_data_dir() -> Option<PathBuf> {
    shared_folder("HBT_DATA_DIR", "datasets", "the real datasets", |dir| {
        dir.join("xquad-r").is_dir() && dir.join("mlqa-r").is_dir()
    })
}

/// The folder of multilingual-e5-small with 4-bit weights (`e5-small-q4.bin`,
/// `tokenizer.json`, `reference_embeddings.json`), or `None` (test skipped) outside CI.
///
/// # Panics
/// When the model is missing and the environment variable `CI` is `true`.
pub fn real_model_dir() -> Option<PathBuf> {
    shared_folder(
        "HBT_MODEL_DIR",
        "models/multilingual-e5-small-q4",
        "the pretrained model",
        |dir| dir.join("e5-small-q4.bin").is_file() && dir.join("tokenizer.json").is_file(),
    )
}

/// `$variable`, else `../shared/RELATIVE` beside the repository, when `complete` accepts it;
/// else `None` with a message, or a panic under `CI=true` (CI never passes by skipping).
fn shared_folder(
    variable: &str,
    relative: &str,
    what: &str,
    complete: impl Fn(&std::path::Path) -> bool,
) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os(variable).map(PathBuf::from),
        Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared")
                .join(relative),
        ),
    ];
    if let Some(dir) = candidates.into_iter().flatten().find(|dir| complete(dir)) {
        return Some(dir);
    }
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!("CI=true but {what} not found: set {variable} (default ../shared/{relative})");
    }
    eprintln!("skipped: {what} not found (set {variable})");
    None
}

/// Serves the files under a folder on 127.0.0.1 (a free port) until dropped; anything else,
/// and any path with `..`, answers 404.
pub struct LocalServer {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
}

impl LocalServer {
    /// Starts serving `root`.
    pub fn serve(root: PathBuf) -> LocalServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let url = format!(
            "http://{}",
            server.server_addr().to_ip().expect("an IP address")
        );
        let handle = server.clone();
        let thread = std::thread::spawn(move || {
            for request in handle.incoming_requests() {
                let rel = request.url().trim_start_matches('/').to_string();
                let path = root.join(&rel);
                let file = if rel.split('/').any(|c| c == "..") || !path.is_file() {
                    None
                } else {
                    std::fs::File::open(&path).ok()
                };
                let _ = match file {
                    Some(file) => request.respond(tiny_http::Response::from_file(file)),
                    None => request.respond(tiny_http::Response::empty(404)),
                };
            }
        });
        LocalServer {
            server,
            thread: Some(thread),
            url,
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
