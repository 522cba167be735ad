//! Data-parallel training on burn-collective, two CPU devices in one process: with cross-device
//! negatives it trains exactly as one device on the combined batch (loss, weights, with and
//! without the cached loss and dropout); without them each device's loss covers its shard;
//! checkpoints (written by the lead peer) resume exactly; a failing peer ends the session with
//! its error instead of leaving the others waiting.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use burn::backend::Flex;
use hbt_model::Encoder;
use hbt_train::{ids_loss, TrainError, TrainEvent, TrainOutcome, TrainerConfig};

use common::*;

/// Largest difference of any weight, relative to the largest weight of its tensor. The
/// attention key biases are left out: their exact gradient is zero (a key bias shifts every
/// score of a query alike, which softmax ignores), so they hold only rounding noise (checked
/// to stay below 1e-5).
fn max_relative_weight_difference(a: &Encoder<Flex>, b: &Encoder<Flex>) -> f64 {
    let (a, b) = (a.to_weights().unwrap(), b.to_weights().unwrap());
    a.iter()
        .filter(|(name, x)| {
            let noise = name.ends_with("attention.self.key.bias");
            if noise {
                assert!(x.data.iter().all(|v| v.abs() < 1e-5), "{name}");
            }
            !noise
        })
        .map(|(name, x)| {
            let y = &b[name].data;
            let scale = x.data.iter().fold(1e-12f64, |m, v| m.max(v.abs() as f64));
            x.data.iter().zip(y).fold(0f64, |m, (p, q)| {
                m.max((*p as f64 - *q as f64).abs() / scale)
            })
        })
        .fold(0f64, f64::max)
}

fn max_relative_loss_difference(a: &TrainOutcome<Flex>, b: &TrainOutcome<Flex>) -> f64 {
    assert_eq!(a.log.len(), b.log.len());
    a.log
        .iter()
        .zip(&b.log)
        .map(|(x, y)| {
            assert_eq!(
                (x.step, &x.languages),
                (y.step, &y.languages),
                "same batches"
            );
            (x.loss - y.loss).abs() / x.loss.abs()
        })
        .fold(0f64, f64::max)
}

fn dropout(s: &mut Setup, p: f64) {
    s.model_config.hidden_dropout_prob = p;
    s.model_config.attention_probs_dropout_prob = p;
}

/// One device and two devices train alike under `config`; returns the two differences.
fn one_vs_two(s: &Setup, config: &TrainerConfig) -> (f64, f64) {
    let tmp = tempfile::tempdir().unwrap();
    let one = run_on(s, config, &tmp.path().join("one"), false, 1, &mut |_| {}).unwrap();
    let two = run_on(s, config, &tmp.path().join("two"), false, 2, &mut |_| {}).unwrap();
    assert_eq!(one.composition, two.composition);
    assert_eq!(one.best.step, two.best.step);
    let (loss, weights) = (
        max_relative_loss_difference(&one, &two),
        max_relative_weight_difference(&one.model, &two.model),
    );
    let moved = max_relative_weight_difference(
        &one.model,
        &Encoder::<Flex>::init(&s.model_config, 7, &Default::default()).unwrap(),
    );
    assert!(moved > 1e-3, "training changed the weights ({moved:.2e})");
    (loss, weights)
}

#[test]
fn two_devices_with_cross_device_negatives_train_as_one_device_on_the_combined_batch() {
    let _serial = serial();
    let mut s = setup();
    dropout(&mut s, 0.0);
    let config = trainer_config(6);
    let (loss, weights) = one_vs_two(&s, &config);
    eprintln!("2 devices vs 1, 6 steps of 8 pairs: loss {loss:.2e}, weights {weights:.2e}");
    assert!(loss <= 1e-5, "loss differs by {loss:.2e}");
    assert!(weights <= 1e-5, "weights differ by {weights:.2e}");
}

#[test]
fn with_the_cached_loss_and_dropout_two_devices_still_train_as_one() {
    let _serial = serial();
    let mut s = setup();
    dropout(&mut s, 0.1);
    for mini_batch in [2, 4] {
        let config = TrainerConfig {
            mini_batch: Some(mini_batch),
            ..trainer_config(6)
        };
        let (loss, weights) = one_vs_two(&s, &config);
        eprintln!(
            "mini_batch {mini_batch}, dropout 0.1, 2 devices vs 1: loss {loss:.2e}, weights {weights:.2e}"
        );
        assert!(loss <= 1e-5, "loss differs by {loss:.2e}");
        assert!(weights <= 1e-5, "weights differ by {weights:.2e}");
    }
}

#[test]
fn without_cross_device_negatives_each_device_scores_its_own_shard() {
    let _serial = serial();
    let mut s = setup();
    dropout(&mut s, 0.0);
    let config = TrainerConfig {
        cross_device_negatives: false,
        warmup_steps: 0,
        ..trainer_config(1)
    };
    let tmp = tempfile::tempdir().unwrap();
    let two = run_on(&s, &config, tmp.path(), false, 2, &mut |_| {}).unwrap();
    // The first batch's loss by hand: each half of the batch against its own answers.
    let batch = sampler(&s).next_batch().unwrap();
    let device = Default::default();
    let model = Encoder::<Flex>::init(&s.model_config, 7, &device).unwrap();
    let (questions, answers) = hbt_train::trainer::step::batch_ids(&s.tokenizer, &batch).unwrap();
    let half = |range: std::ops::Range<usize>| {
        let loss = ids_loss(
            &model,
            &questions[range.clone()],
            &answers[range],
            1,
            &config.loss,
            &device,
        )
        .unwrap();
        loss.into_scalar() as f64
    };
    let expected = (half(0..4) + half(4..8)) / 2.0;
    let whole = half(0..8);
    let got = two.log[0].loss;
    eprintln!("shard losses {expected:.6}, got {got:.6}, whole batch {whole:.6}");
    assert!(
        (got - expected).abs() <= 1e-5 * expected,
        "{got} vs {expected}"
    );
    assert!((got - whole).abs() > 1e-3, "fewer negatives, another loss");
}

#[test]
fn a_two_device_run_resumes_exactly_from_the_lead_peers_checkpoint() {
    let _serial = serial();
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    let (full_dir, snapshot) = (tmp.path().join("full"), tmp.path().join("snapshot"));
    let config = trainer_config(8);
    let mut on_event = |event: TrainEvent| {
        if let TrainEvent::Checkpoint(row) = event {
            if row.step == 4 {
                copy_dir(&full_dir, &snapshot);
            }
        }
    };
    let full = run_on(&s, &config, &full_dir, false, 2, &mut on_event).unwrap();
    let resumed = run_on(&s, &config, &snapshot, true, 2, &mut |_| {}).unwrap();
    assert_eq!(resumed.resumed_from, 4);
    assert_eq!(resumed.log, full.log);
    assert_eq!(resumed.dev, full.dev);
    assert_eq!(weights(&resumed.model), weights(&full.model));
}

#[test]
fn a_failing_peer_ends_the_session_with_its_error_not_a_hang() {
    let _serial = serial();
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    // The lead peer cannot write its checkpoint folder (a file stands in its place); the other
    // peer is then waiting in the first step's exchange.
    let blocked = tmp.path().join("blocked");
    std::fs::write(&blocked, "not a folder").unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = run_on(&s, &trainer_config(4), &blocked, false, 2, &mut |_| {});
        let _ = tx.send(result.map(|_| ()));
    });
    let result: Result<(), TrainError> = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the session ended instead of waiting for the failed peer");
    let error = result.unwrap_err();
    eprintln!("{error}");
    assert!(
        matches!(error, TrainError::Checkpoint { .. }),
        "the lead peer's own error, not the other peer's echo: {error}"
    );
    assert!(error.to_string().contains("blocked"), "{error}");
}

#[test]
fn more_devices_than_pairs_in_a_batch_is_refused() {
    let _serial = serial();
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    let config = TrainerConfig {
        warmup_steps: 0,
        ..trainer_config(1)
    };
    let error = run_on(&s, &config, tmp.path(), false, 9, &mut |_| {}).unwrap_err();
    assert_eq!(
        error.to_string(),
        "training setting `devices`: 9 devices need a batch of at least 9, got 8"
    );
}
