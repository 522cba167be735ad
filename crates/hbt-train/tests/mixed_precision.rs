//! Mixed precision: the encoder computing in bf16 / f16 from f32 master weights gives the f32
//! loss and gradients within the low precision's rounding, and the gradients arrive in f32 on
//! the master parameters; training in bf16 / f16 follows the f32 run's losses, keeps f32
//! weights, and resumes exactly (the f16 loss scale is in the checkpoint).

mod common;

use burn::backend::Flex;
use burn::optim::GradientsParams;
use burn::tensor::{ElementConversion, FloatDType};
use common::*;
use hbt_model::{Encoder, EncoderConfig, ModelFamily, PoolingMode};
use hbt_schema::Precision;
use hbt_train::{ids_loss, InfoNceConfig};
use hbt_train::{TrainEvent, TrainerConfig};

fn model() -> Encoder<B> {
    let mut config = EncoderConfig::new(ModelFamily::XlmRoberta, 64, 32, 2, 2, 64, 40);
    config.pooling = PoolingMode::Mean;
    config.normalize = true;
    config.hidden_dropout_prob = 0.0;
    config.attention_probs_dropout_prob = 0.0;
    Encoder::<B>::init(&config, 11, &Default::default()).unwrap()
}

fn sequences(offset: u32) -> Vec<Vec<u32>> {
    (0..8u32)
        .map(|i| {
            let len = 3 + (i * 7 + offset) % 10;
            (0..len)
                .map(|j| 5 + (i * 13 + j * 7 + offset) % 59)
                .collect()
        })
        .collect()
}

fn loss_and_grads(master: &Encoder<B>, dtype: FloatDType) -> (f64, Vec<f32>) {
    let device = Default::default();
    let config = InfoNceConfig {
        temperature: 0.05,
        symmetric: true,
        normalize: true,
    };
    let view = master.cast_parameters(dtype);
    let loss = ids_loss(&view, &sequences(0), &sequences(3), 1, &config, &device).unwrap();
    let value = loss.clone().into_scalar().elem::<f64>();
    let mut grads = GradientsParams::from_grads(loss.backward(), master);
    let id = master.layers[0].attention.query.weight.id;
    let grad = grads
        .remove::<Flex, 2>(id)
        .expect("a gradient on the master parameter");
    assert_eq!(grad.dtype(), burn::tensor::DType::F32);
    (value, grad.into_data().to_vec::<f32>().unwrap())
}

#[test]
fn low_precision_views_train_the_f32_master() {
    let master = model();
    let (loss, grad) = loss_and_grads(&master, FloatDType::F32);
    for dtype in [FloatDType::BF16, FloatDType::F16] {
        let (low_loss, low_grad) = loss_and_grads(&master, dtype);
        let scale = grad.iter().fold(0f32, |m, g| m.max(g.abs()));
        let diff = grad
            .iter()
            .zip(&low_grad)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()))
            / scale;
        eprintln!("{dtype:?}: loss {low_loss:.5} vs {loss:.5}, max gradient difference {diff:.2e} of the largest");
        assert!((low_loss - loss).abs() / loss < 2e-2);
        assert!(diff < 5e-2);
    }
}

#[test]
fn bf16_and_f16_training_follow_the_f32_run_and_resume_exactly() {
    let _serial = serial();
    // Without dropout: the fused f32 kernels and burn's composed operations (the low
    // precisions' path) draw other masks.
    let mut s = setup();
    s.model_config.hidden_dropout_prob = 0.0;
    s.model_config.attention_probs_dropout_prob = 0.0;
    let tmp = tempfile::tempdir().unwrap();
    let f32_run = run(
        &s,
        &trainer_config(12),
        &tmp.path().join("f32"),
        false,
        &mut |_| {},
    )
    .unwrap();
    for precision in [Precision::Bf16, Precision::F16] {
        let config = TrainerConfig {
            precision,
            ..trainer_config(12)
        };
        let dir = tmp.path().join(precision.name());
        let snapshot = tmp.path().join(format!("{precision}-snapshot"));
        let mut on_event = |event: TrainEvent| {
            if let TrainEvent::Checkpoint(row) = event {
                if row.step == 4 {
                    copy_dir(&dir, &snapshot);
                }
            }
        };
        let full = run(&s, &config, &dir, false, &mut on_event).unwrap();
        let worst = full
            .log
            .iter()
            .zip(&f32_run.log)
            .map(|(low, high)| (low.loss - high.loss).abs() / high.loss)
            .fold(0f64, f64::max);
        eprintln!(
            "{precision}: largest relative loss difference from f32 over 12 steps {worst:.2e}"
        );
        let losses: Vec<f64> = full.log.iter().map(|r| r.loss).collect();
        eprintln!("{precision}: losses {losses:.3?}");
        if precision == Precision::Bf16 {
            assert!(worst < 0.05, "{precision}: {worst}");
        } else {
            // f16 skips its first steps while the loss scale falls from 2^16 to what its
            // gradients fit in, then trains.
            assert!(losses[11] < losses[0] * 0.5, "{precision}: {losses:?}");
        }
        assert_ne!(weights(&full.model), weights(&f32_run.model));
        let resumed = run(&s, &config, &snapshot, true, &mut |_| {}).unwrap();
        assert_eq!(resumed.resumed_from, 4);
        assert_eq!(resumed.log, full.log, "{precision}: resumed losses");
        assert_eq!(weights(&resumed.model), weights(&full.model));
    }
    let state = std::fs::read_to_string(tmp.path().join("f16/step-00000012/state.json"))
        .expect("the f16 checkpoint's state");
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    let loss_scale = &state["loss_scale"];
    eprintln!("f16 loss scale after 12 steps: {loss_scale}");
    let skipped = loss_scale["skipped_steps"].as_u64().unwrap();
    assert!((1..12).contains(&skipped), "{loss_scale}");
    assert_eq!(
        loss_scale["scale"].as_f64().unwrap(),
        65536.0 / 2f64.powi(skipped as i32)
    );
}
