//! Hub sources resolved against a fake hub on 127.0.0.1 (never the internet).

use std::fs;
use std::path::{Path, PathBuf};

use std::net::TcpListener;
use std::time::{Duration, Instant};

use hbt_hub::{
    resolve, DownloadEvent, DownloadLimits, HubError, HubSettings, ModelSource, ModelWeights,
};
use hbt_testkit::fake_hub::{sha256, FakeHub, FakeRepo};

const REPO: &str = "acme/tiny-bert";

fn settings(hub: &FakeHub, cache: &Path) -> HubSettings {
    HubSettings {
        endpoint: hub.url.clone(),
        cache_dir: cache.to_path_buf(),
        offline: false,
        token: None,
        limits: DownloadLimits::default(),
    }
}

fn source(text: &str) -> ModelSource {
    ModelSource::parse(&format!("hf:{text}")).unwrap()
}

/// Resolves `text`, returning the result and the events heard.
fn run(
    text: &str,
    settings: &HubSettings,
) -> (Result<hbt_hub::ResolvedModel, HubError>, Vec<DownloadEvent>) {
    let mut events = Vec::new();
    let result = resolve(&source(text), settings, &mut |event| events.push(event));
    (result, events)
}

fn repo_dir(cache: &Path) -> PathBuf {
    cache.join("models--acme--tiny-bert")
}

fn assert_one_line(message: &str) {
    assert!(!message.contains('\n'), "not one line: {message:?}");
}

#[test]
fn downloads_into_the_snapshot_folder_with_identical_bytes() {
    let repo = FakeRepo::tiny(REPO, "main", 1);
    let hub = FakeHub::start(vec![repo.clone()]);
    let cache = tempfile::tempdir().unwrap();

    let (model, _) = run(REPO, &settings(&hub, cache.path()));
    let model = model.unwrap();

    let repo_dir = repo_dir(cache.path());
    assert_eq!(model.folder, repo_dir.join("snapshots").join(&repo.commit));
    assert_eq!(model.weights, ModelWeights::HfFolder(model.folder.clone()));
    assert_eq!(model.tokenizer, model.folder.join("tokenizer.json"));
    assert_eq!(
        fs::read_to_string(repo_dir.join("refs").join("main")).unwrap(),
        repo.commit
    );
    for file in &repo.files {
        let entry = model.folder.join(&file.name);
        assert_eq!(fs::read(&entry).unwrap(), file.content, "{}", file.name);
        // The snapshot entry links to the blob named by the hub's checksum (the ETag).
        let blob = repo_dir.join("blobs").join(file.checksum());
        assert!(blob.is_file(), "no blob {}", blob.display());
        assert_eq!(
            fs::canonicalize(&entry).unwrap(),
            fs::canonicalize(&blob).unwrap()
        );
    }
    // LFS blobs are named by sha256, regular ones by the 40-digit git blob sha1.
    let safetensors = repo.file("model.safetensors");
    assert_eq!(safetensors.checksum(), sha256(&safetensors.content));
    assert_eq!(repo.file("config.json").checksum().len(), 40);
    assert!(fs::read(model.folder.join("config.json"))
        .unwrap()
        .starts_with(b"{"));
    assert!(safetensors.content.len() > 8000);
}

#[test]
fn second_resolve_makes_no_request() {
    let hub = FakeHub::start(vec![FakeRepo::tiny(REPO, "main", 1)]);
    let cache = tempfile::tempdir().unwrap();
    let settings = settings(&hub, cache.path());

    let first = run(REPO, &settings).0.unwrap();
    let asked = hub.requests();
    assert!(asked >= 3, "only {asked} requests for three files");

    let second = run(REPO, &settings).0.unwrap();
    assert_eq!(second, first);
    assert_eq!(hub.requests(), asked, "the second resolve used the network");
}

#[test]
fn revision_is_served_under_its_resolve_path() {
    let main = FakeRepo::tiny(REPO, "main", 1);
    let v1 = FakeRepo::tiny(REPO, "v1", 2);
    let pr = FakeRepo::tiny(REPO, "refs/pr/1", 3);
    let hub = FakeHub::start(vec![main.clone(), v1.clone(), pr.clone()]);
    let cache = tempfile::tempdir().unwrap();
    let settings = settings(&hub, cache.path());

    let model = run(&format!("{REPO}@v1"), &settings).0.unwrap();
    let snapshots = repo_dir(cache.path()).join("snapshots");
    assert_eq!(model.folder, snapshots.join(&v1.commit));
    for file in &v1.files {
        assert_eq!(
            fs::read(model.folder.join(&file.name)).unwrap(),
            file.content
        );
    }
    let paths = hub.paths();
    assert!(paths
        .iter()
        .all(|path| path.starts_with("/acme/tiny-bert/resolve/v1/") || path.starts_with("/cdn/")));
    assert!(paths
        .iter()
        .any(|path| path == "/acme/tiny-bert/resolve/v1/config.json"));
    assert_eq!(
        fs::read_to_string(repo_dir(cache.path()).join("refs").join("v1")).unwrap(),
        v1.commit
    );

    // A revision with `/` goes into the URL as %2F.
    let model = run(&format!("{REPO}@refs/pr/1"), &settings).0.unwrap();
    assert_eq!(model.folder, snapshots.join(&pr.commit));
    assert!(hub
        .paths()
        .iter()
        .any(|path| path == "/acme/tiny-bert/resolve/refs%2Fpr%2F1/tokenizer.json"));

    let model = run(REPO, &settings).0.unwrap();
    assert_eq!(model.folder, snapshots.join(&main.commit));
}

#[test]
fn corrupted_lfs_download_is_rejected_and_removed() {
    let mut repo = FakeRepo::tiny(REPO, "main", 1);
    let good = repo.file("model.safetensors").content.clone();
    let mut bad = good.clone();
    bad[100] ^= 0xff;
    repo.file_mut("model.safetensors").served = Some(bad.clone());
    let hub = FakeHub::start(vec![repo.clone()]);
    let cache = tempfile::tempdir().unwrap();
    let settings = settings(&hub, cache.path());

    let err = run(REPO, &settings).0.unwrap_err();
    assert!(matches!(err, HubError::ChecksumMismatch { .. }), "{err:?}");
    let message = err.to_string();
    assert_one_line(&message);
    for part in [
        REPO,
        "model.safetensors",
        "sha256",
        &sha256(&good),
        &sha256(&bad),
    ] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }

    let snapshot = repo_dir(cache.path()).join("snapshots").join(&repo.commit);
    let entry = snapshot.join("model.safetensors");
    assert!(
        entry.symlink_metadata().is_err(),
        "the snapshot entry stayed"
    );
    let blob = repo_dir(cache.path()).join("blobs").join(sha256(&good));
    assert!(!blob.exists(), "the corrupted blob stayed");
    // The file verified before it stays.
    assert!(snapshot.join("config.json").is_file());

    // Not taken from the cache next time: asked and rejected again.
    let asked = hub.requests();
    let err = run(REPO, &settings).0.unwrap_err();
    assert!(matches!(err, HubError::ChecksumMismatch { .. }), "{err:?}");
    assert!(hub.requests() > asked);
}

#[test]
fn corrupted_regular_file_fails_the_git_blob_sha1() {
    let mut repo = FakeRepo::tiny(REPO, "main", 1);
    repo.file_mut("tokenizer.json").served = Some(b"{\"version\":\"evil\"}".to_vec());
    let message = refused(&repo, "tokenizer.json").to_string();
    assert!(message.contains("tokenizer.json"), "{message}");
    assert!(message.contains("git blob sha1"), "{message}");
}

/// Resolves `repo` into a fresh cache and expects a refusal: the error's message is one line
/// and `file` is not in the snapshot folder afterwards.
fn refused(repo: &FakeRepo, file: &str) -> HubError {
    let hub = FakeHub::start(vec![repo.clone()]);
    let cache = tempfile::tempdir().unwrap();
    let err = run(REPO, &settings(&hub, cache.path())).0.unwrap_err();
    assert_one_line(&err.to_string());
    let snapshot = repo_dir(cache.path()).join("snapshots").join(&repo.commit);
    assert!(
        snapshot.join(file).symlink_metadata().is_err(),
        "{file} stayed"
    );
    err
}

#[test]
fn etag_that_is_no_checksum_cannot_be_verified() {
    let mut repo = FakeRepo::tiny(REPO, "main", 1);
    repo.file_mut("config.json").etag = Some("W-1234-abcd".into());
    let err = refused(&repo, "config.json");
    assert!(matches!(err, HubError::Unverifiable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("cannot verify config.json"), "{message}");
    assert!(message.contains("W-1234-abcd"), "{message}");
}

#[test]
fn offline_with_empty_cache_fails_in_one_line() {
    let hub = FakeHub::start(vec![FakeRepo::tiny(REPO, "v1", 1)]);
    let cache = tempfile::tempdir().unwrap();
    let settings = HubSettings {
        offline: true,
        ..settings(&hub, cache.path())
    };

    let err = run(&format!("{REPO}@v1"), &settings).0.unwrap_err();
    assert!(matches!(err, HubError::Offline { .. }), "{err:?}");
    let message = err.to_string();
    assert_one_line(&message);
    for part in [
        "acme/tiny-bert@v1",
        "config.json",
        "HF_HUB_OFFLINE",
        &cache.path().display().to_string(),
    ] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
    assert_eq!(hub.requests(), 0);
}

#[test]
fn offline_after_download_resolves_from_the_cache() {
    let hub = FakeHub::start(vec![FakeRepo::tiny(REPO, "main", 1)]);
    let cache = tempfile::tempdir().unwrap();
    let online = settings(&hub, cache.path());
    let downloaded = run(REPO, &online).0.unwrap();
    let asked = hub.requests();

    let offline = HubSettings {
        offline: true,
        ..online
    };
    let (model, events) = run(REPO, &offline);
    assert_eq!(model.unwrap(), downloaded);
    assert_eq!(hub.requests(), asked);
    assert!(events
        .iter()
        .all(|event| matches!(event, DownloadEvent::Cached { .. })));
}

#[test]
fn missing_repo_error_names_repo_file_and_url() {
    let hub = FakeHub::start(vec![FakeRepo::tiny(REPO, "main", 1)]);
    let cache = tempfile::tempdir().unwrap();

    let err = run("acme/missing", &settings(&hub, cache.path()))
        .0
        .unwrap_err();
    assert!(matches!(err, HubError::Download { .. }), "{err:?}");
    let message = err.to_string();
    assert_one_line(&message);
    let url = format!("{}/acme/missing/resolve/main/config.json", hub.url);
    for part in [
        "acme/missing",
        "config.json",
        "404",
        "Repository not found",
        &url,
    ] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
}

#[test]
fn missing_file_error_names_the_file() {
    let mut repo = FakeRepo::tiny(REPO, "main", 1);
    repo.files.retain(|file| file.name != "tokenizer.json");
    let hub = FakeHub::start(vec![repo]);
    let cache = tempfile::tempdir().unwrap();

    let message = run(REPO, &settings(&hub, cache.path()))
        .0
        .unwrap_err()
        .to_string();
    assert_one_line(&message);
    for part in [REPO, "tokenizer.json", "404", "Entry not found"] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
}

#[test]
fn connection_refused_error_is_one_line_with_the_url() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let cache = tempfile::tempdir().unwrap();
    let settings = HubSettings {
        endpoint: format!("http://127.0.0.1:{port}"),
        cache_dir: cache.path().to_path_buf(),
        offline: false,
        token: None,
        limits: DownloadLimits::default(),
    };

    let message = run(REPO, &settings).0.unwrap_err().to_string();
    assert_one_line(&message);
    let url = format!("http://127.0.0.1:{port}/acme/tiny-bert/resolve/main/config.json");
    assert!(message.contains(&url), "{message}");
    assert!(message.contains("Connection Failed"), "{message}");
}

#[test]
fn missing_commit_header_is_reported() {
    let mut repo = FakeRepo::tiny(REPO, "main", 1);
    repo.commit_header = false;
    let hub = FakeHub::start(vec![repo]);
    let cache = tempfile::tempdir().unwrap();

    let message = run(REPO, &settings(&hub, cache.path()))
        .0
        .unwrap_err()
        .to_string();
    assert_one_line(&message);
    assert!(message.contains("x-repo-commit"), "{message}");
    assert!(message.contains("config.json"), "{message}");
}

#[test]
fn progress_events_report_totals_done_and_cached() {
    let repo = FakeRepo::tiny(REPO, "main", 1);
    let hub = FakeHub::start(vec![repo.clone()]);
    let cache = tempfile::tempdir().unwrap();
    let settings = settings(&hub, cache.path());

    let (model, events) = run(REPO, &settings);
    model.unwrap();
    for file in &repo.files {
        let name = file.name.clone();
        let total = file.content.len() as u64;
        let at = |wanted: &DownloadEvent| events.iter().position(|event| event == wanted);
        let started = at(&DownloadEvent::Started {
            file: name.clone(),
            total_bytes: total,
        })
        .unwrap_or_else(|| panic!("no Started for {name} with {total} bytes: {events:?}"));
        let done = at(&DownloadEvent::Done { file: name.clone() })
            .unwrap_or_else(|| panic!("no Done for {name}: {events:?}"));
        assert!(started < done);
        let reads: Vec<u64> = events
            .iter()
            .filter_map(|event| match event {
                DownloadEvent::Bytes { file, read } if *file == name => Some(*read),
                _ => None,
            })
            .collect();
        assert_eq!(reads.last(), Some(&total), "{name}: {reads:?}");
        assert!(reads.windows(2).all(|pair| pair[0] < pair[1]), "{reads:?}");
    }
    let starts = events
        .iter()
        .filter(|event| matches!(event, DownloadEvent::Started { .. }))
        .count();
    assert_eq!(starts, 3);
    assert!(!events
        .iter()
        .any(|event| matches!(event, DownloadEvent::Cached { .. })));

    let (_, events) = run(REPO, &settings);
    let cached: Vec<DownloadEvent> = repo
        .files
        .iter()
        .map(|file| DownloadEvent::Cached {
            file: file.name.clone(),
        })
        .collect();
    assert_eq!(events, cached);
}

#[test]
fn partial_cache_downloads_only_the_missing_file() {
    let repo = FakeRepo::tiny(REPO, "main", 1);
    let hub = FakeHub::start(vec![repo.clone()]);
    let cache = tempfile::tempdir().unwrap();
    let settings = settings(&hub, cache.path());
    let model = run(REPO, &settings).0.unwrap();
    fs::remove_file(model.folder.join("model.safetensors")).unwrap();

    let (again, events) = run(REPO, &settings);
    assert_eq!(again.unwrap(), model);
    let done: Vec<&DownloadEvent> = events
        .iter()
        .filter(|event| {
            matches!(
                event,
                DownloadEvent::Done { .. } | DownloadEvent::Cached { .. }
            )
        })
        .collect();
    assert_eq!(
        done,
        [
            &DownloadEvent::Done {
                file: "model.safetensors".into()
            },
            &DownloadEvent::Cached {
                file: "config.json".into()
            },
            &DownloadEvent::Cached {
                file: "tokenizer.json".into()
            },
        ]
    );
}

#[test]
fn stale_partial_cache_is_completed_at_the_new_commit() {
    let old = FakeRepo::tiny(REPO, "main", 1);
    let new = FakeRepo::tiny(REPO, "main", 3);
    let cache = tempfile::tempdir().unwrap();
    let old_model = {
        let hub = FakeHub::start(vec![old.clone()]);
        run(REPO, &settings(&hub, cache.path())).0.unwrap()
    };
    fs::remove_file(old_model.folder.join("model.safetensors")).unwrap();

    // `main` moved on: the missing file comes from the new commit, and so must the others.
    let hub = FakeHub::start(vec![new.clone()]);
    let (model, events) = run(REPO, &settings(&hub, cache.path()));
    let model = model.unwrap();
    assert_eq!(
        model.folder,
        repo_dir(cache.path()).join("snapshots").join(&new.commit)
    );
    for file in &new.files {
        assert_eq!(
            fs::read(model.folder.join(&file.name)).unwrap(),
            file.content
        );
    }
    let done = events
        .iter()
        .filter(|event| matches!(event, DownloadEvent::Done { .. }))
        .count();
    assert_eq!(done, 3, "{events:?}");
    // The old snapshot is left as it was.
    assert!(old_model.folder.join("config.json").is_file());
}

#[test]
fn deleted_blob_is_downloaded_again() {
    let repo = FakeRepo::tiny(REPO, "main", 1);
    let hub = FakeHub::start(vec![repo.clone()]);
    let cache = tempfile::tempdir().unwrap();
    let settings = settings(&hub, cache.path());
    let model = run(REPO, &settings).0.unwrap();
    let safetensors = repo.file("model.safetensors");
    fs::remove_file(
        repo_dir(cache.path())
            .join("blobs")
            .join(safetensors.checksum()),
    )
    .unwrap();

    // The snapshot entry now dangles; hf-hub alone would fail to link the new blob.
    let again = run(REPO, &settings).0.unwrap();
    assert_eq!(again, model);
    assert_eq!(
        fs::read(model.folder.join("model.safetensors")).unwrap(),
        safetensors.content
    );
}

#[test]
fn commit_revision_is_found_in_the_cache_without_a_ref() {
    let main = FakeRepo::tiny(REPO, "main", 1);
    let pinned = FakeRepo {
        revision: main.commit.clone(),
        ..main.clone()
    };
    let hub = FakeHub::start(vec![pinned]);
    let cache = tempfile::tempdir().unwrap();
    let text = format!("{REPO}@{}", main.commit);
    let model = run(&text, &settings(&hub, cache.path())).0.unwrap();
    assert_eq!(
        model.folder,
        repo_dir(cache.path()).join("snapshots").join(&main.commit)
    );

    // huggingface_hub writes no ref for a commit; hf-hub's lookup needs one.
    fs::remove_file(repo_dir(cache.path()).join("refs").join(&main.commit)).unwrap();
    let offline = HubSettings {
        offline: true,
        ..settings(&hub, cache.path())
    };
    let asked = hub.requests();
    assert_eq!(run(&text, &offline).0.unwrap(), model);
    assert_eq!(hub.requests(), asked);
}

/// Resolves [`REPO`] against `endpoint` under `limits`: the error must come within ten
/// seconds, be one line naming the file's URL and `expected`, and no file of the model may
/// be left under its final name in the snapshot folder.
fn abandoned(endpoint: &str, limits: DownloadLimits, file: &str, expected: &str) {
    let cache = tempfile::tempdir().unwrap();
    let settings = HubSettings {
        endpoint: endpoint.to_string(),
        cache_dir: cache.path().to_path_buf(),
        offline: false,
        token: None,
        limits,
    };
    let started = Instant::now();
    let err = run(REPO, &settings).0.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "abandoned after {:?}",
        started.elapsed()
    );
    assert!(matches!(err, HubError::Download { .. }), "{err:?}");
    let message = err.to_string();
    assert_one_line(&message);
    let url = format!("{endpoint}/{REPO}/resolve/main/{file}");
    assert!(
        message.contains(&url) && message.contains(expected),
        "{message}"
    );
    let snapshots = repo_dir(cache.path()).join("snapshots");
    let finished: Vec<_> = walk(&snapshots)
        .into_iter()
        .filter(|path| path.ends_with(file))
        .collect();
    assert!(finished.is_empty(), "{finished:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

#[test]
fn a_trickling_hub_is_abandoned_below_the_minimum_rate() {
    // The weights arrive one byte every 50 ms (20 bytes/s) against a minimum of 1000 bytes/s
    // over 1-second windows; hf-hub's own client would wait for them forever.
    let mut repo = FakeRepo::tiny(REPO, "main", 1);
    repo.file_mut("model.safetensors").trickle = Some(Duration::from_millis(50));
    let hub = FakeHub::start(vec![repo]);
    let limits = DownloadLimits {
        deadline: Duration::from_secs(60),
        min_rate: 1000,
        rate_window: Duration::from_secs(1),
    };
    let expected = "below the minimum of 1000 bytes/s (HBT_DOWNLOAD_MIN_RATE)";
    abandoned(&hub.url, limits, "model.safetensors", expected);
}

#[test]
fn a_hub_download_over_its_deadline_is_abandoned() {
    // Fast enough for the rate check (1 byte/s minimum), never finishing in the 1-second
    // deadline.
    let mut repo = FakeRepo::tiny(REPO, "main", 1);
    repo.file_mut("model.safetensors").trickle = Some(Duration::from_millis(5));
    let hub = FakeHub::start(vec![repo]);
    let limits = DownloadLimits {
        deadline: Duration::from_secs(1),
        min_rate: 1,
        rate_window: Duration::from_secs(30),
    };
    let expected = "over its deadline of 1 s (HBT_DOWNLOAD_DEADLINE)";
    abandoned(&hub.url, limits, "model.safetensors", expected);
}

#[test]
fn a_hub_that_never_answers_is_abandoned() {
    // Accepts connections and reads nothing, answers nothing: the first request (config.json's
    // metadata) gets no byte within the rate window.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    let limits = DownloadLimits {
        deadline: Duration::from_secs(60),
        min_rate: 1,
        rate_window: Duration::from_secs(1),
    };
    abandoned(
        &endpoint,
        limits,
        "config.json",
        "download abandoned after 0 bytes",
    );
}
