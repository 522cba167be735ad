//! `hbt encode --model MODEL --input FILE --output FILE.parquet`: embed a user's texts (see
//! [`hbt_pipeline::encode_texts`]) and print the output path.

use anyhow::Result;
use hbt_data::user_texts::TextFields;
use hbt_pipeline::encode_texts::{self, EncodeRequest};
use hbt_pipeline::Locations;

use crate::cli::EncodeArgs;
use crate::progress::Terminal;

/// Runs `hbt encode`.
pub fn run(args: &EncodeArgs, locations: &Locations) -> Result<()> {
    let request = EncodeRequest {
        model: args.model.clone(),
        input: args.input.clone(),
        fields: TextFields {
            text: args.text_field.clone(),
            id: args.id_field.clone(),
        },
        output: args.output.clone(),
        role: args.prefix,
        settings: args.embedding.overrides(),
        max_len: args.max_len,
        batch_size: args.batch_size,
        backend: args.backend,
    };
    let summary = encode_texts::run(&request, locations, &Terminal::new())?;
    eprintln!(
        "[encode] {} texts, {} dimensions, {:.1}s ({:.1} texts/s)",
        summary.texts,
        summary.dimension,
        summary.seconds,
        summary.texts as f64 / summary.seconds.max(1e-9)
    );
    println!("{}", args.output.display());
    Ok(())
}
