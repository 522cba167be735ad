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
