//! A fake Hugging Face hub on 127.0.0.1: the real URL layout
//! `/{org}/{name}/resolve/{revision}/{file}`, answering as huggingface.co does as far as
//! hf-hub 0.4.3 reads it:
//! * `Range: bytes=0-0` gets 206 with `Content-Range: bytes 0-0/SIZE`, `X-Repo-Commit`, and
//!   `ETag: "<git blob sha1>"` for regular files;
//! * LFS files get `X-Linked-Etag: "<sha256>"` (plus an `ETag`) and a 302 to an absolute
//!   "CDN" URL (`/cdn/{sha256}` on the same server), as the hub redirects to its storage;
//! * `Range: bytes=N-` gets 206 with the rest;
//! * unknown repos or files get 404 with the hub's `X-Error-Code` / `X-Error-Message`.
//!
//! Every request is counted.

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use sha1::{Digest, Sha1};
use sha2::Sha256;
use tiny_http::{Header, Request, Response, Server};

/// The git blob sha1 of `content`: the hub's ETag of a regular file.
pub fn git_sha1(content: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    hex(&hasher.finalize())
}

/// The sha256 of `content`: the hub's linked ETag of an LFS file.
pub fn sha256(content: &[u8]) -> String {
    hex(&Sha256::digest(content))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One file of a fake repo.
#[derive(Clone)]
pub struct FakeFile {
    /// Its name in the repo.
    pub name: String,
    /// Its content: what the ETag is computed from.
    pub content: Vec<u8>,
    /// Stored with git LFS (ETag from sha256, served through the CDN redirect).
    pub lfs: bool,
    /// Bytes served instead of `content` (a corrupted download).
    pub served: Option<Vec<u8>>,
    /// The ETag sent instead of the checksum (without quotes).
    pub etag: Option<String>,
    /// Served one byte per this interval from the CDN path (an LFS file's body), as a
    /// trickling server does; `None` serves it at once.
    pub trickle: Option<Duration>,
}

impl FakeFile {
    /// A file served as it is (`lfs`: through the LFS redirect, sha256 ETag).
    pub fn new(name: &str, content: Vec<u8>, lfs: bool) -> FakeFile {
        FakeFile {
            name: name.into(),
            content,
            lfs,
            served: None,
            trickle: None,
            etag: None,
        }
    }

    fn served(&self) -> &[u8] {
        self.served.as_deref().unwrap_or(&self.content)
    }

    /// The checksum the hub publishes for the content.
    pub fn checksum(&self) -> String {
        if self.lfs {
            sha256(&self.content)
        } else {
            git_sha1(&self.content)
        }
    }
}

/// One repo at one revision.
#[derive(Clone)]
pub struct FakeRepo {
    /// `ORG/NAME`
    pub id: String,
    /// The revision in the URL (`main`, `v1`, ...).
    pub revision: String,
    /// The commit the revision points to (40 hex digits).
    pub commit: String,
    /// The files.
    pub files: Vec<FakeFile>,
    /// Send `X-Repo-Commit` (the hub always does).
    pub commit_header: bool,
}

impl FakeRepo {
    /// A tiny but real-looking BERT repo: a JSON config, a few KB of safetensors (LFS) and a
    /// tokenizer.json. `seed` varies the content.
    pub fn tiny(id: &str, revision: &str, seed: u8) -> FakeRepo {
        let config = format!(
            "{{\n  \"architectures\": [\"BertModel\"],\n  \"model_type\": \"bert\",\n  \
             \"hidden_size\": 32,\n  \"num_hidden_layers\": 2,\n  \"num_attention_heads\": 2,\n  \
             \"intermediate_size\": 64,\n  \"vocab_size\": 64,\n  \"max_position_embeddings\": 32,\n  \
             \"seed\": {seed}\n}}\n"
        );
        let header = b"{\"embeddings.word_embeddings.weight\":{\"dtype\":\"F32\",\"shape\":[64,32],\"data_offsets\":[0,8192]}}";
        let mut safetensors = (header.len() as u64).to_le_bytes().to_vec();
        safetensors.extend_from_slice(header);
        safetensors.extend((0..8192u32).map(|i| (i.wrapping_mul(31) as u8) ^ seed));
        let tokenizer = format!(
            "{{\"version\":\"1.0\",\"model\":{{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\
             \"vocab\":{{\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3,\"hello\":4,\"x{seed}\":5}}}}}}"
        );
        FakeRepo {
            id: id.into(),
            revision: revision.into(),
            commit: commit_hash(id, revision, seed),
            files: vec![
                FakeFile::new("config.json", config.into_bytes(), false),
                FakeFile::new("model.safetensors", safetensors, true),
                FakeFile::new("tokenizer.json", tokenizer.into_bytes(), false),
            ],
            commit_header: true,
        }
    }

    /// A repo serving the files of a real model folder: `config.json`, `model.safetensors`
    /// (as LFS) and `tokenizer.json`.
    pub fn from_folder(id: &str, revision: &str, dir: &std::path::Path) -> FakeRepo {
        let read = |name: &str| std::fs::read(dir.join(name)).expect("a model folder file");
        FakeRepo {
            id: id.into(),
            revision: revision.into(),
            commit: commit_hash(id, revision, 0),
            files: vec![
                FakeFile::new("config.json", read("config.json"), false),
                FakeFile::new("model.safetensors", read("model.safetensors"), true),
                FakeFile::new("tokenizer.json", read("tokenizer.json"), false),
            ],
            commit_header: true,
        }
    }

    /// The file called `name`.
    pub fn file(&self, name: &str) -> &FakeFile {
        self.files.iter().find(|f| f.name == name).unwrap()
    }

    /// The file called `name`, to change.
    pub fn file_mut(&mut self, name: &str) -> &mut FakeFile {
        self.files.iter_mut().find(|f| f.name == name).unwrap()
    }
}

/// A made-up 40-hex-digit commit hash.
pub fn commit_hash(id: &str, revision: &str, seed: u8) -> String {
    git_sha1(format!("{id}@{revision}#{seed}").as_bytes())
}

/// A running fake hub; stops when dropped.
pub struct FakeHub {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    requests: Arc<AtomicUsize>,
    paths: Arc<Mutex<Vec<String>>>,
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
    /// Set on drop: a trickling body ends at once.
    stopping: Arc<AtomicBool>,
}

impl FakeHub {
    /// Serves `repos` on a free port.
    pub fn start(repos: Vec<FakeRepo>) -> FakeHub {
        let server = Arc::new(Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let url = format!("http://127.0.0.1:{port}");
        let requests = Arc::new(AtomicUsize::new(0));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let thread = {
            let (server, requests, paths, url, stopping) = (
                server.clone(),
                requests.clone(),
                paths.clone(),
                url.clone(),
                stopping.clone(),
            );
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    requests.fetch_add(1, Ordering::SeqCst);
                    paths.lock().unwrap().push(request.url().to_string());
                    answer(request, &repos, &url, &stopping);
                }
            })
        };
        FakeHub {
            url,
            requests,
            paths,
            server,
            thread: Some(thread),
            stopping,
        }
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The paths asked so far.
    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap()
}

type Reply = Response<Cursor<Vec<u8>>>;

fn not_found(code: &str, message: &str) -> Reply {
    Response::from_data(message.as_bytes().to_vec())
        .with_status_code(404)
        .with_header(header("X-Error-Code", code))
        .with_header(header("X-Error-Message", message))
}

/// 206 with the range asked (`bytes=A-B` or `bytes=A-`), or 200 with everything.
fn ranged(request: &Request, content: &[u8]) -> Reply {
    let range = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map(|h| h.value.as_str().to_string());
    let Some(range) = range else {
        return Response::from_data(content.to_vec());
    };
    let spec = range.strip_prefix("bytes=").expect("a bytes range");
    let (start, end) = spec.split_once('-').expect("a range with -");
    let start: usize = start.parse().unwrap();
    let end: usize = if end.is_empty() {
        content.len() - 1
    } else {
        end.parse().unwrap()
    };
    if start >= content.len() {
        return Response::from_data(Vec::new()).with_status_code(416);
    }
    let end = end.min(content.len() - 1);
    Response::from_data(content[start..=end].to_vec())
        .with_status_code(206)
        .with_header(header(
            "Content-Range",
            &format!("bytes {start}-{end}/{}", content.len()),
        ))
}

/// A body served one byte per `every`, ending early when `stopping` is set.
struct Trickle {
    content: Vec<u8>,
    at: usize,
    every: Duration,
    stopping: Arc<AtomicBool>,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() || self.at >= self.content.len() || self.stopping.load(Ordering::SeqCst) {
            return Ok(0);
        }
        std::thread::sleep(self.every);
        buf[0] = self.content[self.at];
        self.at += 1;
        Ok(1)
    }
}

fn answer(request: Request, repos: &[FakeRepo], base: &str, stopping: &Arc<AtomicBool>) {
    let path = request.url().trim_start_matches('/').to_string();
    let reply = match path.strip_prefix("cdn/") {
        Some(sha) => match repos
            .iter()
            .flat_map(|repo| &repo.files)
            .find(|file| file.lfs && file.checksum() == sha)
        {
            Some(file) if file.trickle.is_some() => {
                let content = file.served().to_vec();
                let length = content.len();
                let body = Trickle {
                    content,
                    at: 0,
                    every: file.trickle.unwrap_or_default(),
                    stopping: stopping.clone(),
                };
                let _ =
                    request.respond(Response::new(200.into(), vec![], body, Some(length), None));
                return;
            }
            Some(file) => ranged(&request, file.served()),
            None => not_found("EntryNotFound", "Entry not found"),
        },
        None => resolve(&request, &path, repos, base),
    };
    let _ = request.respond(reply);
}

fn resolve(request: &Request, path: &str, repos: &[FakeRepo], base: &str) -> Reply {
    // {org}/{name}/resolve/{revision}/{file}; a revision with `/` comes as %2F.
    let parts: Vec<&str> = path.splitn(5, '/').collect();
    let [org, name, "resolve", revision, file] = parts[..] else {
        return not_found("RepoNotFound", "Repository not found");
    };
    let id = format!("{org}/{name}");
    let revision = revision.replace("%2F", "/");
    let Some(repo) = repos
        .iter()
        .find(|repo| repo.id == id && repo.revision == revision)
    else {
        return if repos.iter().any(|repo| repo.id == id) {
            not_found("RevisionNotFound", &format!("Invalid rev id: {revision}"))
        } else {
            not_found("RepoNotFound", "Repository not found")
        };
    };
    let Some(found) = repo.files.iter().find(|f| f.name == file) else {
        return not_found("EntryNotFound", "Entry not found");
    };
    let etag = found.etag.clone().unwrap_or_else(|| found.checksum());
    let mut reply = if found.lfs {
        Response::from_data(Vec::new())
            .with_status_code(302)
            .with_header(header(
                "Location",
                &format!("{base}/cdn/{}", found.checksum()),
            ))
            .with_header(header("X-Linked-Etag", &format!("\"{etag}\"")))
            .with_header(header("X-Linked-Size", &found.served().len().to_string()))
            .with_header(header("ETag", "\"lfs-pointer-etag\""))
    } else {
        ranged(request, found.served()).with_header(header("ETag", &format!("\"{etag}\"")))
    };
    if repo.commit_header {
        reply = reply.with_header(header("X-Repo-Commit", &repo.commit));
    }
    reply
}
