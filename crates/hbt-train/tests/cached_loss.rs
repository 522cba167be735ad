//! The cached contrastive loss (GradCache) gives the loss and the parameter gradients of the
//! uncached whole batch, for several chunk sizes, including ones that do not divide the batch;
//! and with dropout on, its second pass sees the masks of its first.

use burn::backend::{Autodiff, Flex};
use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor};
use hbt_model::{embed_bucketed, Encoder, EncoderConfig, ModelFamily, PoolingMode};
use hbt_train::trainer::cached::{cached_loss_gradients, CachedLoss};
use hbt_train::{ids_loss, info_nce, InfoNceConfig};

type B = Autodiff<Flex>;

/// burn-flex's random source (dropout) is process-wide: tests that draw from it must not overlap.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

const BATCH: usize = 10;
/// SGD learning rate that turns a gradient into a weight change large enough to read back in
/// f32 without losing its digits.
const READ_RATE: f64 = 1e4;

fn model(dropout: f64) -> Encoder<B> {
    let mut config = EncoderConfig::new(ModelFamily::XlmRoberta, 64, 32, 2, 2, 64, 40);
    config.pooling = PoolingMode::Mean;
    config.normalize = true;
    config.hidden_dropout_prob = dropout;
    config.attention_probs_dropout_prob = dropout;
    Encoder::<B>::init(&config, 11, &Default::default()).unwrap()
}

/// `BATCH` token sequences of lengths 3 to 12 (ids 5..64; 0 is padding).
fn sequences(offset: u32) -> Vec<Vec<u32>> {
    (0..BATCH as u32)
        .map(|i| {
            let len = 3 + (i * 7 + offset) % 10;
            (0..len)
                .map(|j| 5 + (i * 13 + j * 7 + offset) % 59)
                .collect()
        })
        .collect()
}

fn loss_config() -> InfoNceConfig {
    InfoNceConfig {
        temperature: 0.05,
        symmetric: true,
        normalize: true,
    }
}

/// Every parameter's gradient, read back as the change of one SGD step at [`READ_RATE`].
fn gradients(model: &Encoder<B>, grads: GradientsParams) -> Vec<(String, Vec<f64>)> {
    let before = model.to_weights().unwrap();
    let mut sgd = SgdConfig::new().init::<B, Encoder<B>>();
    let after = sgd
        .step(READ_RATE, model.clone(), grads)
        .to_weights()
        .unwrap();
    before
        .iter()
        .map(|(name, w)| {
            let g = w
                .data
                .iter()
                .zip(&after[name].data)
                .map(|(b, a)| (*b as f64 - *a as f64) / READ_RATE)
                .collect();
            (name.clone(), g)
        })
        .collect()
}

/// Largest difference of any parameter's gradient, relative to that parameter's largest
/// gradient component, floored at 1e-4 of the model's largest: some gradients are zero in
/// exact arithmetic (a key bias shifts every attention score of a query alike, which softmax
/// ignores) and hold only rounding noise.
fn max_relative_difference(a: &[(String, Vec<f64>)], b: &[(String, Vec<f64>)]) -> f64 {
    let largest = |g: &[f64]| g.iter().fold(0f64, |m, v| m.max(v.abs()));
    let global = a.iter().map(|(_, g)| largest(g)).fold(0f64, f64::max);
    a.iter()
        .zip(b)
        .map(|((name, x), (other, y))| {
            assert_eq!(name, other);
            let scale = largest(x).max(1e-4 * global).max(1e-30);
            x.iter()
                .zip(y)
                .fold(0f64, |m, (p, q)| m.max((p - q).abs() / scale))
        })
        .fold(0f64, f64::max)
}

fn uncached(model: &Encoder<B>, q: &[Vec<u32>], a: &[Vec<u32>]) -> (f64, Vec<(String, Vec<f64>)>) {
    let device = Default::default();
    let loss = ids_loss(model, q, a, 1, &loss_config(), &device).unwrap();
    let value = loss.clone().into_scalar().elem::<f64>();
    let grads = GradientsParams::from_grads(loss.backward(), model);
    (value, gradients(model, grads))
}

fn cached(
    model: &Encoder<B>,
    q: &[Vec<u32>],
    a: &[Vec<u32>],
    mini_batch: usize,
    length_buckets: usize,
) -> (f64, Vec<(String, Vec<f64>)>) {
    let settings = CachedLoss {
        mini_batch,
        length_buckets,
        dropout_seed: 99,
    };
    let device = Default::default();
    let (value, grads) =
        cached_loss_gradients(model, q, a, &loss_config(), settings, 1.0, &device).unwrap();
    (value, gradients(model, grads))
}

#[test]
fn the_cached_loss_equals_the_whole_batch_for_every_chunk_size() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = model(0.0);
    let (q, a) = (sequences(0), sequences(3));
    let (loss, grads) = uncached(&model, &q, &a);
    assert!(loss > 0.1, "a real loss: {loss}");
    for mini_batch in [1, 3, 4, 7, BATCH, 64] {
        for buckets in [1, 2] {
            let (cached_loss, cached_grads) = cached(&model, &q, &a, mini_batch, buckets);
            let loss_difference = (cached_loss - loss).abs() / loss;
            let grad_difference = max_relative_difference(&grads, &cached_grads);
            eprintln!(
                "mini_batch {mini_batch}, buckets {buckets}: loss {cached_loss:.6} vs {loss:.6}, \
                 max relative gradient difference {grad_difference:.2e}"
            );
            assert!(loss_difference <= 1e-5, "loss {cached_loss} vs {loss}");
            assert!(
                grad_difference <= 1e-5,
                "gradients differ by {grad_difference:.2e}"
            );
        }
    }
}

/// The plain (uncached) loss and gradients under the masks the cached loss uses: each chunk
/// embedded with its graph after reseeding as the cached loss does, all in one graph.
fn same_masks_uncached(
    model: &Encoder<B>,
    q: &[Vec<u32>],
    a: &[Vec<u32>],
    settings: CachedLoss,
) -> (f64, Vec<(String, Vec<f64>)>) {
    let device = Default::default();
    let side = |index: usize, ids: &[Vec<u32>]| {
        let chunks: Vec<Tensor<B, 2>> = ids
            .chunks(settings.mini_batch)
            .enumerate()
            .map(|(chunk, ids)| {
                B::seed(
                    &device,
                    settings.chunk_seed(index, chunk * settings.mini_batch),
                );
                embed_bucketed(model, ids, settings.length_buckets, &device).unwrap()
            })
            .collect();
        Tensor::cat(chunks, 0)
    };
    let loss = info_nce(side(0, q), side(1, a), &loss_config()).unwrap();
    let value = loss.clone().into_scalar().elem::<f64>();
    let grads = GradientsParams::from_grads(loss.backward(), model);
    (value, gradients(model, grads))
}

#[test]
fn with_dropout_the_second_pass_sees_the_masks_of_the_first() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let model = model(0.1);
    let (q, a) = (sequences(1), sequences(4));
    let settings = CachedLoss {
        mini_batch: 3,
        length_buckets: 1,
        dropout_seed: 99,
    };
    let (reference_loss, reference) = same_masks_uncached(&model, &q, &a, settings);
    let (loss, grads) = cached(&model, &q, &a, 3, 1);
    let difference = max_relative_difference(&reference, &grads);
    eprintln!("dropout 0.1, mini_batch 3: loss {loss:.6} vs {reference_loss:.6}, gradients {difference:.2e}");
    assert!((loss - reference_loss).abs() / reference_loss <= 1e-5);
    assert!(difference <= 1e-5, "gradients differ by {difference:.2e}");
    // Dropout is really on: without it the loss is another.
    let (no_dropout_loss, _) = uncached(&self::model(0.0), &q, &a);
    assert!(
        (loss - no_dropout_loss).abs() > 1e-4,
        "{loss} vs {no_dropout_loss}"
    );
}
