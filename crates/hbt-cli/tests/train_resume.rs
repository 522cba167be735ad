//! The train stage through the CLI: run records, the exported model, and crash safety — a run
//! killed with SIGKILL and resumed ends exactly as an uninterrupted run with the same seed.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{tiny_experiment, Scratch};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ok(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    stderr
}

#[test]
fn training_writes_its_records_and_a_transformers_folder() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("tiny", &tiny_experiment(""));
    ok(&scratch.hbt(&["train", "tiny"]));
    let run = scratch.path("results/tiny/main");
    let log = String::from_utf8(read(&run.join("train_log.csv"))).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines[0], "step,loss,learning_rate,batch_kind,languages");
    assert_eq!(lines.len(), 5, "one row per step: {log}");
    assert!(lines[1].starts_with("1,"), "{log}");
    let dev = String::from_utf8(read(&run.join("dev_log.csv"))).unwrap();
    assert_eq!(
        dev.lines().count(),
        3,
        "checkpoints at steps 2 and 4: {dev}"
    );
    assert_eq!(dev.matches(",true").count(), 1, "{dev}");
    let composition: serde_json::Value =
        serde_json::from_slice(&read(&run.join("batch_composition.json"))).unwrap();
    assert_eq!(composition["composition"]["batches"], 4);
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&run.join("manifest.json"))).unwrap();
    assert_eq!(manifest["stages"][1]["stage"], "train");
    let final_dir = scratch.path("results/tiny/checkpoints/main/final");
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        assert!(final_dir.join(file).is_file(), "{file} missing");
    }
}

/// Waits until `path` exists, or panics after a minute.
fn wait_for(path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_run_killed_mid_way_and_resumed_equals_an_uninterrupted_run() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment(
        "long",
        &tiny_experiment("[train]\nsteps = 200\ncheckpoint_every = 10"),
    );
    let results = |name: &str| scratch.path(name).to_str().unwrap().to_string();
    ok(&scratch.hbt(&["experiment", "long", "--results-dir", &results("a")]));
    ok(&scratch.hbt(&["experiment", "long", "--results-dir", &results("again")]));

    // Start the same run, SIGKILL it once its step-20 checkpoint exists, then resume it.
    let mut child = Command::new(env!("CARGO_BIN_EXE_hbt"))
        .current_dir(scratch.path(""))
        .args(["experiment", "long", "--results-dir", &results("b")])
        .env_remove("HBT_DATA_DIR")
        .env_remove("HBT_RESULTS_DIR")
        .env("HBT_OFFLINE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&scratch.path("b/long/checkpoints/main/step-00000020"));
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert!(
        !scratch.path("b/long/main").exists(),
        "the run was killed before it finished"
    );
    let stderr = ok(&scratch.hbt(&[
        "experiment",
        "long",
        "--resume",
        "--results-dir",
        &results("b"),
    ]));
    assert!(
        stderr.contains("resumed from the checkpoint of step"),
        "{stderr}"
    );

    for file in [
        "main/train_log.csv",
        "main/dev_log.csv",
        "checkpoints/main/final/model.safetensors",
    ] {
        let a = read(&scratch.path(&format!("a/long/{file}")));
        assert!(
            a == read(&scratch.path(&format!("again/long/{file}"))),
            "{file}: two runs with one seed differ"
        );
        assert!(
            a == read(&scratch.path(&format!("b/long/{file}"))),
            "{file}: the resumed run differs from the uninterrupted one"
        );
    }
}

#[test]
fn resume_without_a_checkpoint_starts_from_scratch() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("tiny", &tiny_experiment(""));
    let stderr = ok(&scratch.hbt(&["train", "tiny", "--resume"]));
    assert!(!stderr.contains("resumed from"), "{stderr}");
    assert!(scratch.path("results/tiny/main/train_log.csv").is_file());
}

#[test]
fn the_ndarray_backend_trains_too() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("nd", &tiny_experiment("backend = \"ndarray\""));
    ok(&scratch.hbt(&["train", "nd"]));
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&scratch.path("results/nd/main/manifest.json"))).unwrap();
    assert_eq!(manifest["backend"], "ndarray");
    let log = String::from_utf8(read(&scratch.path("results/nd/main/train_log.csv"))).unwrap();
    assert_eq!(log.lines().count(), 5, "{log}");
}

/// The losses of a run's `train_log.csv`.
fn losses(path: &Path) -> Vec<f64> {
    let log = String::from_utf8(read(path)).unwrap();
    log.lines()
        .skip(1)
        .map(|line| line.split(',').nth(1).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn two_cpu_devices_train_as_one_through_the_cli() {
    // The cached loss with chunks of 2 seeds dropout by row, so one device and two devices
    // (shards of 2 of each batch of 4) draw the same masks.
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("one", &tiny_experiment("[train]\nmini_batch = 2"));
    scratch.experiment(
        "two",
        &tiny_experiment("[train]\nmini_batch = 2\ndevices = [\"cpu\", \"cpu\"]"),
    );
    ok(&scratch.hbt(&["train", "one"]));
    ok(&scratch.hbt(&["train", "two"]));
    let one = losses(&scratch.path("results/one/main/train_log.csv"));
    let two = losses(&scratch.path("results/two/main/train_log.csv"));
    assert_eq!(one.len(), 4);
    for (a, b) in one.iter().zip(&two) {
        assert!((a - b).abs() <= 1e-5 * a.abs(), "{one:?} vs {two:?}");
    }
    let config: toml::Table =
        String::from_utf8(read(&scratch.path("results/two/main/config.toml")))
            .unwrap()
            .parse()
            .unwrap();
    assert_eq!(
        config["train"]["devices"],
        toml::Value::Array(vec!["cpu".into(), "cpu".into()])
    );
    assert!(scratch
        .path("results/two/checkpoints/main/final/model.safetensors")
        .is_file());
}

#[test]
fn bf16_trains_through_the_cli_and_is_recorded() {
    let scratch = Scratch::with_tiny_data();
    scratch.experiment("low", &tiny_experiment("[train]\nprecision = \"bf16\""));
    ok(&scratch.hbt(&["train", "low"]));
    let config: toml::Table =
        String::from_utf8(read(&scratch.path("results/low/main/config.toml")))
            .unwrap()
            .parse()
            .unwrap();
    assert_eq!(config["train"]["precision"], toml::Value::from("bf16"));
    assert_eq!(
        losses(&scratch.path("results/low/main/train_log.csv")).len(),
        4
    );
    // The exported model holds the f32 master weights (safetensors: an 8-byte header length,
    // then the JSON header naming each tensor's dtype).
    let bytes = read(&scratch.path("results/low/checkpoints/main/final/model.safetensors"));
    let length = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + length]).unwrap();
    let dtypes: std::collections::BTreeSet<&str> = header
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| *name != "__metadata__")
        .map(|(_, tensor)| tensor["dtype"].as_str().unwrap())
        .collect();
    assert_eq!(dtypes, ["F32"].into());
}

/// A port with nothing listening on it or on the next two (asked of the OS, then released).
fn free_ports() -> u16 {
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if port < 60000
            && (1..=2).all(|i| std::net::TcpListener::bind(("127.0.0.1", port + i)).is_ok())
        {
            return port;
        }
    }
}

#[test]
fn two_processes_joined_over_loopback_train_as_one_device() {
    let text = tiny_experiment("[train]\nmini_batch = 2");
    let one = Scratch::with_tiny_data();
    one.experiment("tiny", &text);
    ok(&one.hbt(&["train", "tiny"]));
    let nodes: Vec<Scratch> = (0..2).map(|_| Scratch::with_tiny_data()).collect();
    let coordinator = format!("127.0.0.1:{}", free_ports());
    let mut children: Vec<_> = nodes
        .iter()
        .enumerate()
        .map(|(rank, scratch)| {
            scratch.experiment("tiny", &text);
            let rank = rank.to_string();
            let child = scratch
                .command(&[
                    "train",
                    "tiny",
                    "--nodes",
                    "2",
                    "--node-rank",
                    &rank,
                    "--coordinator",
                    &coordinator,
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // The coordinator (node 0) first.
            std::thread::sleep(Duration::from_millis(500));
            child
        })
        .collect();
    let started = Instant::now();
    while children.iter_mut().any(|c| c.try_wait().unwrap().is_none()) {
        if started.elapsed() > Duration::from_secs(300) {
            for child in &mut children {
                let _ = child.kill();
            }
            panic!("the two nodes did not finish within 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for child in children {
        let out = child.wait_with_output().unwrap();
        ok(&out);
    }
    let alone = losses(&one.path("results/tiny/main/train_log.csv"));
    let joined = losses(&nodes[0].path("results/tiny/main/train_log.csv"));
    assert_eq!(alone.len(), joined.len());
    for (a, b) in alone.iter().zip(&joined) {
        assert!((a - b).abs() <= 1e-5 * a.abs(), "{alone:?} vs {joined:?}");
    }
    // Node 1 trained its share and kept nothing.
    assert!(!nodes[1].path("results/tiny/main").exists());
}

/// `hbt train tiny` as node `rank` of two joined at `coordinator`, stderr captured.
fn start_node(
    scratch: &Scratch,
    rank: usize,
    coordinator: &str,
    extra: &[&str],
) -> std::process::Child {
    let rank = rank.to_string();
    let mut args = vec![
        "train",
        "tiny",
        "--nodes",
        "2",
        "--node-rank",
        &rank,
        "--coordinator",
        coordinator,
    ];
    args.extend_from_slice(extra);
    scratch
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child` to end within `limit` seconds (else kills it and panics); its output.
fn finish_within(mut child: std::process::Child, limit: u64, what: &str) -> std::process::Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(limit) {
            let _ = child.kill();
            panic!("{what} did not end within {limit} s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_node_killed_mid_run_stops_the_other_with_a_resumable_checkpoint() {
    let text = tiny_experiment("[train]\nmini_batch = 2\nsteps = 60\ncheckpoint_every = 10");
    let one = Scratch::with_tiny_data();
    one.experiment("tiny", &text);
    ok(&one.hbt(&["train", "tiny"]));
    let nodes: Vec<Scratch> = (0..2).map(|_| Scratch::with_tiny_data()).collect();
    for scratch in &nodes {
        scratch.experiment("tiny", &text);
    }
    let coordinator = format!("127.0.0.1:{}", free_ports());
    let timeout = ["--node-timeout", "3"];
    let lead = start_node(&nodes[0], 0, &coordinator, &timeout);
    std::thread::sleep(Duration::from_millis(500));
    let mut follower = start_node(&nodes[1], 1, &coordinator, &timeout);
    // Node 1 keeps checkpoints of its own, at the same steps as node 0.
    wait_for(&nodes[1].path("results/tiny/checkpoints/main/step-00000020"));
    follower.kill().unwrap(); // SIGKILL on Unix
    follower.wait().unwrap();
    let out = finish_within(lead, 120, "node 0 after node 1 was killed");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "node 0 went on alone: {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("a node's connection failed") || last.contains("did not answer within 3 s"),
        "{stderr}"
    );
    assert!(last.contains("resumes with --resume"), "{stderr}");
    assert_eq!(stderr.matches("panicked").count(), 0, "{stderr}");
    assert!(last.contains("checkpoints/main/step-000000"), "{last}");
    assert!(!nodes[0].path("results/tiny/main").exists());
    eprintln!("node 0 after node 1 was killed: {last}");

    // Both nodes resume from their own newest checkpoints and end as one device would.
    let children: Vec<_> = (0..2)
        .map(|rank| {
            let child = start_node(&nodes[rank], rank, &coordinator, &["--resume"]);
            std::thread::sleep(Duration::from_millis(500));
            child
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .enumerate()
        .map(|(rank, child)| finish_within(child, 300, &format!("resumed node {rank}")))
        .collect();
    let resumed = String::from_utf8_lossy(&outputs[0].stderr);
    assert!(
        resumed.contains("resumed from the checkpoint of step"),
        "{resumed}"
    );
    for out in &outputs {
        assert!(
            out.status.success(),
            "node 0: {}\nnode 1: {}",
            String::from_utf8_lossy(&outputs[0].stderr),
            String::from_utf8_lossy(&outputs[1].stderr)
        );
    }
    let alone = losses(&one.path("results/tiny/main/train_log.csv"));
    let joined = losses(&nodes[0].path("results/tiny/main/train_log.csv"));
    assert_eq!(alone.len(), joined.len());
    for (a, b) in alone.iter().zip(&joined) {
        assert!((a - b).abs() <= 1e-5 * a.abs(), "{alone:?} vs {joined:?}");
    }
}

#[test]
fn a_node_that_stops_answering_times_the_other_out() {
    let text = tiny_experiment("[train]\nmini_batch = 2\nsteps = 60\ncheckpoint_every = 10");
    let nodes: Vec<Scratch> = (0..2).map(|_| Scratch::with_tiny_data()).collect();
    for scratch in &nodes {
        scratch.experiment("tiny", &text);
    }
    let coordinator = format!("127.0.0.1:{}", free_ports());
    let timeout = ["--node-timeout", "2"];
    let lead = start_node(&nodes[0], 0, &coordinator, &timeout);
    std::thread::sleep(Duration::from_millis(500));
    let mut follower = start_node(&nodes[1], 1, &coordinator, &timeout);
    wait_for(&nodes[1].path("results/tiny/checkpoints/main/step-00000010"));
    // SIGSTOP: node 1's connections stay open but it never answers (a hung machine).
    let pid = follower.id().to_string();
    let stopped = Command::new("kill").args(["-STOP", &pid]).status().unwrap();
    assert!(stopped.success());
    let out = finish_within(lead, 60, "node 0 after node 1 stopped answering");
    follower.kill().unwrap();
    follower.wait().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: step ")
            && last.contains("the other nodes did not answer within 2 s")
            && last.contains("checkpoints/main/step-000000")
            && last.contains("resumes with --resume"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("panicked").count(), 0, "{stderr}");
}
