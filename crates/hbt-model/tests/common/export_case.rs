//! The seeded from-scratch encoders and inputs shared by the export example and test.

use hbt_model::{EncoderConfig, ModelFamily};

/// Fixture name, config, seed and input ids for the export parity case of `family`.
pub fn case(family: ModelFamily) -> (&'static str, EncoderConfig, u64, Vec<Vec<u32>>) {
    let mut config = EncoderConfig::new(family, 1000, 32, 2, 4, 64, 64);
    // Larger than the 0.02 default so that the outputs depend visibly on every weight.
    config.initializer_range = 0.2;
    let (name, seed, ids) = match family {
        ModelFamily::Bert => (
            "export_bert",
            42,
            vec![
                vec![101, 17, 256, 999, 102],
                vec![101, 5, 102],
                vec![101, 8, 9, 10, 11, 12, 13, 102],
            ],
        ),
        ModelFamily::XlmRoberta => (
            "export_xlmr",
            43,
            vec![
                vec![0, 17, 256, 999, 2],
                vec![0, 5, 2],
                vec![0, 8, 9, 10, 11, 12, 13, 2],
            ],
        ),
    };
    (name, config, seed, ids)
}
