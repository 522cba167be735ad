//! `hbt model convert MODEL DIR`: write any model hbt loads as a Hugging Face folder (see
//! [`hbt_pipeline::pretrained::convert`]) and print the folder.

use anyhow::Result;
use hbt_pipeline::pretrained;
use hbt_pipeline::Locations;

use crate::cli::ModelCommand;
use crate::progress::Terminal;

/// Runs `hbt model ...`.
pub fn run(command: ModelCommand, locations: &Locations) -> Result<()> {
    match command {
        ModelCommand::Convert(args) => {
            pretrained::convert(
                &args.model,
                &args.embedding.overrides(),
                &args.out,
                locations,
                &Terminal::new(),
            )?;
            println!("{}", args.out.display());
            Ok(())
        }
    }
}
