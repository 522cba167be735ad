//! `hbt data stats|fetch|inspect|split-check`.

use anyhow::{bail, Context, Result};
use hbt_data::fetch;
use hbt_data::lareqa::{read_lareqa_dir, LareqaDataset};
use hbt_data::splitter::{measure_agreement, SplitAgreement};
use hbt_data::stats::DatasetStats;
use hbt_data::Lang;
use hbt_pipeline::datasets::{self, SourceKind};
use hbt_pipeline::{Locations, Progress};
use hbt_schema::SentenceSource;

use crate::cli::DataCommand;
use crate::progress::Terminal;

/// Runs one `hbt data` subcommand.
pub fn run(command: DataCommand, locations: &Locations) -> Result<()> {
    match command {
        DataCommand::Stats { dataset, json } => stats(&dataset, json, locations),
        DataCommand::Fetch { dataset } => fetch_named(&dataset, locations),
        DataCommand::Inspect {
            dataset,
            lang,
            limit,
        } => inspect(&dataset, lang, limit, locations),
        DataCommand::SplitCheck { dataset } => split_check(&dataset, locations),
    }
}

fn load(reference: &str, locations: &Locations, source: SentenceSource) -> Result<LareqaDataset> {
    let resolved = datasets::resolve(reference, locations, &Terminal::new())?;
    let SourceKind::Lareqa(dir) = &resolved.kind else {
        bail!("dataset `{reference}` is not a LAReQA-layout folder (LANG.json files)");
    };
    let mut dataset = read_lareqa_dir(dir, None, source)?;
    dataset.name = reference.to_string();
    Ok(dataset)
}

fn stats(reference: &str, as_json: bool, locations: &Locations) -> Result<()> {
    let stats = DatasetStats::of(&load(
        reference,
        locations,
        SentenceSource::ShippedOrSplitter,
    )?);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(());
    }
    println!(
        "{}: questions and candidate sentences per language\n",
        stats.name
    );
    println!("| lang | questions | candidates | paragraphs |");
    println!("|------|-----------|------------|------------|");
    for l in &stats.languages {
        println!(
            "| {} | {} | {} | {} |",
            l.lang, l.questions, l.candidates, l.paragraphs
        );
    }
    let q: usize = stats.languages.iter().map(|l| l.questions).sum();
    let c: usize = stats.languages.iter().map(|l| l.candidates).sum();
    println!("| all | {q} | {c} | |");
    let g = &stats.groups;
    println!("\nparallel groups: {}", g.groups);
    println!("\n| languages per group | groups |");
    println!("|---------------------|--------|");
    for (n, count) in &g.by_language_count {
        println!("| {n} | {count} |");
    }
    Ok(())
}

fn fetch_named(name: &str, locations: &Locations) -> Result<()> {
    let manifests = fetch::manifests()?;
    let chosen: Vec<_> = if name == "all" {
        manifests
    } else {
        vec![fetch::manifest(name)?]
    };
    if locations.offline {
        bail!(
            "data fetch {name}: downloads are off (--offline / HBT_OFFLINE=1); nothing was fetched into {}",
            locations.data_dir.display()
        );
    }
    let terminal = Terminal::new();
    for manifest in chosen {
        let mut report = |event| terminal.fetch(&manifest.name, &event);
        let done = fetch::fetch_dataset(
            &manifest,
            &locations.data_dir,
            locations.base_url.as_deref(),
            &locations.download_limits,
            &mut report,
        )
        .with_context(|| format!("fetching {}", manifest.name))?;
        println!(
            "{}: {} downloaded, {} already present, all sha256 verified, in {} ({})",
            manifest.name,
            done.downloaded.len(),
            done.skipped.len(),
            locations.data_dir.join(&manifest.name).display(),
            manifest.license
        );
    }
    Ok(())
}

fn inspect(reference: &str, lang: Option<Lang>, limit: usize, locations: &Locations) -> Result<()> {
    let dataset = load(reference, locations, SentenceSource::ShippedOrSplitter)?;
    if let Some(lang) = lang {
        if !dataset.languages().contains(&lang) {
            bail!("dataset {reference} has no language {lang}");
        }
    }
    let groups = dataset.groups();
    let shown = groups
        .iter()
        .filter(|g| lang.is_none_or(|l| g.members.contains_key(&l)))
        .take(limit);
    for group in shown {
        println!("group {} ({} languages)", group.id, group.members.len());
        for (l, member) in &group.members {
            println!("  [{l}] Q: {}", member.question);
            println!("       A: {}", member.answer);
        }
        println!();
    }
    Ok(())
}

fn split_check(reference: &str, locations: &Locations) -> Result<()> {
    let dataset = load(reference, locations, SentenceSource::ShippedOrSplitter)?;
    println!("{reference}: built-in sentence splitter vs shipped sentence breaks\n");
    println!("| lang | paragraphs | identical paragraphs | shipped sentences | reproduced |");
    println!("|------|------------|----------------------|-------------------|------------|");
    let mut total = SplitAgreement::default();
    for file in &dataset.files {
        let mut agreement = SplitAgreement::default();
        for para in &file.paragraphs {
            agreement.add(measure_agreement(&para.context, &para.breaks));
        }
        println!(
            "| {} | {} | {:.1}% | {} | {:.1}% |",
            file.lang,
            agreement.paragraphs,
            100.0 * agreement.paragraph_rate(),
            agreement.shipped_sentences,
            100.0 * agreement.sentence_rate()
        );
        total.add(agreement);
    }
    println!(
        "| all | {} | {:.1}% | {} | {:.1}% |",
        total.paragraphs,
        100.0 * total.paragraph_rate(),
        total.shipped_sentences,
        100.0 * total.sentence_rate()
    );
    Ok(())
}
