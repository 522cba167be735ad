//! The encoder shapes the training and encoding benchmarks run: the small from-scratch encoder
//! of the CPU study and the shape of multilingual-e5-small, the real model of the fine-tuning
//! study.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// Encoder sizes and batch size of a benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BenchShape {
    /// 4 layers, width 256, 4 heads, FFN 1024, the tokenizer's own vocabulary, 64 pairs per
    /// training batch.
    #[default]
    Small,
    /// multilingual-e5-small: 12 layers, width 384, 12 heads, FFN 1536, a 250,002-row word
    /// table, 32 pairs per training batch. The token ids come from the benchmark's own
    /// tokenizer (all below its vocabulary size); the table has the real model's rows, so
    /// its gradient and optimizer state cost what they cost in fine-tuning.
    E5Small,
}

impl BenchShape {
    /// Transformer layers.
    pub fn layers(self) -> usize {
        match self {
            BenchShape::Small => 4,
            BenchShape::E5Small => 12,
        }
    }
    /// Hidden width.
    pub fn hidden(self) -> usize {
        match self {
            BenchShape::Small => 256,
            BenchShape::E5Small => 384,
        }
    }
    /// Attention heads.
    pub fn heads(self) -> usize {
        match self {
            BenchShape::Small => 4,
            BenchShape::E5Small => 12,
        }
    }
    /// Feed-forward width.
    pub fn intermediate(self) -> usize {
        4 * self.hidden()
    }
    /// Rows of the word table for a tokenizer of `tokenizer_vocab` entries.
    pub fn vocab_rows(self, tokenizer_vocab: usize) -> usize {
        match self {
            BenchShape::Small => tokenizer_vocab,
            BenchShape::E5Small => 250_002,
        }
    }
    /// Question–answer pairs per training batch.
    pub fn batch_pairs(self) -> usize {
        match self {
            BenchShape::Small => 64,
            BenchShape::E5Small => 32,
        }
    }
    /// One line for reports.
    pub fn describe(self, vocab_rows: usize) -> String {
        format!(
            "{} layers, width {}, {} heads, FFN {}, vocab {vocab_rows}",
            self.layers(),
            self.hidden(),
            self.heads(),
            self.intermediate()
        )
    }
}

impl fmt::Display for BenchShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BenchShape::Small => "small",
            BenchShape::E5Small => "e5-small",
        })
    }
}

impl FromStr for BenchShape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "small" => Ok(BenchShape::Small),
            "e5-small" => Ok(BenchShape::E5Small),
            other => Err(format!("unknown shape `{other}` (small, e5-small)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_print_and_size() {
        for shape in [BenchShape::Small, BenchShape::E5Small] {
            assert_eq!(shape.to_string().parse::<BenchShape>(), Ok(shape));
        }
        assert!("e5-base".parse::<BenchShape>().is_err());
        let e5 = BenchShape::E5Small;
        assert_eq!(
            (e5.layers(), e5.hidden(), e5.heads(), e5.intermediate()),
            (12, 384, 12, 1536)
        );
        assert_eq!(e5.vocab_rows(8000), 250_002);
        assert_eq!(BenchShape::Small.vocab_rows(8000), 8000);
    }
}
