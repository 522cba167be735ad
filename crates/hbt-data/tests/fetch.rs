//! Dataset downloads against a local HTTP server on 127.0.0.1 (never the real URLs).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use std::time::{Duration, Instant};

use hbt_data::fetch::{
    fetch_dataset, manifest, manifests, sha256_file, verify_dataset, DatasetManifest,
    DownloadLimits, FetchEvent, FileStatus, ManifestFile,
};

/// Limits for the tests that do not test them: generous, so only the checks under test fire.
const LIMITS: DownloadLimits = DownloadLimits {
    deadline: Duration::from_secs(120),
    min_rate: 1,
    rate_window: Duration::from_secs(30),
};
use hbt_testkit::LocalServer;

/// Names of the entries of `dir` (empty when it does not exist), sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// sha256 sums listed in SHA256SUMS, as (`dataset/file`, sum).
fn published_sums(data: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(data.join("SHA256SUMS"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (sum, path) = l.split_once(char::is_whitespace).unwrap();
            (
                path.trim().trim_start_matches('*').to_string(),
                sum.to_string(),
            )
        })
        .collect()
}

/// A one-dataset manifest named `name` with the given files and sums.
fn hand_made(name: &str, files: &[(&str, &str)]) -> DatasetManifest {
    DatasetManifest {
        name: name.to_string(),
        license: "test".to_string(),
        source: "test".to_string(),
        base_url: "http://127.0.0.1:9/unused".to_string(),
        files: files
            .iter()
            .map(|(n, s)| ManifestFile {
                name: n.to_string(),
                sha256: s.to_string(),
            })
            .collect(),
    }
}

fn sum_of(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, bytes).unwrap();
    sha256_file(&path).unwrap()
}

#[test]
fn fetch_xquad_r_from_a_local_server_then_skip_everything() {
    let Some(data) = hbt_testkit::real_data_dir() else {
        return;
    };
    let server = LocalServer::serve(data.clone());
    let target = tempfile::tempdir().unwrap();
    let m = manifest("xquad-r").unwrap();

    let mut events = Vec::new();
    let report = fetch_dataset(&m, target.path(), Some(&server.url), &LIMITS, &mut |e| {
        events.push(e)
    })
    .unwrap();
    assert_eq!(report.downloaded.len(), 11, "{report:?}");
    assert!(report.skipped.is_empty(), "{report:?}");

    let dir = target.path().join("xquad-r");
    let expected: Vec<String> = m.files.iter().map(|f| f.name.clone()).collect();
    assert_eq!(
        entries(&dir),
        expected,
        "exactly the 11 files, no temporary files"
    );
    for (name, status) in verify_dataset(&m, target.path()).unwrap() {
        assert_eq!(status, FileStatus::Ok, "{name}");
        let a = std::fs::read(dir.join(&name)).unwrap();
        let b = std::fs::read(data.join("xquad-r").join(&name)).unwrap();
        assert!(a == b, "{name} differs from the served file");
    }

    // Progress: each file started, bytes reported up to that size, done.
    for file in &m.files {
        let size = std::fs::metadata(dir.join(&file.name)).unwrap().len();
        // tiny_http sends large files chunked, without Content-Length: the size is optional.
        let started = events.iter().find_map(|e| match e {
            FetchEvent::FileStarted { name, total_bytes } if *name == file.name => {
                Some(*total_bytes)
            }
            _ => None,
        });
        assert!(
            matches!(started, Some(None)) || started == Some(Some(size)),
            "{}: {started:?}",
            file.name
        );
        assert!(
            events.contains(&FetchEvent::Bytes {
                name: file.name.clone(),
                read: size
            }),
            "{}",
            file.name
        );
        assert!(
            events.contains(&FetchEvent::FileDone {
                name: file.name.clone()
            }),
            "{}",
            file.name
        );
    }
    assert!(!events
        .iter()
        .any(|e| matches!(e, FetchEvent::FileSkipped { .. })));

    // Second run: everything present and verified, nothing downloaded.
    let mut events = Vec::new();
    let report = fetch_dataset(&m, target.path(), Some(&server.url), &LIMITS, &mut |e| {
        events.push(e)
    })
    .unwrap();
    assert!(report.downloaded.is_empty(), "{report:?}");
    assert_eq!(report.skipped, expected);
    assert_eq!(
        events,
        expected
            .iter()
            .map(|n| FetchEvent::FileSkipped { name: n.clone() })
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_corrupt_file_on_disk_is_downloaded_again() {
    let served = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(served.path().join("toy")).unwrap();
    std::fs::write(served.path().join("toy/a.json"), b"{\"a\": 1}").unwrap();
    let m = hand_made("toy", &[("a.json", &sum_of(b"{\"a\": 1}"))]);
    let target = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(target.path().join("toy")).unwrap();
    std::fs::write(target.path().join("toy/a.json"), b"garbage").unwrap();
    let server = LocalServer::serve(served.path().to_path_buf());
    let report = fetch_dataset(
        &m,
        target.path(),
        Some(&format!("{}/", server.url)),
        &LIMITS,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.downloaded, ["a.json"]);
    assert_eq!(
        std::fs::read(target.path().join("toy/a.json")).unwrap(),
        b"{\"a\": 1}"
    );
    assert_eq!(entries(&target.path().join("toy")), ["a.json"]);
}

#[test]
fn a_checksum_mismatch_is_an_error_and_leaves_nothing() {
    let served = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(served.path().join("toy")).unwrap();
    std::fs::write(served.path().join("toy/good.json"), b"[1, 2, 3]").unwrap();
    std::fs::write(
        served.path().join("toy/bad.json"),
        b"not what the manifest says",
    )
    .unwrap();
    let wrong = "0".repeat(64);
    let actual = sum_of(b"not what the manifest says");
    let m = hand_made(
        "toy",
        &[("good.json", &sum_of(b"[1, 2, 3]")), ("bad.json", &wrong)],
    );
    let server = LocalServer::serve(served.path().to_path_buf());
    let target = tempfile::tempdir().unwrap();

    let err = fetch_dataset(&m, target.path(), Some(&server.url), &LIMITS, &mut |_| {})
        .unwrap_err()
        .to_string();
    eprintln!("error: {err}");
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains("bad.json"), "{err}");
    assert!(err.contains("sha256"), "{err}");
    assert!(
        err.contains(&wrong) && err.contains(&actual),
        "expected and actual sums: {err}"
    );
    // good.json was completed (and verified) before; neither bad.json nor a temporary file stays.
    assert_eq!(entries(&target.path().join("toy")), ["good.json"]);
}

#[test]
fn a_missing_file_on_the_server_names_the_url_and_leaves_nothing() {
    let served = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(served.path().join("toy")).unwrap();
    let m = hand_made("toy", &[("absent.json", &"1".repeat(64))]);
    let server = LocalServer::serve(served.path().to_path_buf());
    let target = tempfile::tempdir().unwrap();

    let err = fetch_dataset(&m, target.path(), Some(&server.url), &LIMITS, &mut |_| {})
        .unwrap_err()
        .to_string();
    eprintln!("error: {err}");
    let url = format!("{}/toy/absent.json", server.url);
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains(&url), "{err}");
    assert!(err.contains("404"), "{err}");
    assert!(entries(&target.path().join("toy")).is_empty());
}

#[test]
fn a_refused_connection_names_the_url() {
    // Bind then drop a listener: the port is very likely closed afterwards.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let m = hand_made("toy", &[("a.json", &"1".repeat(64))]);
    let target = tempfile::tempdir().unwrap();
    let err = fetch_dataset(&m, target.path(), Some(&base), &LIMITS, &mut |_| {})
        .unwrap_err()
        .to_string();
    eprintln!("error: {err}");
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains(&format!("{base}/toy/a.json")), "{err}");
    assert!(entries(&target.path().join("toy")).is_empty());
}

/// Reads an HTTP request's head from `stream`; false when the client hung up first.
fn read_request(stream: &mut std::net::TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    let mut request = Vec::new();
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            return false;
        }
        request.extend_from_slice(&buf[..n]);
    }
    true
}

#[test]
fn an_interrupted_body_is_an_error_and_leaves_nothing() {
    // A server announcing 100000 bytes that sends 10 and closes the connection.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        read_request(&mut stream);
        stream
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n0123456789",
            )
            .unwrap();
        stream.flush().unwrap();
    });
    let m = hand_made("toy", &[("a.json", &"1".repeat(64))]);
    let target = tempfile::tempdir().unwrap();
    let mut events = Vec::new();
    let err = fetch_dataset(&m, target.path(), Some(&base), &LIMITS, &mut |e| {
        events.push(e)
    })
    .unwrap_err()
    .to_string();
    eprintln!("error: {err}");
    thread.join().unwrap();
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains(&format!("{base}/toy/a.json")), "{err}");
    assert!(
        !err.contains("sha256"),
        "reported as an interrupted download, not a bad sum: {err}"
    );
    assert!(events.contains(&FetchEvent::FileStarted {
        name: "a.json".into(),
        total_bytes: Some(100000)
    }));
    assert!(entries(&target.path().join("toy")).is_empty());
}

#[test]
fn unknown_dataset_lists_the_known_ones() {
    let err = manifest("nope").unwrap_err().to_string();
    eprintln!("error: {err}");
    assert!(!err.contains('\n'), "{err}");
    assert!(
        err.contains("nope") && err.contains("xquad-r") && err.contains("mlqa-r"),
        "{err}"
    );
}

#[test]
fn builtin_manifests_match_the_published_sums() {
    let all = manifests().unwrap();
    assert_eq!(all.len(), 2);
    let xquad = manifest("xquad-r").unwrap();
    let mlqa = manifest("mlqa-r").unwrap();
    assert_eq!(xquad.files.len(), 11);
    assert_eq!(mlqa.files.len(), 7);
    assert_eq!(xquad.license, "CC BY-SA 4.0");
    assert_eq!(mlqa.license, "CC BY-SA 3.0");
    for m in &all {
        assert!(m
            .base_url
            .starts_with("https://raw.githubusercontent.com/google-research-datasets/lareqa/"));
        assert!(
            m.base_url.ends_with(&format!("/{}", m.name)),
            "{}",
            m.base_url
        );
    }
    let Some(data) = hbt_testkit::real_data_dir() else {
        return;
    };
    let published = published_sums(&data);
    let mut listed: Vec<(String, String)> = all
        .iter()
        .flat_map(|m| {
            m.files
                .iter()
                .map(|f| (format!("{}/{}", m.name, f.name), f.sha256.clone()))
        })
        .collect();
    let mut published_sorted = published.clone();
    listed.sort();
    published_sorted.sort();
    assert_eq!(listed, published_sorted);
}

#[test]
fn verify_reports_ok_missing_and_corrupt() {
    let target = tempfile::tempdir().unwrap();
    let m = hand_made(
        "toy",
        &[
            ("ok.json", &sum_of(b"ok")),
            ("missing.json", &sum_of(b"missing")),
            ("corrupt.json", &sum_of(b"right")),
        ],
    );
    // No folder at all: everything is missing.
    let status = verify_dataset(&m, target.path()).unwrap();
    assert!(
        status.iter().all(|(_, s)| *s == FileStatus::Missing),
        "{status:?}"
    );

    std::fs::create_dir_all(target.path().join("toy")).unwrap();
    std::fs::write(target.path().join("toy/ok.json"), b"ok").unwrap();
    std::fs::write(target.path().join("toy/corrupt.json"), b"wrong").unwrap();
    let status = verify_dataset(&m, target.path()).unwrap();
    assert_eq!(
        status,
        vec![
            ("ok.json".to_string(), FileStatus::Ok),
            ("missing.json".to_string(), FileStatus::Missing),
            (
                "corrupt.json".to_string(),
                FileStatus::Corrupt {
                    actual: sum_of(b"wrong")
                }
            ),
        ]
    );
}

#[test]
fn verify_real_data_in_place() {
    let Some(data) = hbt_testkit::real_data_dir() else {
        return;
    };
    for m in manifests().unwrap() {
        for (name, status) in verify_dataset(&m, &data).unwrap() {
            assert_eq!(status, FileStatus::Ok, "{}/{name}", m.name);
        }
    }
}

/// A server on 127.0.0.1 that announces 10 MB and then sends `chunk` every `every` until the
/// client hangs up (or 10 minutes pass); returns its base URL.
fn trickling_server(
    chunk: &'static [u8],
    every: Duration,
) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let thread = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        if !read_request(&mut stream) {
            return;
        }
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n";
        if stream.write_all(head).is_err() {
            return;
        }
        let until = Instant::now() + Duration::from_secs(600);
        while Instant::now() < until {
            if stream
                .write_all(chunk)
                .and_then(|()| stream.flush())
                .is_err()
            {
                return;
            }
            std::thread::sleep(every);
        }
    });
    (base, thread)
}

/// Downloads from a [`trickling_server`] under `limits`: the error must name the URL and
/// `expected`, come within ten seconds, and leave nothing behind.
fn abandoned(chunk: &'static [u8], every: Duration, limits: DownloadLimits, expected: &str) {
    let (base, thread) = trickling_server(chunk, every);
    let m = hand_made("toy", &[("a.json", &"1".repeat(64))]);
    let target = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let err = fetch_dataset(&m, target.path(), Some(&base), &limits, &mut |_| {})
        .unwrap_err()
        .to_string();
    eprintln!("error: {err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "abandoned promptly"
    );
    assert!(!err.contains('\n'), "{err}");
    assert!(
        err.contains(&format!("{base}/toy/a.json")) && err.contains(expected),
        "{err}"
    );
    assert!(
        entries(&target.path().join("toy")).is_empty(),
        "nothing left"
    );
    drop(thread);
}

#[test]
fn a_trickling_server_is_abandoned_below_the_minimum_rate() {
    // One byte every 100 ms: 10 bytes/s against a minimum of 100 over 1-second windows.
    let limits = DownloadLimits {
        deadline: Duration::from_secs(60),
        min_rate: 100,
        rate_window: Duration::from_secs(1),
    };
    let expected = "below the minimum of 100 bytes/s (HBT_DOWNLOAD_MIN_RATE)";
    abandoned(b"x", Duration::from_millis(100), limits, expected);
}

#[test]
fn a_download_over_its_deadline_is_abandoned() {
    // Fast enough for the rate check (10 kB/s), never finishing: the 1-second deadline fires.
    let limits = DownloadLimits {
        deadline: Duration::from_secs(1),
        min_rate: 1,
        rate_window: Duration::from_secs(30),
    };
    let expected = "over its deadline of 1 s (HBT_DOWNLOAD_DEADLINE)";
    abandoned(&[b'y'; 1000], Duration::from_millis(100), limits, expected);
}

#[test]
fn partial_files_of_dead_processes_are_removed_and_others_kept() {
    let served = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(served.path().join("toy")).unwrap();
    std::fs::write(served.path().join("toy/a.json"), b"{}").unwrap();
    let m = hand_made("toy", &[("a.json", &sum_of(b"{}"))]);
    let target = tempfile::tempdir().unwrap();
    let toy = target.path().join("toy");
    std::fs::create_dir_all(&toy).unwrap();
    // Process 4,000,000,000 cannot exist (Linux pids stay below 2^22); this process is alive.
    let dead = ".a.json.4000000000.0.part";
    let alive = format!(".a.json.{}.7.part", std::process::id());
    for name in [dead, alive.as_str(), ".unrelated.1.0.part"] {
        std::fs::write(toy.join(name), b"partial").unwrap();
    }
    let server = LocalServer::serve(served.path().to_path_buf());
    fetch_dataset(&m, target.path(), Some(&server.url), &LIMITS, &mut |_| {}).unwrap();
    let mut expected = vec![
        alive.clone(),
        ".unrelated.1.0.part".to_string(),
        "a.json".to_string(),
    ];
    if !Path::new("/proc/self").exists() {
        expected.push(dead.to_string());
    }
    expected.sort();
    assert_eq!(entries(&toy), expected);
}
