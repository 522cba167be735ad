//! The encoder trains: under burn's autodiff backend, a loss on the pooled embeddings
//! back-propagates to every kind of parameter, and dropout is active.

use burn::backend::Autodiff;
use hbt_model::backend::FlexBackend;
use hbt_model::{Encoder, EncoderBatch, EncoderConfig, ModelFamily, PoolingMode};

type B = Autodiff<FlexBackend>;

#[test]
fn gradients_reach_every_parameter_kind() {
    let device = Default::default();
    let mut config = EncoderConfig::new(ModelFamily::XlmRoberta, 50, 16, 2, 4, 32, 20);
    config.pooling = PoolingMode::Pooler;
    config.hidden_dropout_prob = 0.0;
    config.attention_probs_dropout_prob = 0.0;
    let model = Encoder::<B>::init(&config, 9, &device).unwrap();
    let batch =
        EncoderBatch::<B>::from_sequences(&[vec![0, 5, 6, 2], vec![0, 7, 2]], &config, &device)
            .unwrap();
    let loss = model.embed(&batch).powi_scalar(2).sum();
    let grads = loss.backward();
    let norm = |g: Option<burn::tensor::Tensor<FlexBackend, 2>>| {
        g.expect("no gradient").powi_scalar(2).sum().into_scalar()
    };
    let norm1 = |g: Option<burn::tensor::Tensor<FlexBackend, 1>>| {
        g.expect("no gradient").powi_scalar(2).sum().into_scalar()
    };
    let layer = &model.layers[0];
    for (name, value) in [
        (
            "word embeddings",
            norm(model.embeddings.word.weight.grad(&grads)),
        ),
        (
            "position embeddings",
            norm(model.embeddings.position.weight.grad(&grads)),
        ),
        ("query", norm(layer.attention.query.weight.grad(&grads))),
        ("key", norm(layer.attention.key.weight.grad(&grads))),
        ("feed-forward", norm(layer.intermediate.weight.grad(&grads))),
        ("pooler", norm(model.pooler.dense.weight.grad(&grads))),
        ("layer norm", norm1(layer.layer_norm.gamma.grad(&grads))),
    ] {
        assert!(
            value.is_finite() && value > 0.0,
            "{name}: gradient norm² {value}"
        );
    }
}

#[test]
fn dropout_is_active_under_autodiff() {
    let device = Default::default();
    let mut config = EncoderConfig::new(ModelFamily::Bert, 50, 16, 1, 4, 32, 20);
    config.pooling = PoolingMode::Mean;
    let model = Encoder::<B>::init(&config, 9, &device).unwrap();
    let batch = EncoderBatch::<B>::from_sequences(&[vec![1, 5, 6, 2]], &config, &device).unwrap();
    let a = model.embed(&batch).into_data().to_vec::<f32>().unwrap();
    let b = model.embed(&batch).into_data().to_vec::<f32>().unwrap();
    assert_ne!(a, b);
}

/// Bucketed embedding gives the single-batch embeddings and the same gradients, in input
/// order, for any bucket count.
#[test]
fn bucketed_embedding_equals_one_padded_batch_with_gradients() {
    use hbt_model::embed_bucketed;
    let device = Default::default();
    let mut config = EncoderConfig::new(ModelFamily::Bert, 50, 16, 2, 4, 32, 20);
    config.pooling = PoolingMode::Mean;
    config.hidden_dropout_prob = 0.0;
    config.attention_probs_dropout_prob = 0.0;
    let model = Encoder::<B>::init(&config, 3, &device).unwrap();
    let sequences: Vec<Vec<u32>> = vec![
        vec![1, 5],
        vec![1, 5, 6, 7, 8, 9, 2],
        vec![1, 9, 2],
        vec![1, 4, 4, 4, 2],
        vec![3],
    ];
    // A loss that depends on the row order: a different weight per row.
    let weights = burn::tensor::Tensor::<B, 1>::from_floats([1.0, -2.0, 3.0, 0.5, 4.0], &device);
    let run = |buckets: usize| {
        let embedded = embed_bucketed(&model, &sequences, buckets, &device).unwrap();
        let values = embedded.clone().into_data().to_vec::<f32>().unwrap();
        let loss = (embedded.sum_dim(1).reshape([5]) * weights.clone()).sum();
        let grads = loss.backward();
        let grad = model.layers[0]
            .intermediate
            .weight
            .grad(&grads)
            .unwrap()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        (values, grad)
    };
    let (single, single_grad) = run(1);
    for buckets in [2, 3, 5, 9] {
        let (values, grad) = run(buckets);
        let diff = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0f32, f32::max)
        };
        assert!(
            diff(&single, &values) < 1e-5,
            "embeddings, {buckets} buckets"
        );
        assert!(
            diff(&single_grad, &grad) < 1e-4,
            "gradients, {buckets} buckets"
        );
    }
}
