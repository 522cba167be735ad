//! Export of an [`Encoder`] as a Hugging Face model folder (`config.json`,
//! `model.safetensors`, optionally a copied `tokenizer.json`) that
//! `transformers.AutoModel.from_pretrained` loads without missing or unexpected weights.

use std::collections::HashMap;
use std::path::Path;

use burn::tensor::backend::Backend;
use safetensors::tensor::TensorView;
use safetensors::Dtype;

use crate::encoder::Encoder;
use crate::error::ModelError;
use crate::weights::WeightMap;

/// Writes `encoder` into `dir` (created if needed) as `config.json` and
/// `model.safetensors` (F32, keys without prefix, as `save_pretrained` writes them), and
/// copies `tokenizer_json` to `dir/tokenizer.json` when given.
pub fn save_hf_dir<B: Backend>(
    encoder: &Encoder<B>,
    dir: &Path,
    tokenizer_json: Option<&Path>,
) -> Result<(), ModelError> {
    std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
    let config_path = dir.join("config.json");
    let config =
        serde_json::to_string_pretty(&encoder.config().to_hf_config_value()).map_err(|e| {
            ModelError::Json {
                path: config_path.clone(),
                message: e.to_string(),
            }
        })?;
    std::fs::write(&config_path, config + "\n").map_err(|e| ModelError::io(&config_path, e))?;
    write_safetensors(&encoder.to_weights()?, &dir.join("model.safetensors"))?;
    if let Some(source) = tokenizer_json {
        let target = dir.join("tokenizer.json");
        // Read and written rather than copied: a copy would keep a read-only source's mode.
        let bytes = std::fs::read(source).map_err(|e| ModelError::io(source, e))?;
        std::fs::write(&target, bytes).map_err(|e| ModelError::io(&target, e))?;
    }
    Ok(())
}

/// Writes `weights` as an F32 safetensors file with the `{"format": "pt"}` metadata.
pub fn write_safetensors(weights: &WeightMap, path: &Path) -> Result<(), ModelError> {
    let fail = |message: String| ModelError::Safetensors {
        path: path.to_path_buf(),
        message,
    };
    let bytes: Vec<(&String, Vec<u8>, &Vec<usize>)> = weights
        .iter()
        .map(|(name, t)| {
            (
                name,
                t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                &t.shape,
            )
        })
        .collect();
    let views = bytes
        .iter()
        .map(|(name, data, shape)| {
            TensorView::new(Dtype::F32, shape.to_vec(), data)
                .map(|view| (name.as_str(), view))
                .map_err(|e| fail(format!("{name}: {e:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::serialize_to_file(views, Some(metadata), path).map_err(|e| fail(format!("{e:?}")))
}
