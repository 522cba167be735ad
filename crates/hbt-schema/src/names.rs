//! The named choices of hbt's settings and records (batch strategy, pooling, backend...), each
//! defined once: the name written in experiment files and results files, the name accepted on
//! the command line, and the list of allowed names in error messages all come from here.

use std::fmt;
use std::str::FromStr;

/// A name that is not one of an enum's allowed names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}` (expected one of: {expected})")]
pub struct UnknownName {
    /// What kind of name it should have been (`pooling`, `backend`...).
    pub what: &'static str,
    /// The name as given.
    pub value: String,
    /// The allowed names, comma-separated.
    pub expected: String,
}

/// Defines a fieldless enum whose variants have one name each: serde (de)serialises that name,
/// `name()`/`Display` print it, `FromStr` parses it, `ALL` lists the variants.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $what:literal,
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
        $(default $default:ident)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used in experiment files, results files and on the command line.
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                Self::ALL.iter().copied().find(|v| v.name() == s).ok_or_else(|| UnknownName {
                    what: $what,
                    value: s.to_string(),
                    expected: Self::ALL.iter().map(|v| v.name()).collect::<Vec<_>>().join(", "),
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        $(
            impl Default for $name {
                fn default() -> Self {
                    $name::$default
                }
            }
        )?
    };
}

named_enum! {
    /// How training batches are composed (see `hbt_train::sampler`).
    "strategy",
    pub enum Strategy {
        /// X-X-mono: one language per batch.
        Mono = "mono",
        /// X-X: each pair in one language, languages vary inside the batch.
        Mixed = "mixed",
        /// X-Y: question and answer in different languages, drawn per pair.
        Cross = "cross",
        /// Mono with probability α, else cross.
        Hybrid = "hybrid",
    }
}

named_enum! {
    /// How the language of a mono batch is drawn.
    "language weighting",
    pub enum LanguageWeighting {
        /// In proportion to the number of groups that have the language.
        Proportional = "proportional",
        /// Uniformly among the source's languages.
        Uniform = "uniform",
    }
    default Proportional
}

named_enum! {
    /// The kind of one training batch (a hybrid run yields mono and cross batches).
    "batch kind",
    pub enum BatchKind {
        /// Every pair's question and answer in one language shared by the whole batch.
        Mono = "mono",
        /// Every pair's question and answer in one language; languages vary between pairs.
        Mixed = "mixed",
        /// Every pair's question and answer in different languages.
        Cross = "cross",
    }
}

named_enum! {
    /// The architecture family, which fixes position ids and Hugging Face names.
    "model family",
    pub enum ModelFamily {
        /// BERT (mBERT, LaBSE): position ids `0..len`, keys under `bert.`.
        Bert = "bert",
        /// XLM-RoBERTa: position ids start at `pad_token_id + 1`, padding gets `pad_token_id`;
        /// keys under `roberta.`.
        XlmRoberta = "xlm-roberta",
    }
}

impl ModelFamily {
    /// The Hugging Face `model_type`.
    pub fn hf_model_type(self) -> &'static str {
        self.name()
    }

    /// The Hugging Face class that `AutoModel` builds for this family.
    pub fn hf_architecture(self) -> &'static str {
        match self {
            ModelFamily::Bert => "BertModel",
            ModelFamily::XlmRoberta => "XLMRobertaModel",
        }
    }
}

named_enum! {
    /// How token states become one sentence embedding.
    "pooling",
    pub enum PoolingMode {
        /// The state of the first token (`[CLS]` / `<s>`).
        Cls = "cls",
        /// The mean of the non-padding token states.
        Mean = "mean",
        /// The BERT pooler: dense layer and tanh on the first token (as LaBSE uses).
        Pooler = "pooler",
    }
    default Cls
}

named_enum! {
    /// The precision of a training step's forward and backward passes; parameters, gradients
    /// and optimizer state stay in f32 (mixed precision).
    "precision",
    pub enum Precision {
        /// Everything in f32.
        F32 = "f32",
        /// bfloat16 passes (f32's range, 8 bits of mantissa).
        Bf16 = "bf16",
        /// float16 passes (10 bits of mantissa, a narrow range) with dynamic loss scaling.
        F16 = "f16",
    }
    default F32
}

named_enum! {
    /// A compute backend (whether it is compiled in: `hbt_model::backend::is_compiled`).
    "backend",
    pub enum BackendKind {
        /// burn-flex on the CPU.
        Flex = "flex",
        /// burn-ndarray on the CPU.
        NdArray = "ndarray",
        /// burn-cuda on an NVIDIA GPU.
        Cuda = "cuda",
    }
}

named_enum! {
    /// Where the sentence boundaries of a paragraph come from.
    "sentence source",
    pub enum SentenceSource {
        /// LAReQA's shipped `sentences` / `sentence_breaks` when present, else the splitter.
        ShippedOrSplitter = "shipped",
        /// Always the built-in Unicode sentence splitter (ignores shipped breaks).
        Splitter = "splitter",
    }
    default ShippedOrSplitter
}

named_enum! {
    /// Which model produced a run's rankings (`model` in `metrics.json`).
    "model kind",
    pub enum ModelKind {
        /// The fine-tuned encoder.
        Trained = "trained",
        /// The BM25 baseline.
        Bm25 = "bm25",
        /// The encoder before training (the same initialisation as the trained runs).
        Untrained = "untrained",
        /// A pretrained encoder as loaded, zero-shot (no fine-tuning).
        Pretrained = "pretrained",
    }
}

impl ModelKind {
    /// True for the reference runs (`bm25`, `untrained`, `pretrained`).
    pub fn is_reference(self) -> bool {
        self != ModelKind::Trained
    }
}

named_enum! {
    /// A reference run evaluated beside an experiment's trained runs (`eval.references`).
    "reference run",
    pub enum Reference {
        /// BM25 on the same evaluation tasks.
        Bm25 = "bm25",
        /// The from-scratch encoder before training (the trained runs' initialisation).
        Untrained = "untrained",
        /// The pretrained encoder of `model.pretrained` before fine-tuning (zero-shot).
        Pretrained = "pretrained",
    }
}

impl Reference {
    /// The model kind its `metrics.json` records.
    pub fn model_kind(self) -> ModelKind {
        match self {
            Reference::Bm25 => ModelKind::Bm25,
            Reference::Untrained => ModelKind::Untrained,
            Reference::Pretrained => ModelKind::Pretrained,
        }
    }
}

named_enum! {
    /// What a text is to a retriever: a query, or a passage (candidate answer) it is matched to.
    "text role",
    pub enum TextRole {
        /// A question or search query.
        Query = "query",
        /// A candidate answer, document or sentence.
        Passage = "passage",
    }
}

/// Text put before every input of a role before tokenization (E5's `query: ` /
/// `passage: `, or instructions); empty: none.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextPrefixes {
    /// Before queries.
    pub query: String,
    /// Before passages.
    pub passage: String,
}

impl TextPrefixes {
    /// The prefix of `role`.
    pub fn of(&self, role: TextRole) -> &str {
        match role {
            TextRole::Query => &self.query,
            TextRole::Passage => &self.passage,
        }
    }

    /// True when neither role has a prefix.
    pub fn is_empty(&self) -> bool {
        self.query.is_empty() && self.passage.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for &p in PoolingMode::ALL {
            assert_eq!(p.name().parse::<PoolingMode>().unwrap(), p);
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.name())
            );
        }
        assert_eq!(SentenceSource::ShippedOrSplitter.name(), "shipped");
        assert_eq!(
            "xlm-roberta".parse::<ModelFamily>().unwrap(),
            ModelFamily::XlmRoberta
        );
    }

    #[test]
    fn unknown_names_list_the_allowed_ones() {
        let err = "max".parse::<PoolingMode>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown pooling `max` (expected one of: cls, mean, pooler)"
        );
        let err = serde_json::from_str::<Strategy>("\"hybird\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("hybird") && err.contains("hybrid"), "{err}");
    }
}
