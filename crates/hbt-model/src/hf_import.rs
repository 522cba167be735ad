//! Import of Hugging Face `BertModel` / `XLMRobertaModel` checkpoints (`config.json` +
//! `model.safetensors`) into an [`Encoder`]. Keys may carry the `bert.` / `roberta.` prefix
//! of task-model checkpoints, LayerNorm tensors may be named `gamma` / `beta`, and tensors
//! may be stored as F32, F16, BF16 or F64. Task-head tensors (`cls.*`, `lm_head.*`, ...) are
//! ignored; a checkpoint that does not fit gives one error listing every problem.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use burn::tensor::backend::Backend;
use safetensors::{Dtype, SafeTensors};

use crate::config::{EncoderConfig, PoolingMode};
use crate::encoder::Encoder;
use crate::error::ModelError;
use crate::weights::{param_specs, seeded_pooler, HostTensor, WeightMap};

/// Loads `dir/config.json` and `dir/model.safetensors` (a Hugging Face model folder).
pub fn load_hf_dir<B: Backend>(
    dir: &Path,
    pooling: PoolingMode,
    normalize: bool,
    device: &B::Device,
) -> Result<Encoder<B>, ModelError> {
    let config = EncoderConfig::from_hf_config_file(&dir.join("config.json"), pooling, normalize)?;
    load_hf_safetensors(&config, &dir.join("model.safetensors"), device)
}

/// Loads the safetensors checkpoint at `path` into an encoder with `config`.
pub fn load_hf_safetensors<B: Backend>(
    config: &EncoderConfig,
    path: &Path,
    device: &B::Device,
) -> Result<Encoder<B>, ModelError> {
    config.validate(&path.display().to_string())?;
    let weights = read_hf_weights(config, path)?;
    Encoder::from_weights(config, weights, device)
}

/// Reads and checks the tensors of the checkpoint at `path` against `config`; the result
/// holds exactly the parameters of [`param_specs`] in Hugging Face layout.
pub fn read_hf_weights(config: &EncoderConfig, path: &Path) -> Result<WeightMap, ModelError> {
    let bytes = std::fs::read(path).map_err(|e| ModelError::io(path, e))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| ModelError::Safetensors {
        path: path.to_path_buf(),
        message: format!("{e:?}"),
    })?;
    let mut stored: BTreeMap<String, (String, safetensors::tensor::TensorView<'_>)> =
        BTreeMap::new();
    let mut duplicated = Vec::new();
    for (name, view) in file.tensors() {
        let canonical = canonical_name(&name);
        if let Some((first, _)) = stored.get(&canonical) {
            duplicated.push(format!("{first} and {name}"));
            continue;
        }
        stored.insert(canonical, (name, view));
    }

    let specs = param_specs(config);
    let expected: BTreeSet<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    let pooler_missing = specs
        .iter()
        .filter(|s| s.name.starts_with("pooler."))
        .all(|s| !stored.contains_key(&s.name));
    let mut seeded_pooler = if pooler_missing && config.pooling != PoolingMode::Pooler {
        seeded_pooler(config)
    } else {
        WeightMap::new()
    };

    let mut problems = Problems {
        duplicated,
        ..Problems::default()
    };
    let mut weights = WeightMap::new();
    for spec in &specs {
        let Some((stored_name, view)) = stored.get(&spec.name) else {
            if let Some(tensor) = seeded_pooler.remove(&spec.name) {
                weights.insert(spec.name.clone(), tensor);
            } else {
                problems.missing.push(spec.name.clone());
            }
            continue;
        };
        if view.shape() != spec.shape.as_slice() {
            problems.misshaped.push(format!(
                "{stored_name}: expected {:?}, found {:?}",
                spec.shape,
                view.shape()
            ));
            continue;
        }
        match to_f32(view.dtype(), view.data()) {
            Some(data) => {
                weights.insert(
                    spec.name.clone(),
                    HostTensor {
                        shape: spec.shape.clone(),
                        data,
                    },
                );
            }
            None => problems
                .dtype
                .push(format!("{stored_name}: {:?}", view.dtype())),
        }
    }
    for (canonical, (name, _)) in &stored {
        let in_model = ["embeddings.", "encoder.", "pooler."]
            .iter()
            .any(|p| canonical.starts_with(p));
        let buffer = matches!(
            canonical.as_str(),
            "embeddings.position_ids" | "embeddings.token_type_ids"
        );
        if in_model && !buffer && !expected.contains(canonical.as_str()) {
            problems.unexpected.push(name.clone());
        }
    }
    if problems.is_empty() {
        Ok(weights)
    } else {
        Err(ModelError::CheckpointMismatch {
            path: path.to_path_buf(),
            details: problems.line(),
        })
    }
}

/// The name without `bert.` / `roberta.` prefix and with LayerNorm `gamma`/`beta` renamed
/// to `weight`/`bias`.
pub fn canonical_name(name: &str) -> String {
    let bare = name
        .strip_prefix("bert.")
        .or_else(|| name.strip_prefix("roberta."))
        .unwrap_or(name);
    if let Some(stem) = bare.strip_suffix("LayerNorm.gamma") {
        format!("{stem}LayerNorm.weight")
    } else if let Some(stem) = bare.strip_suffix("LayerNorm.beta") {
        format!("{stem}LayerNorm.bias")
    } else {
        bare.to_string()
    }
}

/// Little-endian tensor bytes as f32 values; `None` for an unsupported dtype.
fn to_f32(dtype: Dtype, bytes: &[u8]) -> Option<Vec<f32>> {
    let values = match dtype {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F64 => bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as f32)
            .collect(),
        Dtype::F16 => bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        Dtype::BF16 => bytes
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        _ => return None,
    };
    Some(values)
}

/// Everything wrong with a checkpoint, gathered before failing.
#[derive(Debug, Default)]
struct Problems {
    missing: Vec<String>,
    unexpected: Vec<String>,
    misshaped: Vec<String>,
    dtype: Vec<String>,
    duplicated: Vec<String>,
}

impl Problems {
    fn is_empty(&self) -> bool {
        self.missing.is_empty()
            && self.unexpected.is_empty()
            && self.misshaped.is_empty()
            && self.dtype.is_empty()
            && self.duplicated.is_empty()
    }

    /// One line: `missing 2 [a, b]; unexpected 1 [c]; mis-shaped 1 [d: expected .., found ..]`.
    fn line(&self) -> String {
        const SHOWN: usize = 12;
        let groups = [
            ("missing", &self.missing),
            ("unexpected", &self.unexpected),
            ("mis-shaped", &self.misshaped),
            ("unsupported dtype", &self.dtype),
            ("duplicated", &self.duplicated),
        ];
        groups
            .iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(label, items)| {
                let mut shown = items
                    .iter()
                    .take(SHOWN)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                if items.len() > SHOWN {
                    shown.push_str(&format!(", ... {} more", items.len() - SHOWN));
                }
                format!("{label} {} [{shown}]", items.len())
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_canonicalised() {
        assert_eq!(
            canonical_name("bert.encoder.layer.0.output.LayerNorm.gamma"),
            "encoder.layer.0.output.LayerNorm.weight"
        );
        assert_eq!(
            canonical_name("roberta.embeddings.LayerNorm.beta"),
            "embeddings.LayerNorm.bias"
        );
        assert_eq!(canonical_name("pooler.dense.weight"), "pooler.dense.weight");
    }

    #[test]
    fn half_precision_converts() {
        let one = half::f16::from_f32(1.5).to_le_bytes();
        assert_eq!(to_f32(Dtype::F16, &one), Some(vec![1.5]));
        let bf = half::bf16::from_f32(-2.0).to_le_bytes();
        assert_eq!(to_f32(Dtype::BF16, &bf), Some(vec![-2.0]));
        assert_eq!(to_f32(Dtype::I64, &[0; 8]), None);
    }
}
