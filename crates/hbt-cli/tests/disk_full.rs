//! A whole experiment run on a results folder that fills up: at every size tried the run
//! fails with one line naming the full disk, leaves no staging or temporary file, and never
//! leaves an unfinished run under its final name.
//!
//! The results folder is a small tmpfs mounted in a private mount namespace (`unshare -rm`,
//! which needs no privileges where user namespaces are enabled). Where the machine allows
//! neither, the test says so on stderr and checks nothing else.

mod common;

use std::path::Path;
use std::process::Command;

use common::{tiny_experiment, Scratch};

/// Runs `hbt experiment tiny` in `scratch` with `results/` a tmpfs of `bytes` (`None`: the
/// plain folder); returns the exit success, stderr and the listing of `results/` (relative
/// paths with sizes) as seen before the tmpfs goes away. `None` when no tmpfs can be mounted.
fn run_on_tmpfs(scratch: &Scratch, bytes: Option<u64>) -> Option<(bool, String, Vec<String>)> {
    let results = scratch.path("results");
    let _ = std::fs::remove_dir_all(&results);
    std::fs::create_dir_all(&results).unwrap();
    let listing = scratch.path("listing.txt");
    let mount = match bytes {
        Some(bytes) => format!("mount -t tmpfs -o size={bytes} tmpfs results || exit 99; "),
        None => String::new(),
    };
    let script = format!(
        "{mount}\"$HBT\" experiment tiny; rc=$?; \
         (cd results && find . -mindepth 1 -printf '%P %s\\n' | sort) > listing.txt; exit $rc"
    );
    let mut command = Command::new("unshare");
    command.args(["-rm", "sh", "-c", &script]);
    let out = command
        .current_dir(scratch.dir.path())
        .env("HBT", env!("CARGO_BIN_EXE_hbt"))
        .env_remove("HBT_DATA_DIR")
        .env_remove("HBT_RESULTS_DIR")
        .env("HBT_OFFLINE", "1")
        .output()
        .ok()?;
    if out.status.code() == Some(99) || !listing.exists() {
        return None;
    }
    let listed = std::fs::read_to_string(&listing).unwrap();
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        listed.lines().map(str::to_string).collect(),
    ))
}

/// The run folders `tiny/RUN` in a listing: not hidden, not the report's or the checkpoints'.
fn run_folders(listing: &[String]) -> Vec<String> {
    let mut runs: Vec<String> = listing
        .iter()
        .filter_map(|line| {
            let path = line.rsplit_once(' ')?.0;
            let mut parts = path.split('/');
            let (experiment, run) = (parts.next()?, parts.next()?);
            parts.next()?;
            let own = run.starts_with('.') || ["checkpoints", "figures", "tables"].contains(&run);
            (!own).then(|| format!("{experiment}/{run}"))
        })
        .collect();
    runs.dedup();
    runs
}

fn total_bytes(listing: &[String]) -> u64 {
    listing
        .iter()
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<u64>().ok())
        .sum()
}

#[test]
fn a_results_folder_that_fills_up_is_named_and_leaves_nothing_half_written() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("tiny", &tiny_experiment(""));
    let Some((done, stderr, listing)) = run_on_tmpfs(&scratch, None) else {
        eprintln!("SKIPPED: `unshare -rm` is not available here (no user namespaces)");
        return;
    };
    assert!(done, "the run succeeds on a plain folder: {stderr}");
    assert!(run_folders(&listing).len() >= 2, "runs listed: {listing:?}");
    let needed = total_bytes(&listing);
    let Some(_) = run_on_tmpfs(&scratch, Some(1 << 20)) else {
        eprintln!("SKIPPED: no tmpfs can be mounted in a user namespace here");
        return;
    };

    // The whole output, then fractions of it: each cuts the run in another stage.
    let mut stages = Vec::new();
    for percent in [2, 10, 25, 50, 75, 95] {
        let size = (needed * percent / 100).max(4096);
        let (done, stderr, listing) = run_on_tmpfs(&scratch, Some(size)).unwrap();
        assert!(!done, "{size} bytes cannot hold {needed}: {listing:?}");
        assert!(
            !stderr.contains("panicked"),
            "panic at {size} bytes: {stderr}"
        );
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "one error line at {size} bytes: {stderr}");
        assert!(
            errors[0].to_lowercase().contains("no space left"),
            "the full disk is named at {size} bytes: {}",
            errors[0]
        );
        for entry in &listing {
            let name = entry.rsplit_once(' ').map_or(entry.as_str(), |(n, _)| n);
            let file = Path::new(name)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            assert!(
                !file.ends_with(".partial") && !file.contains(".tmp") && !file.ends_with(".part"),
                "{name} left behind at {size} bytes ({})",
                errors[0]
            );
        }
        // A run folder under its final name (`tiny/RUN/`) is a finished run.
        for run in run_folders(&listing) {
            let has = |file: &str| {
                listing
                    .iter()
                    .any(|l| l.starts_with(&format!("{run}/{file} ")))
            };
            assert!(
                has("metrics.json") && has("manifest.json"),
                "unfinished run {run} under its final name at {size} bytes: {listing:?}"
            );
        }
        eprintln!("{size} of {needed} bytes: {}", errors[0]);
        stages.push(errors[0].to_string());
    }
    stages.dedup();
    assert!(
        stages.len() >= 2,
        "the sizes cut the run in one place only: {stages:?}"
    );
}
