//! Host-side weights in Hugging Face layout: the list of parameters an encoder has, their
//! names and shapes, and the seeded from-scratch initialisation.
//!
//! Every path in and out of the burn module (initialisation, import, export) goes through a
//! [`WeightMap`], so names and shapes are defined once, here.

use std::collections::BTreeMap;

use crate::config::{EncoderConfig, ModelFamily};

/// A tensor on the host in row-major order, in Hugging Face layout (Linear weights are
/// `[out, in]`).
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    /// The shape.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<f32>,
}

impl HostTensor {
    /// A tensor of the given shape filled with `value`.
    pub fn filled(shape: &[usize], value: f32) -> Self {
        HostTensor {
            shape: shape.to_vec(),
            data: vec![value; shape.iter().product()],
        }
    }

    /// The transpose of a 2-D tensor; any other tensor (or one whose data does not fill its
    /// shape) is returned unchanged.
    pub fn transposed(&self) -> HostTensor {
        if self.shape.len() != 2 || self.shape[0] * self.shape[1] != self.data.len() {
            return self.clone();
        }
        let (rows, cols) = (self.shape[0], self.shape[1]);
        let mut data = vec![0.0; self.data.len()];
        for r in 0..rows {
            for c in 0..cols {
                data[c * rows + r] = self.data[r * cols + c];
            }
        }
        HostTensor {
            shape: vec![cols, rows],
            data,
        }
    }
}

/// Named host tensors, keyed by Hugging Face names without the `bert.` / `roberta.` prefix.
pub type WeightMap = BTreeMap<String, HostTensor>;

/// What a parameter is, which fixes its initialisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// An embedding table; the given row (the padding index) starts at zero.
    Embedding {
        /// Row zeroed at initialisation, as `nn.Embedding(padding_idx=...)` does.
        padding_row: Option<usize>,
    },
    /// A Linear weight, `[out, in]`.
    LinearWeight,
    /// A Linear bias.
    LinearBias,
    /// A LayerNorm scale.
    NormWeight,
    /// A LayerNorm shift.
    NormBias,
}

/// One parameter: Hugging Face name (no prefix), shape in Hugging Face layout, kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSpec {
    /// Name, e.g. `encoder.layer.0.attention.self.query.weight`.
    pub name: String,
    /// Shape in Hugging Face layout.
    pub shape: Vec<usize>,
    /// Kind.
    pub kind: ParamKind,
}

/// Checks that `weights` holds every parameter of [`param_specs`] with the right shape and a
/// matching number of values; returns the problems as one line, or `None` when it fits.
/// Extra entries are ignored.
pub fn check_weights(config: &EncoderConfig, weights: &WeightMap) -> Option<String> {
    let mut problems = Vec::new();
    for spec in param_specs(config) {
        match weights.get(&spec.name) {
            None => problems.push(format!("missing {}", spec.name)),
            Some(t) if t.shape != spec.shape => problems.push(format!(
                "{}: expected shape {:?}, found {:?}",
                spec.name, spec.shape, t.shape
            )),
            Some(t) if t.data.len() != spec.shape.iter().product::<usize>() => {
                problems.push(format!(
                    "{}: {} values do not fill shape {:?}",
                    spec.name,
                    t.data.len(),
                    t.shape
                ))
            }
            Some(_) => {}
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Every parameter of an encoder with `config`, in a fixed order.
pub fn param_specs(config: &EncoderConfig) -> Vec<ParamSpec> {
    let (h, i) = (config.hidden_size, config.intermediate_size);
    let pad = Some(config.pad_token_id as usize);
    let position_pad = match config.family {
        ModelFamily::Bert => None,
        ModelFamily::XlmRoberta => pad,
    };
    let mut specs = SpecList::default();
    let embedding = |padding_row| ParamKind::Embedding { padding_row };
    specs.push(
        "embeddings.word_embeddings.weight",
        vec![config.vocab_size, h],
        embedding(pad),
    );
    specs.push(
        "embeddings.position_embeddings.weight",
        vec![config.max_position_embeddings, h],
        embedding(position_pad),
    );
    specs.push(
        "embeddings.token_type_embeddings.weight",
        vec![config.type_vocab_size, h],
        embedding(None),
    );
    specs.layer_norm("embeddings", h);
    for layer in 0..config.num_hidden_layers {
        let p = format!("encoder.layer.{layer}");
        for part in ["query", "key", "value"] {
            specs.linear(&format!("{p}.attention.self.{part}"), h, h);
        }
        specs.linear(&format!("{p}.attention.output.dense"), h, h);
        specs.layer_norm(&format!("{p}.attention.output"), h);
        specs.linear(&format!("{p}.intermediate.dense"), i, h);
        specs.linear(&format!("{p}.output.dense"), h, i);
        specs.layer_norm(&format!("{p}.output"), h);
    }
    specs.linear("pooler.dense", h, h);
    specs.0
}

/// Helper collecting [`ParamSpec`]s.
#[derive(Default)]
struct SpecList(Vec<ParamSpec>);

impl SpecList {
    fn push(&mut self, name: &str, shape: Vec<usize>, kind: ParamKind) {
        self.0.push(ParamSpec {
            name: name.to_string(),
            shape,
            kind,
        });
    }

    fn linear(&mut self, prefix: &str, out: usize, inp: usize) {
        self.push(
            &format!("{prefix}.weight"),
            vec![out, inp],
            ParamKind::LinearWeight,
        );
        self.push(&format!("{prefix}.bias"), vec![out], ParamKind::LinearBias);
    }

    fn layer_norm(&mut self, prefix: &str, width: usize) {
        self.push(
            &format!("{prefix}.LayerNorm.weight"),
            vec![width],
            ParamKind::NormWeight,
        );
        self.push(
            &format!("{prefix}.LayerNorm.bias"),
            vec![width],
            ParamKind::NormBias,
        );
    }
}

/// A small, portable, seeded generator (SplitMix64 with Box–Muller normals), so that
/// from-scratch initialisation gives the same weights on every backend and platform.
#[derive(Debug, Clone)]
pub struct InitRng {
    state: u64,
    spare: Option<f64>,
}

impl InitRng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        InitRng {
            state: seed ^ 0x5DEE_CE66_D1CE_4E5B,
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform sample in the open interval (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A standard normal sample.
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let (u1, u2) = (self.uniform(), self.uniform());
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

/// The initial value of one parameter, as Hugging Face `_init_weights` does: normal with
/// std `initializer_range` for weights and embeddings (padding row zero), zero biases,
/// LayerNorm scale one.
pub fn init_param(spec: &ParamSpec, std: f64, rng: &mut InitRng) -> HostTensor {
    match spec.kind {
        ParamKind::Embedding { .. } | ParamKind::LinearWeight => {
            let n: usize = spec.shape.iter().product();
            let data = (0..n).map(|_| (rng.normal() * std) as f32).collect();
            let mut tensor = HostTensor {
                shape: spec.shape.clone(),
                data,
            };
            if let ParamKind::Embedding {
                padding_row: Some(row),
            } = spec.kind
            {
                let width = spec.shape[1];
                if row < spec.shape[0] {
                    tensor.data[row * width..(row + 1) * width].fill(0.0);
                }
            }
            tensor
        }
        ParamKind::LinearBias | ParamKind::NormBias => HostTensor::filled(&spec.shape, 0.0),
        ParamKind::NormWeight => HostTensor::filled(&spec.shape, 1.0),
    }
}

/// The seed of the from-scratch pooler used when a checkpoint has none (as `transformers`
/// does, e.g. for `xlm-roberta-base` or a 4-bit file) and the pooling is not `pooler`.
pub const MISSING_POOLER_SEED: u64 = 0;

/// The `pooler.*` parameters drawn from [`MISSING_POOLER_SEED`], for checkpoints without one.
pub fn seeded_pooler(config: &EncoderConfig) -> WeightMap {
    let mut rng = InitRng::new(MISSING_POOLER_SEED);
    param_specs(config)
        .into_iter()
        .filter(|spec| spec.name.starts_with("pooler."))
        .map(|spec| {
            let tensor = init_param(&spec, config.initializer_range, &mut rng);
            (spec.name, tensor)
        })
        .collect()
}

/// Seeded from-scratch weights for `config`; the same seed gives the same weights.
pub fn init_weights(config: &EncoderConfig, seed: u64) -> WeightMap {
    let mut rng = InitRng::new(seed);
    param_specs(config)
        .into_iter()
        .map(|spec| {
            let tensor = init_param(&spec, config.initializer_range, &mut rng);
            (spec.name, tensor)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normals_have_the_right_moments() {
        let mut rng = InitRng::new(7);
        let xs: Vec<f64> = (0..20_000).map(|_| rng.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(
            mean.abs() < 0.03 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }

    #[test]
    fn init_is_deterministic_and_zeroes_padding() {
        let config = EncoderConfig::new(ModelFamily::XlmRoberta, 50, 8, 1, 2, 16, 10);
        let a = init_weights(&config, 3);
        assert_eq!(a, init_weights(&config, 3));
        assert_ne!(a, init_weights(&config, 4));
        let words = &a["embeddings.word_embeddings.weight"];
        assert!(words.data[8..16].iter().all(|&v| v == 0.0));
        assert_eq!(a.len(), param_specs(&config).len());
    }

    #[test]
    fn transpose_swaps_axes() {
        let t = HostTensor {
            shape: vec![2, 3],
            data: vec![1., 2., 3., 4., 5., 6.],
        };
        assert_eq!(t.transposed().data, vec![1., 4., 2., 5., 3., 6.]);
    }
}
