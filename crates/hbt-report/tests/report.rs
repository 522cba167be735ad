//! The report built from a small results-folder fixture: table values against metrics.json,
//! mean ± std over seeds, files written, figures valid PNG/SVG, errors naming files.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use hbt_report::tables::build_tables;
use hbt_report::{load_experiment, write_report, ReportError, ReportOptions};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

fn sample_std(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

#[test]
fn tables_match_metrics_json() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("fixture");
    standard(&exp);
    let experiment = load_experiment(&exp).unwrap();
    assert_eq!(experiment.runs.len(), 6);
    assert!(
        experiment.notes.iter().any(|n| n.contains("in-progress")),
        "{:?}",
        experiment.notes
    );
    let groups = experiment.groups();
    let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(
        labels,
        ["BM25", "mono", "cross", "hybrid (α=0.25)", "hybrid (α=0.5)"]
    );
    let tables = build_tables(&experiment, &groups);
    let main = tables.iter().find(|t| t.id == "main").unwrap();

    // Two mono seeds: mean ± sample std of their metrics.json values.
    let mono_means = [
        (0..4).map(mono_base).sum::<f64>() / 4.0,
        (0..4).map(mono_base).sum::<f64>() / 4.0 + 0.02,
    ];
    let v = main.value("mono", Some(TASK), "mono").unwrap();
    assert_eq!(v.n, 2);
    assert!(close(v.mean, (mono_means[0] + mono_means[1]) / 2.0));
    assert!(close(v.std.unwrap(), sample_std(&mono_means)));
    let md = main.to_markdown();
    assert!(
        md.contains(&format!("{:.3} ± {:.3}", v.mean, v.std.unwrap())),
        "{md}"
    );

    // A single run: exactly its metrics.json value, no std.
    let h = main.value("hybrid (α=0.5)", Some(TASK), "cross").unwrap();
    let cross_mean: f64 = (0..4)
        .flat_map(|x| (0..4).map(move |y| (x, y)))
        .filter(|(x, y)| x != y)
        .map(|(x, y)| cross_base(x, y) + 0.03)
        .sum::<f64>()
        / 12.0;
    assert!(close(h.mean, cross_mean));
    assert_eq!(h.std, None);
    let rd = main.value("hybrid (α=0.5)", Some(TASK), "RD").unwrap();
    assert!(close(rd.mean, 4.0 * 2.5));
    let bm25 = main.value("BM25", Some(TASK), "multi").unwrap();
    assert!(close(
        bm25.mean,
        (0..4).map(multi_base).sum::<f64>() / 4.0 - 0.15
    ));

    // CSV carries the same numbers at full precision, with a std column.
    let csv = main.to_csv();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "xquad-r mono").unwrap();
    assert_eq!(header[col + 1], "xquad-r mono std");
    let mono_line: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("mono,"))
        .unwrap()
        .split(',')
        .collect();
    assert!(close(mono_line[col].parse().unwrap(), v.mean));
    assert!(close(mono_line[col + 1].parse().unwrap(), v.std.unwrap()));

    // Per-language: el is zero-shot (dagger + footnote); values from per_language.
    let per_lang = tables
        .iter()
        .find(|t| t.id == "per_language_xquad-r_mono")
        .unwrap();
    assert!(per_lang
        .columns
        .iter()
        .any(|c| c.header == "el" && c.zero_shot));
    assert!(!per_lang
        .columns
        .iter()
        .any(|c| c.header == "en" && c.zero_shot));
    let en = per_lang.value("cross", None, "en").unwrap();
    assert!(close(en.mean, mono_base(2) - 0.04));
    let md = per_lang.to_markdown();
    assert!(md.contains("| el† |"), "{md}");
    assert!(md.contains("† zero-shot language (xquad-r)"), "{md}");
    assert!(per_lang.to_latex().contains("el$^\\dagger$"));

    // Cross matrix: X→Y from the pairs, mono on the diagonal.
    let pairs = tables
        .iter()
        .find(|t| t.id == "cross_xquad-r_hybrid-a0.5")
        .unwrap();
    let en_de = pairs.value("en", None, "de").unwrap();
    assert!(close(en_de.mean, cross_base(2, 0) + 0.03));
    let diag = pairs.value("es", None, "es").unwrap();
    assert!(close(diag.mean, mono_base(3) + 0.03));
    let mono_pairs = tables
        .iter()
        .find(|t| t.id == "cross_xquad-r_mono")
        .unwrap();
    let de_es = mono_pairs.value("de", None, "es").unwrap();
    assert!(close(de_es.mean, cross_base(0, 3) + 0.01));
}

fn check_png(path: &Path) {
    let bytes = fs::read(path).unwrap();
    assert!(
        bytes.len() > 10_000,
        "{} is only {} bytes",
        path.display(),
        bytes.len()
    );
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.width, 1050, "{}", path.display());
    assert!(info.height > 500);
    // Something was drawn: at least 1 % of the pixels is clearly not white.
    let pixels = &buf[..info.buffer_size()];
    let inked = pixels
        .chunks(3)
        .filter(|p| p.iter().any(|&c| c < 200))
        .count();
    assert!(
        inked * 100 > pixels.len() / 3,
        "{} looks blank ({inked} inked pixels)",
        path.display()
    );
}

#[test]
fn write_report_produces_tables_figures_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    // HBT_REPORT_FIXTURE_OUT=DIR keeps the fixture report there, to look at the figures.
    let exp = match std::env::var_os("HBT_REPORT_FIXTURE_OUT") {
        Some(out) => {
            let out = Path::new(&out).join("fixture");
            let _ = fs::remove_dir_all(&out);
            out
        }
        None => dir.path().join("fixture"),
    };
    standard(&exp);
    let summary = write_report(&exp, &ReportOptions::default()).unwrap();
    assert_eq!(summary.report, exp.join("report.md"));
    assert!(summary.notes.iter().any(|n| n.contains("in-progress")));
    for stem in [
        "main",
        "runs",
        "per_language_xquad-r_mono",
        "per_language_xquad-r_multi",
        "per_language_xquad-r_rank_distance",
        "cross_xquad-r_mono",
        "cross_xquad-r_hybrid-a0.25",
    ] {
        for ext in ["md", "csv", "tex"] {
            let p = exp.join("tables").join(format!("{stem}.{ext}"));
            assert!(p.is_file(), "{} missing", p.display());
        }
    }
    let tex = fs::read_to_string(exp.join("tables/main.tex")).unwrap();
    assert!(tex.contains("\\toprule") && tex.contains("\\midrule") && tex.contains("\\bottomrule"));

    let ids: Vec<&str> = summary.figures.iter().map(|f| f.id.as_str()).collect();
    for id in [
        "heatmap_xquad-r_bm25",
        "heatmap_xquad-r_mono-s1",
        "heatmap_xquad-r_hybrid-a0.5-s1",
        "rank_distance_xquad-r",
        "alpha_sweep_xquad-r",
        "training_curves",
    ] {
        assert!(ids.contains(&id), "figure {id} missing from {ids:?}");
    }
    for f in &summary.figures {
        check_png(&f.png);
        let svg = fs::read_to_string(&f.svg).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("width=\"3.500in\""));
        assert!(svg.contains("<text"), "{} has no text", f.svg.display());
    }

    let report = fs::read_to_string(&summary.report).unwrap();
    assert!(report.starts_with("# Report: fixture"));
    assert!(report.contains("![rank_distance_xquad-r](figures/rank_distance_xquad-r.png)"));
    assert!(report.contains("figures/training_curves.png"));
    assert!(report.contains("**xquad-r: monolingual mAP per language"));
    // Every linked figure exists, relative to the report.
    for line in report.lines().filter(|l| l.starts_with("![")) {
        let link = line.split("](").nth(1).unwrap().trim_end_matches(')');
        assert!(exp.join(link).is_file(), "{link}");
    }
    // No temporary files left behind.
    for sub in ["tables", "figures"] {
        for e in fs::read_dir(exp.join(sub)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with('.'), "leftover {name}");
        }
    }
    // Running again replaces the files and sees only the runs (not tables/ or figures/).
    let again = write_report(&exp, &ReportOptions::default()).unwrap();
    assert_eq!(again.runs, summary.runs);
}

#[test]
fn tables_only_when_figures_are_off() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("fixture");
    standard(&exp);
    let summary = write_report(&exp, &ReportOptions { figures: false }).unwrap();
    assert!(summary.figures.is_empty());
    assert!(!exp.join("figures").exists());
}

#[test]
fn bad_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("fixture");
    standard(&exp);

    // Corrupt metrics.json.
    let metrics = exp.join("cross-s1/metrics.json");
    let good = fs::read_to_string(&metrics).unwrap();
    fs::write(
        &metrics,
        "{\"schema_version\": 1, \"model\": \"trained\", \"tasks\": [",
    )
    .unwrap();
    let e = load_experiment(&exp).unwrap_err();
    assert!(matches!(e, ReportError::Format { .. }));
    assert!(e.to_string().contains("cross-s1/metrics.json"), "{e}");
    // Another schema version.
    fs::write(
        &metrics,
        good.replace("\"schema_version\": 1", "\"schema_version\": 2"),
    )
    .unwrap();
    let e = load_experiment(&exp).unwrap_err();
    assert!(
        matches!(e, ReportError::SchemaVersion { found: 2, .. }),
        "{e}"
    );
    fs::write(&metrics, good).unwrap();

    // Missing config.toml of a trained run.
    let config = exp.join("mono-s2/config.toml");
    let saved = fs::read_to_string(&config).unwrap();
    fs::remove_file(&config).unwrap();
    let e = load_experiment(&exp).unwrap_err();
    assert!(matches!(e, ReportError::Missing { .. }));
    assert!(e.to_string().contains("mono-s2/config.toml"), "{e}");
    fs::write(&config, saved).unwrap();

    // Corrupt per_query.parquet surfaces when the figures need it.
    fs::write(exp.join("mono-s1/per_query.parquet"), b"not parquet").unwrap();
    let e = write_report(&exp, &ReportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("mono-s1/per_query.parquet"), "{e}");
    // ... and a bad train log too.
    write_run(&exp, &Spec::trained("mono-s1", "mono", 0.5, 1));
    fs::write(
        exp.join("hybrid-a0.5-s1/train_log.csv"),
        "step,loss\n1,abc\n",
    )
    .unwrap();
    let e = write_report(&exp, &ReportOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("hybrid-a0.5-s1/train_log.csv"),
        "{e}"
    );

    // An experiment folder with no finished run.
    let empty = dir.path().join("empty");
    fs::create_dir_all(empty.join("run")).unwrap();
    assert!(matches!(
        write_report(&empty, &ReportOptions::default()),
        Err(ReportError::NoRuns { .. })
    ));
}

#[test]
fn eleven_language_heatmap_stays_readable() {
    use hbt_report::figures::heatmap::Heatmap;
    use hbt_report::figures::render;
    let langs: Vec<hbt_schema::Lang> = [
        "ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let zero = ["el", "ru", "th", "tr"];
    let values = (0..11)
        .map(|x| {
            (0..11)
                .map(|y| {
                    if x == 7 && y == 2 {
                        None
                    } else if x == y {
                        Some(0.7 + 0.02 * x as f64)
                    } else {
                        Some(0.05 + 0.04 * ((x * 3 + y * 5) % 13) as f64)
                    }
                })
                .collect()
        })
        .collect();
    let heatmap = Heatmap {
        title: "xquad-r: X→Y mAP, hybrid (α=0.5), seed 42".to_string(),
        zero_shot: langs.iter().map(|l| zero.contains(&l.as_str())).collect(),
        languages: langs,
        values,
        vmax: 1.0,
    };
    let dir = tempfile::tempdir().unwrap();
    let out = match std::env::var_os("HBT_REPORT_FIXTURE_OUT") {
        Some(out) => Path::new(&out).to_path_buf(),
        None => dir.path().to_path_buf(),
    };
    let file = render(&heatmap, &out, "heatmap_eleven", "caption").unwrap();
    check_png(&file.png);
}

#[test]
fn a_failing_report_leaves_the_previous_one_and_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("fixture");
    standard(&exp);
    // What a killed earlier report left behind is cleared.
    fs::create_dir_all(exp.join(".report.partial/figures")).unwrap();
    fs::write(exp.join(".report.partial/figures/stale.png"), b"half").unwrap();
    // An earlier report, and a `tables` that cannot be a folder: the new report fails when
    // putting its files in place, after drawing everything.
    fs::write(exp.join("report.md"), "earlier report").unwrap();
    fs::write(exp.join("tables"), "not a folder").unwrap();
    let err = write_report(&exp, &ReportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("tables"), "{err}");
    assert_eq!(
        fs::read_to_string(exp.join("report.md")).unwrap(),
        "earlier report"
    );
    assert!(!exp.join("figures").exists(), "no new figures left behind");
    assert!(
        !exp.join(".report.partial").exists(),
        "no staging folder left"
    );
    // Once the obstacle is gone the report is written and the staging folder removed.
    fs::remove_file(exp.join("tables")).unwrap();
    write_report(&exp, &ReportOptions::default()).unwrap();
    assert_ne!(
        fs::read_to_string(exp.join("report.md")).unwrap(),
        "earlier report"
    );
    assert!(!exp.join(".report.partial").exists());
}
