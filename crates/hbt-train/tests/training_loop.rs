//! The training loop end to end on a tiny encoder: loss goes down, a resumed run equals an
//! uninterrupted one, a NaN loss stops the run and keeps the last checkpoint.

mod common;

use std::path::Path;

use burn::backend::Flex;
use burn::module::Module;
use hbt_model::Encoder;
use hbt_train::{
    train, BatchSampler, CheckpointDir, SamplerConfig, Strategy, TrainError, TrainEvent,
    TrainInputs, TrainerConfig, TrainingSource,
};

use common::*;

#[test]
fn frozen_embeddings_stay_as_they_were_while_the_rest_trains() {
    let _guard = serial();
    let s = setup();
    let dir = tempfile::tempdir().unwrap();
    let config = TrainerConfig {
        freeze_embeddings: true,
        ..trainer_config(4)
    };
    let outcome = run(&s, &config, dir.path(), false, &mut |_| {}).unwrap();
    let device = Default::default();
    let initial = Encoder::<B>::init(&s.model_config, 7, &device)
        .unwrap()
        .to_weights()
        .unwrap();
    let trained = outcome.model.to_weights().unwrap();
    let table = "embeddings.word_embeddings.weight";
    assert_eq!(trained[table], initial[table], "the word table is frozen");
    let query = "encoder.layer.0.attention.self.query.weight";
    assert_ne!(trained[query], initial[query], "the layers train");
}

#[test]
fn a_resumed_run_equals_the_uninterrupted_one() {
    let _serial = serial();
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    let full_dir = tmp.path().join("full");
    let snapshot = tmp.path().join("snapshot");
    let config = trainer_config(12);
    // The uninterrupted run; a copy of its checkpoint folder after step 4 stands for a run
    // killed anywhere between steps 4 and 8.
    let mut on_event = |event: TrainEvent| {
        if let TrainEvent::Checkpoint(row) = event {
            if row.step == 4 {
                copy_dir(&full_dir, &snapshot);
            }
        }
    };
    let full = run(&s, &config, &full_dir, false, &mut on_event).unwrap();
    assert_eq!(full.log.len(), 12);
    assert_eq!(full.dev.len(), 3);
    assert_eq!(full.resumed_from, 0);
    assert_eq!(full.dev.iter().filter(|r| r.selected).count(), 1);

    let mut events = Vec::new();
    let resumed = run(&s, &config, &snapshot, true, &mut |e| events.push(e)).unwrap();
    assert_eq!(resumed.resumed_from, 4);
    assert!(matches!(
        events[0],
        TrainEvent::Started {
            step: 4,
            total: 12,
            resumed: true
        }
    ));
    assert_eq!(resumed.log, full.log, "train_log rows must be identical");
    assert_eq!(resumed.dev, full.dev);
    assert_eq!(resumed.composition, full.composition);
    assert_eq!(weights(&resumed.model), weights(&full.model));

    // Two fresh runs with one seed are identical too.
    let again = run(&s, &config, &tmp.path().join("again"), false, &mut |_| {}).unwrap();
    assert_eq!(again.log, full.log);
    assert_eq!(weights(&again.model), weights(&full.model));
}

#[test]
fn training_lowers_the_loss_and_improves_dev_recall() {
    let _serial = serial();
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    let mut config = trainer_config(40);
    config.checkpoint_every = 40;
    let device = Default::default();
    let untrained = Encoder::<Flex>::init(&s.model_config, 7, &device).unwrap();
    let before = s
        .dev
        .evaluate(&untrained, &config.loss, 8, &device)
        .unwrap();
    let out = run(&s, &config, tmp.path(), false, &mut |_| {}).unwrap();
    let first: f64 = out.log[..5].iter().map(|r| r.loss).sum::<f64>() / 5.0;
    let last: f64 = out.log[35..].iter().map(|r| r.loss).sum::<f64>() / 5.0;
    assert!(last < first * 0.8, "loss {first} -> {last}");
    let after = &out.dev[0];
    assert!(
        after.dev_loss < before.loss && after.dev_recall_at_1 > before.recall_at_1,
        "dev {before:?} -> {after:?}"
    );
}

#[test]
fn a_non_finite_loss_stops_the_run_and_keeps_the_last_checkpoint() {
    let _serial = serial();
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    let mut config = trainer_config(30);
    config.learning_rate = 1e30;
    config.warmup_steps = 0;
    config.max_grad_norm = None;
    config.checkpoint_every = 1;
    let err = run(&s, &config, tmp.path(), false, &mut |_| {}).unwrap_err();
    match err {
        TrainError::NonFiniteLoss {
            step,
            last_checkpoint,
            ..
        } => {
            assert!(step > 1, "the first step's loss is finite");
            assert!(last_checkpoint.ends_with(&format!("step-{:08}", step - 1)));
            assert!(Path::new(&last_checkpoint).join("model.mpk").exists());
        }
        other => panic!("expected a non-finite loss, got {other}"),
    }
}

#[test]
fn resume_refuses_a_checkpoint_of_other_settings_and_bad_settings_are_named() {
    let _serial = serial();
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    let config = trainer_config(4);
    run(&s, &config, tmp.path(), false, &mut |_| {}).unwrap();
    // Same folder, different fingerprint.
    let sampler = BatchSampler::new(
        vec![TrainingSource::from_groups("tiny", s.train.clone())],
        SamplerConfig {
            strategy: Strategy::Mono,
            alpha: 0.5,
            batch_size: 8,
            language_weighting: Default::default(),
            seed: 7,
        },
    )
    .unwrap();
    let device = Default::default();
    let checkpoints = CheckpointDir::new(tmp.path());
    let inputs = TrainInputs {
        sampler,
        dev: &s.dev,
        tokenizer: &s.tokenizer,
        checkpoints: &checkpoints,
        fingerprint: "other".into(),
        resume: true,
    };
    let model = Encoder::<B>::init(&s.model_config, 7, &device).unwrap();
    let err = train(model, inputs, &config, &device, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("other settings"), "{err}");

    let mut bad = trainer_config(4);
    bad.warmup_steps = 10;
    let err = run(&s, &bad, tmp.path(), false, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("warmup_steps"), "{err}");
}

#[test]
fn checkpoints_keep_only_the_newest_step_and_the_best_model() {
    let _serial = serial();
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&s, &trainer_config(12), tmp.path(), false, &mut |_| {}).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    let best = format!("best-step-{:08}", out.best.step);
    let mut expected = vec![best, "step-00000012".to_string()];
    expected.sort();
    expected.dedup();
    assert_eq!(names, expected);
    // The returned model is the selected checkpoint's.
    let device = Default::default();
    let reloaded = CheckpointDir::new(tmp.path())
        .load_best(
            Encoder::<Flex>::init(&s.model_config, 1, &device).unwrap(),
            out.best.step,
            &device,
        )
        .unwrap();
    assert_eq!(weights(&reloaded), weights(&out.model));
    let _ = out.model.num_params();
}

/// Runs 8 steps (checkpoints at 4 and 8), then damages the step-8 checkpoint with `damage`
/// and resumes: the error must name `culprit`.
fn resume_after_damage(damage: impl FnOnce(&Path), culprit: &str) {
    let _serial = serial();
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    let config = trainer_config(8);
    run(&s, &config, tmp.path(), false, &mut |_| {}).unwrap();
    let step_dir = tmp.path().join("step-00000008");
    assert!(
        step_dir.join("files.json").is_file(),
        "checkpoints list their files"
    );
    damage(&step_dir);
    let mut events = Vec::new();
    let err = run(&s, &config, tmp.path(), true, &mut |e| events.push(e))
        .unwrap_err()
        .to_string();
    eprintln!("error: {err}");
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains(culprit), "{err}");
    assert!(
        !err.contains("version"),
        "no misleading format-version hint: {err}"
    );
    assert!(events.is_empty(), "refused before any progress is reported");
}

#[test]
fn a_truncated_checkpoint_file_is_named_and_nothing_is_claimed() {
    resume_after_damage(
        |dir| {
            let path = dir.join("model.mpk");
            let len = std::fs::metadata(&path).unwrap().len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
        },
        "expected; the checkpoint is damaged",
    );
}

#[test]
fn a_checkpoint_file_with_other_bytes_of_the_same_size_is_named() {
    resume_after_damage(
        |dir| {
            let path = dir.join("optimizer.mpk");
            let mut bytes = std::fs::read(&path).unwrap();
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0xff;
            std::fs::write(&path, bytes).unwrap();
        },
        "optimizer.mpk: sha256 differs from files.json",
    );
}

#[test]
fn a_state_claiming_another_step_is_refused() {
    resume_after_damage(
        |dir| {
            let path = dir.join("state.json");
            let text = std::fs::read_to_string(&path).unwrap();
            let mut state: serde_json::Value = serde_json::from_str(&text).unwrap();
            state["step"] = 999.into();
            std::fs::write(&path, state.to_string()).unwrap();
            // Rewrite the list so only the step check can catch it.
            std::fs::remove_file(dir.join("files.json")).unwrap();
        },
        "state.json: says step 999 with 8 training log rows, in the folder of step 8",
    );
}

#[test]
fn a_checkpoint_of_more_steps_than_the_run_is_refused() {
    let _serial = serial();
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    run(&s, &trainer_config(8), tmp.path(), false, &mut |_| {}).unwrap();
    // The same folder resumed as a 4-step run (same fingerprint, as a hand-edited run would).
    let err = run(&s, &trainer_config(4), tmp.path(), true, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds step 8 of a run of 4 steps"), "{err}");
}

#[test]
fn a_truncated_file_of_a_checkpoint_without_a_file_list_is_named_as_undecodable() {
    resume_after_damage(
        |dir| {
            std::fs::remove_file(dir.join("files.json")).unwrap();
            let path = dir.join("model.mpk");
            let len = std::fs::metadata(&path).unwrap().len();
            let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            file.set_len(len / 2).unwrap();
        },
        "model.mpk: cannot be decoded (truncated or damaged)",
    );
}

#[test]
fn the_cached_loss_trains_deterministically_with_dropout() {
    let _guard = serial();
    let s = setup();
    let config = TrainerConfig {
        mini_batch: Some(3),
        ..trainer_config(4)
    };
    let first_dir = tempfile::tempdir().unwrap();
    let second_dir = tempfile::tempdir().unwrap();
    let first = run(&s, &config, first_dir.path(), false, &mut |_| {}).unwrap();
    let second = run(&s, &config, second_dir.path(), false, &mut |_| {}).unwrap();
    let initial = Encoder::<B>::init(&s.model_config, 7, &Default::default())
        .unwrap()
        .to_weights()
        .unwrap();
    let trained = first.model.to_weights().unwrap();
    let query = "encoder.layer.0.attention.self.query.weight";
    assert_ne!(trained[query], initial[query], "the layers train");
    assert_eq!(
        trained,
        second.model.to_weights().unwrap(),
        "same seed, same weights"
    );
}
