//! Tokenizers: train a byte-level BPE tokenizer from training text, or load a Hugging Face
//! `tokenizer.json`; encode batches truncated to `max_len` and padded to their longest member.
//!
//! Byte-level BPE starts from all 256 byte symbols, so text in a script never seen in
//! training still encodes to (byte) tokens instead of collapsing to one unknown token.

use std::path::Path;

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::processors::roberta::RobertaProcessing;
use tokenizers::{
    AddedToken, DecoderWrapper, NormalizerWrapper, PostProcessorWrapper, PreTokenizerWrapper,
    Tokenizer, TokenizerBuilder, TruncationParams,
};

use hbt_schema::{TextPrefixes, TextRole};

use crate::error::{DataError, Result};

/// Special tokens of trained tokenizers, in id order (the XLM-R / RoBERTa convention).
pub const SPECIAL_TOKENS: [&str; 5] = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"];

/// Pad-token names tried, in order, when loading a tokenizer that declares no padding.
const PAD_NAMES: [&str; 3] = ["<pad>", "[PAD]", "<PAD>"];

/// A batch of token ids, row-major `batch × len`, padded to the longest member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBatch {
    /// Token ids, `batch * len` values.
    pub ids: Vec<u32>,
    /// 1 for real tokens, 0 for padding, same layout as `ids`.
    pub attention_mask: Vec<u32>,
    /// Number of sequences.
    pub batch: usize,
    /// Length of every (padded) sequence.
    pub len: usize,
}

/// A tokenizer with its truncation length, pad id and the prefixes put before queries and
/// passages ([`TextTokenizer::encode_as`]).
#[derive(Clone)]
pub struct TextTokenizer {
    inner: Tokenizer,
    pad_id: u32,
    max_len: usize,
    prefixes: TextPrefixes,
}

impl TextTokenizer {
    /// Trains a byte-level BPE tokenizer of (at most) `vocab_size` tokens on `texts`.
    pub fn train<I, S>(texts: I, vocab_size: usize, max_len: usize) -> Result<TextTokenizer>
    where
        I: Iterator<Item = S> + Send,
        S: AsRef<str> + Send,
    {
        let minimum = 256 + SPECIAL_TOKENS.len();
        if vocab_size < minimum {
            return Err(DataError::Invalid(format!(
                "vocab_size {vocab_size} is below the byte alphabet plus special tokens ({minimum})"
            )));
        }
        let mut trainer = BpeTrainerBuilder::new()
            .vocab_size(vocab_size)
            .min_frequency(2)
            .show_progress(false)
            .special_tokens(
                SPECIAL_TOKENS
                    .iter()
                    .map(|t| AddedToken::from(*t, true))
                    .collect(),
            )
            .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
            .build();
        let mut builder: tokenizers::TokenizerImpl<
            BPE,
            NormalizerWrapper,
            PreTokenizerWrapper,
            PostProcessorWrapper,
            DecoderWrapper,
        > = TokenizerBuilder::new()
            .with_model(BPE::default())
            .with_normalizer(Some(NFC.into()))
            .with_pre_tokenizer(Some(ByteLevel::new(true, true, true).into()))
            .with_post_processor(Some(
                RobertaProcessing::new(("</s>".into(), 2), ("<s>".into(), 0))
                    .add_prefix_space(true)
                    .into(),
            ))
            .with_decoder(Some(ByteLevelDecoder::default().into()))
            .build()
            .map_err(|e| DataError::Tokenizer(e.to_string()))?;
        builder
            .train(&mut trainer, texts)
            .map_err(|e| DataError::Tokenizer(e.to_string()))?;
        let inner: Tokenizer = builder.into();
        TextTokenizer::from_tokenizer(inner, max_len, Path::new("(trained)"))
    }

    /// Loads a Hugging Face `tokenizer.json`.
    pub fn load(path: &Path, max_len: usize) -> Result<TextTokenizer> {
        if !path.is_file() {
            return Err(DataError::Io {
                path: path.to_path_buf(),
                message: "file not found".into(),
            });
        }
        let inner = Tokenizer::from_file(path)
            .map_err(|e| DataError::format(path, format!("not a tokenizer.json: {e}")))?;
        TextTokenizer::from_tokenizer(inner, max_len, path)
    }

    fn from_tokenizer(
        mut inner: Tokenizer,
        max_len: usize,
        origin: &Path,
    ) -> Result<TextTokenizer> {
        if max_len < 3 {
            return Err(DataError::Invalid(format!(
                "max_len must be at least 3, got {max_len}"
            )));
        }
        let pad_id = match inner.get_padding() {
            Some(padding) => padding.pad_id,
            None => PAD_NAMES
                .iter()
                .find_map(|name| inner.token_to_id(name))
                .ok_or_else(|| {
                    DataError::format(origin, "tokenizer has no pad token (<pad> or [PAD])")
                })?,
        };
        inner.with_padding(None);
        inner
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                ..Default::default()
            }))
            .map_err(|e| DataError::Tokenizer(e.to_string()))?;
        Ok(TextTokenizer {
            inner,
            pad_id,
            max_len,
            prefixes: TextPrefixes::default(),
        })
    }

    /// Saves the tokenizer as a Hugging Face `tokenizer.json` (written to a temporary file in
    /// the same folder, then renamed).
    pub fn save(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("json.tmp");
        self.inner.save(&tmp, false).map_err(|e| DataError::Io {
            path: tmp.clone(),
            message: e.to_string(),
        })?;
        std::fs::rename(&tmp, path).map_err(|e| DataError::io(path, e))
    }

    /// Number of tokens in the vocabulary, special tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The id used for padding.
    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    /// The truncation length (special tokens included).
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// The same tokenizer putting `prefixes` before queries and passages in
    /// [`TextTokenizer::encode_as`].
    pub fn with_prefixes(mut self, prefixes: TextPrefixes) -> TextTokenizer {
        self.prefixes = prefixes;
        self
    }

    /// The prefixes put before queries and passages.
    pub fn prefixes(&self) -> &TextPrefixes {
        &self.prefixes
    }

    /// Encodes a text in its role: the role's prefix, then the text (with special tokens,
    /// truncated to `max_len`). Every text a retriever embeds goes through here.
    pub fn encode_as(&self, role: TextRole, text: &str) -> Result<Vec<u32>> {
        let prefix = self.prefixes.of(role);
        if prefix.is_empty() {
            self.encode(text)
        } else {
            self.encode(&format!("{prefix}{text}"))
        }
    }

    /// Encodes one text as it is, without a role's prefix (with special tokens, truncated
    /// to `max_len`).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let encoding = self
            .inner
            .encode(text, true)
            .map_err(|e| DataError::Tokenizer(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Decodes ids back to text, skipping special tokens.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, true)
            .map_err(|e| DataError::Tokenizer(e.to_string()))
    }

    /// Encodes texts and pads them to the longest one.
    pub fn encode_batch(&self, texts: &[&str]) -> Result<TokenBatch> {
        let encoded = texts
            .iter()
            .map(|t| self.encode(t))
            .collect::<Result<Vec<_>>>()?;
        let len = encoded.iter().map(Vec::len).max().unwrap_or(0);
        let mut batch = TokenBatch {
            ids: Vec::with_capacity(texts.len() * len),
            attention_mask: Vec::with_capacity(texts.len() * len),
            batch: texts.len(),
            len,
        };
        for ids in encoded {
            let padding = len - ids.len();
            batch
                .attention_mask
                .extend(std::iter::repeat_n(1, ids.len()).chain(std::iter::repeat_n(0, padding)));
            batch.ids.extend(
                ids.into_iter()
                    .chain(std::iter::repeat_n(self.pad_id, padding)),
            );
        }
        Ok(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Vec<String> {
        let lines = [
            "The Panthers defense gave up just 308 points.",
            "Die Verteidigung der Panthers gab nur 308 Punkte ab.",
            "La defensa de los Panthers cedió solo 308 puntos.",
            "The quick brown fox jumps over the lazy dog.",
        ];
        (0..20)
            .flat_map(|_| lines.iter().map(|s| s.to_string()))
            .collect()
    }

    fn trained(max_len: usize) -> TextTokenizer {
        TextTokenizer::train(corpus().into_iter(), 400, max_len).unwrap()
    }

    #[test]
    fn trained_tokenizer_round_trips_text() {
        let tok = trained(64);
        let ids = tok.encode("The Panthers gave up 308 points.").unwrap();
        assert_eq!(ids.first(), Some(&0), "starts with <s>");
        assert_eq!(ids.last(), Some(&2), "ends with </s>");
        assert_eq!(
            tok.decode(&ids).unwrap().trim(),
            "The Panthers gave up 308 points."
        );
    }

    #[test]
    fn unseen_scripts_encode_to_bytes_not_unknown() {
        let tok = trained(64);
        let unk = tok.inner.token_to_id("<unk>").unwrap();
        let text = "ภาษาไทย 中文 हिन्दी";
        let ids = tok.encode(text).unwrap();
        assert!(!ids.contains(&unk));
        assert!(ids.len() > 10, "several byte tokens, got {}", ids.len());
        assert_eq!(tok.decode(&ids).unwrap().trim(), text);
    }

    #[test]
    fn batches_are_truncated_and_padded_to_the_longest() {
        let tok = trained(8);
        let batch = tok
            .encode_batch(&["a", "The quick brown fox jumps over the lazy dog."])
            .unwrap();
        assert_eq!(batch.batch, 2);
        assert_eq!(batch.len, 8, "truncated to max_len");
        assert_eq!(batch.ids[15], 2, "truncation of the long row keeps </s>");
        let short: Vec<u32> = batch.attention_mask[..8].to_vec();
        let real = short.iter().filter(|&&m| m == 1).count();
        assert!(real < 8 && short[real..].iter().all(|&m| m == 0));
        assert!(batch.ids[real..8].iter().all(|&id| id == tok.pad_id()));
    }

    #[test]
    fn save_and_load_give_the_same_ids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        let tok = trained(32);
        tok.save(&path).unwrap();
        let loaded = TextTokenizer::load(&path, 32).unwrap();
        let text = "Die Verteidigung gab nur 308 Punkte ab.";
        assert_eq!(tok.encode(text).unwrap(), loaded.encode(text).unwrap());
        assert_eq!(loaded.pad_id(), 1);
    }

    #[test]
    fn roles_put_their_prefix_before_the_text() {
        let plain = trained(64);
        let tok = plain.clone().with_prefixes(TextPrefixes {
            query: "query: ".into(),
            passage: "passage: ".into(),
        });
        let text = "The Panthers gave up 308 points.";
        assert_eq!(
            tok.encode_as(TextRole::Query, text).unwrap(),
            plain.encode(&format!("query: {text}")).unwrap()
        );
        assert_eq!(
            tok.encode_as(TextRole::Passage, text).unwrap(),
            plain.encode(&format!("passage: {text}")).unwrap()
        );
        assert_eq!(
            plain.encode_as(TextRole::Query, text).unwrap(),
            plain.encode(text).unwrap(),
            "no prefixes: the text as it is"
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(TextTokenizer::train(corpus().into_iter(), 100, 32).is_err());
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("tokenizer.json");
        std::fs::write(&bad, "{ not json").unwrap();
        let err = TextTokenizer::load(&bad, 32).err().unwrap().to_string();
        assert!(err.contains("tokenizer.json"), "{err}");
        assert!(TextTokenizer::load(&dir.path().join("missing.json"), 32).is_err());
    }
}
