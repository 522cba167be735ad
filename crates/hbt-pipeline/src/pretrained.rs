//! Pretrained encoders as the user names them (`model.pretrained`, `hbt eval --checkpoint`,
//! `hbt encode --model`): a Hugging Face folder, a hub id `ORG/NAME[@REVISION]` (downloaded
//! once into the Hugging Face cache by [`hbt_hub`]) or `q4:FILE` (4-bit `E5S1` weights),
//! resolved to local files, then loaded into the burn encoder with its tokenizer and the
//! embedding settings (pooling, normalisation, query/passage prefixes).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use burn::tensor::backend::Backend;
use hbt_data::fetch::FetchEvent;
use hbt_data::tokenize::TextTokenizer;
use hbt_hub::{DownloadEvent, ModelSource, ModelWeights, ResolvedModel};
use hbt_model::backend::FlexBackend;
use hbt_model::{load_hf_dir, load_q4, save_hf_dir, Encoder, EncoderConfig, SavedEmbedding};
use hbt_schema::{ModelKind, PoolingMode, TextPrefixes};

use crate::locations::Locations;
use crate::progress::Progress;

/// How a loaded encoder embeds text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingSettings {
    /// Sentence pooling.
    pub pooling: PoolingMode,
    /// L2 normalisation of embeddings.
    pub normalize: bool,
    /// Query and passage prefixes.
    pub prefixes: TextPrefixes,
}

/// Settings given explicitly (flags); `None`: take what the model folder records, else the
/// default (mean pooling, normalised, no prefixes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingOverrides {
    /// `--pooling`.
    pub pooling: Option<PoolingMode>,
    /// `--normalize`.
    pub normalize: Option<bool>,
    /// `--query-prefix`.
    pub query_prefix: Option<String>,
    /// `--passage-prefix`.
    pub passage_prefix: Option<String>,
}

impl SettingOverrides {
    /// The settings: each flag given, else the recorded value, else the default.
    pub fn apply(&self, saved: &SavedEmbedding) -> EmbeddingSettings {
        EmbeddingSettings {
            pooling: self.pooling.or(saved.pooling).unwrap_or(PoolingMode::Mean),
            normalize: self.normalize.or(saved.normalize).unwrap_or(true),
            prefixes: TextPrefixes {
                query: self
                    .query_prefix
                    .clone()
                    .or_else(|| saved.query_prefix.clone())
                    .unwrap_or_default(),
                passage: self
                    .passage_prefix
                    .clone()
                    .or_else(|| saved.passage_prefix.clone())
                    .unwrap_or_default(),
            },
        }
    }
}

/// Resolves `text` to local files, downloading a hub model into the cache when needed (not
/// when offline: then a missing model is an error naming the id and the cache folder).
pub fn resolve(
    text: &str,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<ResolvedModel> {
    let source = ModelSource::parse(text)?;
    let label = source.to_string();
    let mut report = |event: DownloadEvent| match event {
        DownloadEvent::Started { file, total_bytes } => progress.fetch(
            &label,
            &FetchEvent::FileStarted {
                name: file,
                total_bytes: Some(total_bytes),
            },
        ),
        DownloadEvent::Bytes { file, read } => {
            progress.fetch(&label, &FetchEvent::Bytes { name: file, read })
        }
        DownloadEvent::Done { file } => {
            progress.fetch(&label, &FetchEvent::FileDone { name: file })
        }
        DownloadEvent::Cached { file } => {
            progress.line("model", &format!("{label}/{file}: cached"))
        }
    };
    Ok(hbt_hub::resolve(&source, &locations.hub, &mut report)?)
}

/// The embedding settings the model's folder records (hbt's `hbt_*` keys in `config.json`);
/// none for a 4-bit file.
pub fn saved_settings(model: &ResolvedModel) -> Result<SavedEmbedding> {
    match &model.weights {
        ModelWeights::HfFolder(dir) => Ok(EncoderConfig::saved_embedding_settings(
            &dir.join("config.json"),
        )?),
        ModelWeights::Q4(_) => Ok(SavedEmbedding::default()),
    }
}

/// Loads the encoder of `model` with `settings`.
pub fn load_encoder<B: Backend>(
    model: &ResolvedModel,
    settings: &EmbeddingSettings,
    device: &B::Device,
) -> Result<Encoder<B>> {
    let mut encoder = match &model.weights {
        ModelWeights::HfFolder(dir) => {
            load_hf_dir(dir, settings.pooling, settings.normalize, device)?
        }
        ModelWeights::Q4(file) => load_q4(file, settings.pooling, settings.normalize, device)?,
    };
    encoder.config.prefixes = settings.prefixes.clone();
    Ok(encoder)
}

/// An encoder ready to embed: the network, its tokenizer, and what `metrics.json` calls it.
pub struct LoadedModel<B: Backend> {
    /// The encoder with its embedding settings.
    pub encoder: Encoder<B>,
    /// Its tokenizer, with the encoder's prefixes.
    pub tokenizer: TextTokenizer,
    /// `trained` for a model hbt saved (its `config.json` records hbt's settings), else
    /// `pretrained`.
    pub kind: ModelKind,
}

/// Resolves and loads the model `text` names (`hbt eval --checkpoint`, `hbt encode
/// --model`): the settings of `overrides` win over those the model records; inputs are cut
/// at `max_len` tokens (`--max-len`; default: the model's positions, at most 512).
pub fn load<B: Backend>(
    text: &str,
    overrides: &SettingOverrides,
    max_len: Option<usize>,
    locations: &Locations,
    device: &B::Device,
    progress: &dyn Progress,
) -> Result<LoadedModel<B>> {
    let resolved = resolve(text, locations, progress)?;
    let saved = saved_settings(&resolved)?;
    let kind = if saved.pooling.is_some() {
        ModelKind::Trained
    } else {
        ModelKind::Pretrained
    };
    let encoder = load_encoder::<B>(&resolved, &overrides.apply(&saved), device)?;
    let limit = encoder.config().max_sequence_length();
    let max_len = max_len.unwrap_or_else(|| limit.min(512));
    if max_len > limit {
        bail!("--max-len {max_len} exceeds the {limit} positions of {text}");
    }
    let tokenizer = TextTokenizer::load(&resolved.tokenizer, max_len)?
        .with_prefixes(encoder.config().prefixes.clone());
    Ok(LoadedModel {
        encoder,
        tokenizer,
        kind,
    })
}

/// Writes the model `text` names as a Hugging Face folder `out` (`config.json` with the
/// embedding settings, `model.safetensors` in f32, `tokenizer.json`) that
/// `transformers.AutoModel` loads: written into a hidden staging folder beside `out` and
/// renamed when complete. `out` must not exist or be empty. A 4-bit file's weights are
/// written dequantized; it has no pooler, so the folder holds the seeded one hbt adds.
pub fn convert(
    text: &str,
    overrides: &SettingOverrides,
    out: &Path,
    locations: &Locations,
    progress: &dyn Progress,
) -> Result<()> {
    let occupied =
        out.is_file() || std::fs::read_dir(out).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        bail!("{}: exists and is not an empty folder", out.display());
    }
    let resolved = resolve(text, locations, progress)?;
    let settings = overrides.apply(&saved_settings(&resolved)?);
    let device = Default::default();
    let encoder = load_encoder::<FlexBackend>(&resolved, &settings, &device)?;
    let name = out
        .file_name()
        .with_context(|| format!("{}: not a folder name", out.display()))?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    crate::folders::create_folder(&parent)?;
    let staging = parent.join(format!(".{}.partial", name.to_string_lossy()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("{}: cannot remove", staging.display()))?;
    }
    let written = save_hf_dir(&encoder, &staging, Some(&resolved.tokenizer));
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e.into());
    }
    if out.exists() {
        std::fs::remove_dir(out).with_context(|| format!("{}: cannot replace", out.display()))?;
    }
    std::fs::rename(&staging, out)
        .with_context(|| format!("{}: cannot rename {}", out.display(), staging.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_recorded_settings_which_beat_defaults() {
        let recorded = SavedEmbedding {
            pooling: Some(PoolingMode::Cls),
            normalize: Some(false),
            query_prefix: Some("query: ".into()),
            passage_prefix: None,
        };
        let none = SettingOverrides::default();
        assert_eq!(
            none.apply(&recorded),
            EmbeddingSettings {
                pooling: PoolingMode::Cls,
                normalize: false,
                prefixes: TextPrefixes {
                    query: "query: ".into(),
                    passage: String::new(),
                },
            }
        );
        let flags = SettingOverrides {
            pooling: Some(PoolingMode::Mean),
            query_prefix: Some(String::new()),
            ..SettingOverrides::default()
        };
        let applied = flags.apply(&recorded);
        assert_eq!(applied.pooling, PoolingMode::Mean);
        assert_eq!(
            applied.prefixes.query, "",
            "an empty flag removes a recorded prefix"
        );
        let defaults = none.apply(&SavedEmbedding::default());
        assert_eq!(
            (defaults.pooling, defaults.normalize),
            (PoolingMode::Mean, true)
        );
        assert!(defaults.prefixes.is_empty());
    }
}
