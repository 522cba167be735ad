//! Every fused kernel against the composition of burn's own operations (the reference path,
//! which burn-ndarray and burn-cuda take), forward and gradients, on random shapes with odd
//! lengths and fully padded sequences; plus finite-difference gradient checks with dropout.

use burn::backend::{Autodiff, Flex, NdArray};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor, TensorData};
use hbt_kernels::ops::{
    attention as attn, embedding as emb, gelu, layer_norm as ln, linear as lin,
};
use hbt_kernels::{
    attention, bias_gelu, embedding, linear, residual_layer_norm, squared_sum, Norm,
};

type AD = Autodiff<Flex>;

/// The backend's generator is global: tests that seed it and draw from it take turns.
static SEEDED: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn seeded() -> std::sync::MutexGuard<'static, ()> {
    SEEDED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Relative tolerance against the reference, measured against each tensor's largest
/// magnitude (sums in a different order differ by a few ulp of the largest terms).
const TOLERANCE: f32 = 1e-5;

fn values<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().unwrap()
}

fn assert_close(what: &str, ours: &[f32], reference: &[f32], tolerance: f32) {
    assert_eq!(ours.len(), reference.len(), "{what}: lengths");
    let scale = reference
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()))
        .max(1e-30);
    let worst = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        ours.iter().all(|v| v.is_finite()),
        "{what}: non-finite values"
    );
    assert!(
        worst <= tolerance * scale,
        "{what}: max |ours - reference| = {worst:e}, {:e} of the largest value {scale:e}",
        worst / scale
    );
}

/// A small deterministic generator for shapes and data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn floats(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n)
            .map(|_| ((self.next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale)
            .collect()
    }
}

fn tensor<B: Backend, const D: usize>(values: Vec<f32>, shape: [usize; D]) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(values, shape), &Default::default())
}

/// Additive key masks: sequence 0 is full, the last one fully padded, the others random lengths.
fn key_mask(rng: &mut Rng, batch: usize, seq: usize) -> Vec<f32> {
    let mut mask = vec![0.0; batch * seq];
    for b in 1..batch {
        let len = if b == batch - 1 {
            0
        } else {
            1 + rng.below(seq)
        };
        for m in &mut mask[b * seq + len..(b + 1) * seq] {
            *m = f32::MIN;
        }
    }
    mask
}

struct AttentionCase {
    shape: [usize; 3],
    heads: usize,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    mask: Vec<f32>,
    weights: Vec<f32>,
}

impl AttentionCase {
    fn random(rng: &mut Rng) -> Self {
        let heads = 1 + rng.below(4);
        let head_dim = 1 + rng.below(17);
        let (batch, seq) = (2 + rng.below(3), 1 + rng.below(23));
        let n = batch * seq * heads * head_dim;
        AttentionCase {
            shape: [batch, seq, heads * head_dim],
            heads,
            q: rng.floats(n, 2.0),
            k: rng.floats(n, 2.0),
            v: rng.floats(n, 1.0),
            mask: key_mask(rng, batch, seq),
            weights: rng.floats(n, 1.0),
        }
    }

    /// Context and the gradients of `sum(context · weights)` with respect to q, k, v.
    fn run(&self, fused: bool, dropout: f64) -> [Vec<f32>; 4] {
        let [batch, seq, _] = self.shape;
        let q = tensor::<AD, 3>(self.q.clone(), self.shape).require_grad();
        let k = tensor::<AD, 3>(self.k.clone(), self.shape).require_grad();
        let v = tensor::<AD, 3>(self.v.clone(), self.shape).require_grad();
        let mask = tensor::<AD, 2>(self.mask.clone(), [batch, seq]);
        let (qc, kc, vc) = (q.clone(), k.clone(), v.clone());
        let context = if fused {
            attention(qc, kc, vc, mask, self.heads, dropout)
        } else {
            attn::reference(qc, kc, vc, mask, self.heads, dropout)
        };
        let loss = (context.clone() * tensor::<AD, 3>(self.weights.clone(), self.shape)).sum();
        let grads = loss.backward();
        [
            values(context),
            values(q.grad(&grads).unwrap()),
            values(k.grad(&grads).unwrap()),
            values(v.grad(&grads).unwrap()),
        ]
    }
}

#[test]
fn attention_matches_the_reference_forward_and_backward() {
    let mut rng = Rng(0x5eed);
    for case_index in 0..12 {
        let case = AttentionCase::random(&mut rng);
        let fused = case.run(true, 0.0);
        let reference = case.run(false, 0.0);
        for (name, (a, b)) in ["context", "dq", "dk", "dv"]
            .iter()
            .zip(fused.iter().zip(&reference))
        {
            assert_close(
                &format!(
                    "case {case_index} {:?} heads {}: {name}",
                    case.shape, case.heads
                ),
                a,
                b,
                TOLERANCE,
            );
        }
        // Inference (no autodiff) takes the forward-only kernel; ndarray takes the reference.
        let [batch, seq, _] = case.shape;
        let inference = values(attention(
            tensor::<Flex, 3>(case.q.clone(), case.shape),
            tensor::<Flex, 3>(case.k.clone(), case.shape),
            tensor::<Flex, 3>(case.v.clone(), case.shape),
            tensor::<Flex, 2>(case.mask.clone(), [batch, seq]),
            case.heads,
            0.1,
        ));
        assert_close("flex inference", &inference, &reference[0], TOLERANCE);
        let ndarray = values(attention(
            tensor::<NdArray, 3>(case.q.clone(), case.shape),
            tensor::<NdArray, 3>(case.k.clone(), case.shape),
            tensor::<NdArray, 3>(case.v.clone(), case.shape),
            tensor::<NdArray, 2>(case.mask.clone(), [batch, seq]),
            case.heads,
            0.1,
        ));
        assert_close("ndarray", &ndarray, &reference[0], TOLERANCE);
    }
}

/// Central differences of `f` at `x` along each coordinate, in f64 from f32 evaluations.
fn finite_differences(x: &[f32], step: f32, mut f: impl FnMut(&[f32]) -> f64) -> Vec<f32> {
    (0..x.len())
        .map(|i| {
            let mut plus = x.to_vec();
            plus[i] += step;
            let mut minus = x.to_vec();
            minus[i] -= step;
            ((f(&plus) - f(&minus)) / (2.0 * step as f64)) as f32
        })
        .collect()
}

fn sum_weighted<const D: usize>(t: Tensor<AD, D>, weights: &[f32]) -> f64 {
    values(t)
        .iter()
        .zip(weights)
        .map(|(&a, &w)| a as f64 * w as f64)
        .sum()
}

#[test]
fn attention_gradients_with_dropout_match_finite_differences() {
    let _turn = seeded();
    let mut rng = Rng(77);
    let (batch, seq, heads, head_dim) = (2, 5, 2, 3);
    let shape = [batch, seq, heads * head_dim];
    let n = batch * seq * heads * head_dim;
    let case = AttentionCase {
        shape,
        heads,
        q: rng.floats(n, 1.0),
        k: rng.floats(n, 1.0),
        v: rng.floats(n, 1.0),
        // Sequence 1 has 3 tokens of 5. (A fully padded sequence has an analytic gradient that
        // finite differences cannot see: its scores are absorbed by the mask value.)
        mask: [[0.0; 5], [0.0, 0.0, 0.0, f32::MIN, f32::MIN]].concat(),
        weights: rng.floats(n, 1.0),
    };
    let device = Default::default();
    let eval = |q: &[f32], k: &[f32], v: &[f32]| {
        AD::seed(&device, 3);
        let context = attention(
            tensor::<AD, 3>(q.to_vec(), shape),
            tensor::<AD, 3>(k.to_vec(), shape),
            tensor::<AD, 3>(v.to_vec(), shape),
            tensor::<AD, 2>(case.mask.clone(), [batch, seq]),
            heads,
            0.3,
        );
        sum_weighted(context, &case.weights)
    };
    AD::seed(&device, 3);
    let [_, dq, dk, dv] = case.run(true, 0.3);
    let step = 1e-2;
    let fq = finite_differences(&case.q, step, |q| eval(q, &case.k, &case.v));
    let fk = finite_differences(&case.k, step, |k| eval(&case.q, k, &case.v));
    let fv = finite_differences(&case.v, step, |v| eval(&case.q, &case.k, v));
    assert_close("dv vs finite differences", &dv, &fv, 2e-3);
    assert_close("dq vs finite differences", &dq, &fq, 2e-3);
    assert_close("dk vs finite differences", &dk, &fk, 2e-3);
    assert_close("dv vs finite differences", &dv, &fv, 2e-3);
    assert!(dv.iter().any(|&g| g != 0.0));
}

fn gelu_run(x: &[f32], bias: &[f32], weights: &[f32], rows: usize, fused: bool) -> [Vec<f32>; 3] {
    let width = bias.len();
    let xt = tensor::<AD, 2>(x.to_vec(), [rows, width]).require_grad();
    let bt = tensor::<AD, 1>(bias.to_vec(), [width]).require_grad();
    let y = if fused {
        bias_gelu(xt.clone(), bt.clone())
    } else {
        gelu::reference(xt.clone(), bt.clone())
    };
    let grads = (y.clone() * tensor::<AD, 2>(weights.to_vec(), [rows, width]))
        .sum()
        .backward();
    [
        values(y),
        values(xt.grad(&grads).unwrap()),
        values(bt.grad(&grads).unwrap()),
    ]
}

/// `[y, dx, dw, dbias]` of `x · w (+ bias)` weighted by `weights` and summed.
fn linear_run(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    weights: &[f32],
    (rows, inputs, outputs): (usize, usize, usize),
    fused: bool,
) -> Vec<Vec<f32>> {
    let xt = tensor::<AD, 2>(x.to_vec(), [rows, inputs]).require_grad();
    let wt = tensor::<AD, 2>(w.to_vec(), [inputs, outputs]).require_grad();
    let bt = bias.map(|b| tensor::<AD, 1>(b.to_vec(), [outputs]).require_grad());
    let y = if fused {
        linear(xt.clone(), wt.clone(), bt.clone())
    } else {
        lin::reference(xt.clone(), wt.clone(), bt.clone())
    };
    let grads = (y.clone() * tensor::<AD, 2>(weights.to_vec(), [rows, outputs]))
        .sum()
        .backward();
    let mut out = vec![
        values(y),
        values(xt.grad(&grads).unwrap()),
        values(wt.grad(&grads).unwrap()),
    ];
    if let Some(bt) = bt {
        out.push(values(bt.grad(&grads).unwrap()));
    }
    out
}

#[test]
fn linear_matches_the_reference_forward_and_backward() {
    let mut rng = Rng(17);
    for case in 0..10 {
        let shape @ (rows, inputs, outputs) =
            (1 + rng.below(600), 1 + rng.below(90), 1 + rng.below(200));
        let x = rng.floats(rows * inputs, 2.0);
        let w = rng.floats(inputs * outputs, 0.5);
        let bias = rng.floats(outputs, 1.0);
        let bias = (case % 3 != 0).then_some(&bias[..]);
        let weights = rng.floats(rows * outputs, 1.0);
        let fused = linear_run(&x, &w, bias, &weights, shape, true);
        let reference = linear_run(&x, &w, bias, &weights, shape, false);
        assert_eq!(fused.len(), reference.len());
        for (name, (a, b)) in ["y", "dx", "dw", "dbias"]
            .iter()
            .zip(fused.iter().zip(&reference))
        {
            assert_close(
                &format!("{rows}x{inputs}x{outputs} {name}"),
                a,
                b,
                TOLERANCE,
            );
        }
        let inference = values(linear(
            tensor::<Flex, 2>(x.clone(), [rows, inputs]),
            tensor::<Flex, 2>(w.clone(), [inputs, outputs]),
            bias.map(|b| tensor::<Flex, 1>(b.to_vec(), [outputs])),
        ));
        assert_close("flex inference", &inference, &reference[0], TOLERANCE);
        let ndarray = values(linear(
            tensor::<NdArray, 2>(x, [rows, inputs]),
            tensor::<NdArray, 2>(w, [inputs, outputs]),
            bias.map(|b| tensor::<NdArray, 1>(b.to_vec(), [outputs])),
        ));
        assert_close("ndarray", &ndarray, &reference[0], TOLERANCE);
    }
}

#[test]
fn bias_gelu_matches_the_reference_and_finite_differences() {
    let mut rng = Rng(11);
    for _ in 0..8 {
        let (rows, width) = (1 + rng.below(70), 1 + rng.below(300));
        let x = rng.floats(rows * width, 4.0);
        let bias = rng.floats(width, 1.0);
        let weights = rng.floats(rows * width, 1.0);
        let fused = gelu_run(&x, &bias, &weights, rows, true);
        let reference = gelu_run(&x, &bias, &weights, rows, false);
        for (name, (a, b)) in ["y", "dx", "dbias"]
            .iter()
            .zip(fused.iter().zip(&reference))
        {
            assert_close(&format!("{rows}x{width} {name}"), a, b, TOLERANCE);
        }
        let inference = values(bias_gelu(
            tensor::<Flex, 2>(x.clone(), [rows, width]),
            tensor::<Flex, 1>(bias.clone(), [width]),
        ));
        assert_close("flex inference", &inference, &reference[0], TOLERANCE);
        // A uniquely held input is overwritten in place; one still held elsewhere is not.
        let held = tensor::<Flex, 2>(x.clone(), [rows, width]);
        let shared = values(bias_gelu(
            held.clone(),
            tensor::<Flex, 1>(bias.clone(), [width]),
        ));
        assert_close(
            "flex inference, shared input",
            &shared,
            &reference[0],
            TOLERANCE,
        );
        assert_eq!(values(held), x, "a shared input must be left as it was");
    }
    let (rows, width) = (3, 7);
    let x = rng.floats(rows * width, 3.0);
    let bias = rng.floats(width, 1.0);
    let weights = rng.floats(rows * width, 1.0);
    let [_, dx, dbias] = gelu_run(&x, &bias, &weights, rows, true);
    let eval = |x: &[f32], b: &[f32]| {
        sum_weighted(
            bias_gelu(
                tensor::<AD, 2>(x.to_vec(), [rows, width]),
                tensor::<AD, 1>(b.to_vec(), [width]),
            ),
            &weights,
        )
    };
    assert_close(
        "dx vs finite differences",
        &dx,
        &finite_differences(&x, 1e-2, |x| eval(x, &bias)),
        1e-3,
    );
    assert_close(
        "dbias vs finite differences",
        &dbias,
        &finite_differences(&bias, 1e-2, |b| eval(&x, b)),
        1e-3,
    );
}

/// Output, h, x, γ, β.
type NormTensors = (
    Tensor<AD, 2>,
    Tensor<AD, 2>,
    Tensor<AD, 2>,
    Tensor<AD, 1>,
    Tensor<AD, 1>,
);

struct NormCase {
    rows: usize,
    width: usize,
    h: Vec<f32>,
    x: Vec<f32>,
    gamma: Vec<f32>,
    beta: Vec<f32>,
    weights: Vec<f32>,
}

impl NormCase {
    fn random(rng: &mut Rng, rows: usize, width: usize) -> Self {
        NormCase {
            rows,
            width,
            h: rng.floats(rows * width, 2.0),
            x: rng.floats(rows * width, 1.0),
            gamma: rng.floats(width, 1.5),
            beta: rng.floats(width, 0.5),
            weights: rng.floats(rows * width, 1.0),
        }
    }

    fn forward(
        &self,
        h: &[f32],
        x: &[f32],
        gamma: &[f32],
        beta: &[f32],
        fused: bool,
        dropout: f64,
    ) -> NormTensors {
        let shape = [self.rows, self.width];
        let ht = tensor::<AD, 2>(h.to_vec(), shape).require_grad();
        let xt = tensor::<AD, 2>(x.to_vec(), shape).require_grad();
        let gt = tensor::<AD, 1>(gamma.to_vec(), [self.width]).require_grad();
        let bt = tensor::<AD, 1>(beta.to_vec(), [self.width]).require_grad();
        let norm = Norm {
            gamma: gt.clone(),
            beta: bt.clone(),
            eps: 1e-12,
        };
        let y = if fused {
            residual_layer_norm(ht.clone(), xt.clone(), norm, dropout)
        } else {
            ln::reference(ht.clone(), xt.clone(), norm, dropout)
        };
        (y, ht, xt, gt, bt)
    }

    fn run(&self, fused: bool, dropout: f64) -> [Vec<f32>; 5] {
        let (y, h, x, g, b) =
            self.forward(&self.h, &self.x, &self.gamma, &self.beta, fused, dropout);
        let grads = (y.clone() * tensor::<AD, 2>(self.weights.clone(), [self.rows, self.width]))
            .sum()
            .backward();
        [
            values(y),
            values(h.grad(&grads).unwrap()),
            values(x.grad(&grads).unwrap()),
            values(g.grad(&grads).unwrap()),
            values(b.grad(&grads).unwrap()),
        ]
    }
}

#[test]
fn residual_layer_norm_matches_the_reference() {
    let mut rng = Rng(5);
    for _ in 0..8 {
        let (rows, width) = (1 + rng.below(90), 1 + rng.below(400));
        let case = NormCase::random(&mut rng, rows, width);
        let fused = case.run(true, 0.0);
        let reference = case.run(false, 0.0);
        for (name, (a, b)) in ["y", "dh", "dx", "dgamma", "dbeta"]
            .iter()
            .zip(fused.iter().zip(&reference))
        {
            assert_close(
                &format!("{}x{} {name}", case.rows, case.width),
                a,
                b,
                TOLERANCE,
            );
        }
        // Inference on flex: a uniquely held `h` is overwritten with the output in place; one
        // still held elsewhere is left as it was.
        let shape = [case.rows, case.width];
        let inference = |h: Tensor<Flex, 2>| {
            let norm = Norm {
                gamma: tensor::<Flex, 1>(case.gamma.clone(), [case.width]),
                beta: tensor::<Flex, 1>(case.beta.clone(), [case.width]),
                eps: 1e-12,
            };
            let x = tensor::<Flex, 2>(case.x.clone(), shape);
            values(residual_layer_norm(h, x, norm, 0.1))
        };
        let unique = inference(tensor::<Flex, 2>(case.h.clone(), shape));
        assert_close("flex inference", &unique, &reference[0], TOLERANCE);
        let held = tensor::<Flex, 2>(case.h.clone(), shape);
        let shared = inference(held.clone());
        assert_close(
            "flex inference, shared h",
            &shared,
            &reference[0],
            TOLERANCE,
        );
        assert_eq!(values(held), case.h, "a shared h must be left as it was");
    }
}

#[test]
fn residual_layer_norm_gradients_with_dropout_match_finite_differences() {
    let _turn = seeded();
    let mut rng = Rng(9);
    let case = NormCase::random(&mut rng, 3, 6);
    let device = Default::default();
    AD::seed(&device, 4);
    let [_, dh, dx, dg, db] = case.run(true, 0.25);
    assert!(dh.contains(&0.0), "some inputs are dropped");
    let eval = |h: &[f32], x: &[f32], g: &[f32], b: &[f32]| {
        AD::seed(&device, 4);
        sum_weighted(case.forward(h, x, g, b, true, 0.25).0, &case.weights)
    };
    let step = 1e-2;
    assert_close(
        "dh",
        &dh,
        &finite_differences(&case.h, step, |h| eval(h, &case.x, &case.gamma, &case.beta)),
        2e-3,
    );
    assert_close(
        "dx",
        &dx,
        &finite_differences(&case.x, step, |x| eval(&case.h, x, &case.gamma, &case.beta)),
        2e-3,
    );
    assert_close(
        "dgamma",
        &dg,
        &finite_differences(&case.gamma, step, |g| eval(&case.h, &case.x, g, &case.beta)),
        2e-3,
    );
    assert_close(
        "dbeta",
        &db,
        &finite_differences(&case.beta, step, |b| eval(&case.h, &case.x, &case.gamma, b)),
        2e-3,
    );
}

#[test]
fn dropout_follows_the_backend_seed() {
    let _turn = seeded();
    let device = Default::default();
    let run = |seed: u64| {
        AD::seed(&device, seed);
        let h = Tensor::<AD, 2>::random([4, 64], Distribution::Default, &device);
        let x = Tensor::<AD, 2>::zeros([4, 64], &device);
        let norm = Norm {
            gamma: Tensor::ones([64], &device),
            beta: Tensor::zeros([64], &device),
            eps: 1e-5,
        };
        values(residual_layer_norm(h, x, norm, 0.5))
    };
    assert_eq!(run(1), run(1), "same seed, same mask");
    assert_ne!(run(1), run(2), "another seed, another mask");
}

/// `[param, moment_1, moment_2]` after `steps` AdamW updates of a `[rows, cols]` parameter.
fn adamw_run<B: Backend>(
    optimizer: &impl burn::optim::SimpleOptimizer<B, State<2> = burn::optim::AdamWState<B, 2>>,
    (rows, cols): (usize, usize),
    steps: usize,
) -> ([Vec<f32>; 3], usize) {
    let mut rng = Rng(23);
    let mut param = tensor::<B, 2>(rng.floats(rows * cols, 1.0), [rows, cols]);
    let mut state = None;
    for step in 0..steps {
        let grad = tensor::<B, 2>(
            rng.floats(rows * cols, 0.1 * (step + 1) as f32),
            [rows, cols],
        );
        let lr = 1e-3 * (step + 1) as f64;
        let (p, s) = optimizer.step(lr, param, grad, state);
        (param, state) = (p, s);
    }
    let momentum = state.expect("a state after a step").momentum;
    let time = momentum.time;
    (
        [
            values(param),
            values(momentum.moment_1),
            values(momentum.moment_2),
        ],
        time,
    )
}

#[test]
fn adamw_matches_burns_adamw_over_several_steps() {
    let fused = hbt_kernels::AdamW {
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-8,
        weight_decay: 0.01,
    };
    let reference = burn::optim::AdamWConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.999)
        .with_epsilon(1e-8)
        .with_weight_decay(0.01)
        .build();
    for shape in [(1, 1), (7, 13), (300, 301)] {
        let (ours, our_time) = adamw_run::<Flex>(&fused, shape, 5);
        let (theirs, their_time) = adamw_run::<Flex>(&reference, shape, 5);
        assert_eq!(our_time, their_time);
        assert_eq!(our_time, 5);
        for (name, (a, b)) in ["param", "moment 1", "moment 2"]
            .iter()
            .zip(ours.iter().zip(&theirs))
        {
            assert_close(&format!("{shape:?} {name}"), a, b, 1e-6);
        }
        let (ndarray, _) = adamw_run::<NdArray>(&fused, shape, 5);
        assert_close("ndarray (reference route)", &ndarray[0], &theirs[0], 1e-6);
    }
}

#[test]
fn embedding_gradient_matches_the_reference_with_repeated_and_unused_ids() {
    let mut rng = Rng(29);
    for (vocab, hidden, batch, seq) in [(1, 1, 1, 1), (50, 7, 3, 11), (1000, 33, 4, 64)] {
        let table = rng.floats(vocab * hidden, 1.0);
        // Repeated ids (a small range for half the rows) and many ids never looked up.
        let ids: Vec<i64> = (0..batch * seq)
            .map(|i| {
                (if i % 2 == 0 {
                    rng.below(3.min(vocab))
                } else {
                    rng.below(vocab)
                }) as i64
            })
            .collect();
        let weights = rng.floats(batch * seq * hidden, 1.0);
        let run = |fused: bool| {
            let w = tensor::<AD, 2>(table.clone(), [vocab, hidden]).require_grad();
            let id_tensor = Tensor::<AD, 2, burn::tensor::Int>::from_data(
                TensorData::new(ids.clone(), [batch, seq]),
                &Default::default(),
            );
            let y = if fused {
                embedding(w.clone(), id_tensor)
            } else {
                emb::reference(w.clone(), id_tensor)
            };
            let grads = (y.clone() * tensor::<AD, 3>(weights.clone(), [batch, seq, hidden]))
                .sum()
                .backward();
            [values(y), values(w.grad(&grads).unwrap())]
        };
        let (fused, reference) = (run(true), run(false));
        assert_close("lookup", &fused[0], &reference[0], 0.0);
        assert_close("table gradient", &fused[1], &reference[1], TOLERANCE);
    }
}

#[test]
fn squared_sum_matches_square_then_sum() {
    let mut rng = Rng(31);
    for len in [1, 1000, 300_001] {
        let x = rng.floats(len, 3.0);
        let want: f64 = x.iter().map(|&v| (v as f64) * (v as f64)).sum();
        let flex = squared_sum(tensor::<Flex, 1>(x.clone(), [len]));
        let ndarray = squared_sum(tensor::<NdArray, 1>(x.clone(), [len]));
        for (name, got) in [("flex", flex), ("ndarray", ndarray)] {
            assert!(
                (got - want).abs() <= 1e-5 * want,
                "{name} {len}: {got} vs {want}"
            );
        }
    }
}
