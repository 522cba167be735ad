//! Rendering a [`Table`] to Markdown, CSV and LaTeX (booktabs).

use super::{Better, Cell, Column, Table};
use crate::stats::Summary;

/// Formats a number with `digits` decimals; NaN becomes an en dash.
pub(crate) fn fmt_num(x: f64, digits: usize) -> String {
    if x.is_nan() {
        "–".to_string()
    } else {
        format!("{x:.digits$}")
    }
}

/// Escapes a Markdown table cell.
pub(crate) fn md_escape(text: &str) -> String {
    text.replace('|', "\\|")
}

/// Escapes LaTeX special characters and spells the few non-ASCII symbols the labels use;
/// `code` spans become `\texttt{code}`.
pub(crate) fn tex_escape(text: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                out.push_str(if in_code { "}" } else { "\\texttt{" });
                in_code = !in_code;
            }
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            'α' => out.push_str("$\\alpha$"),
            '±' => out.push_str("$\\pm$"),
            '†' => out.push_str("$^\\dagger$"),
            '→' => out.push_str("$\\to$"),
            '−' => out.push_str("$-$"),
            '–' => out.push_str("--"),
            '≠' => out.push_str("$\\neq$"),
            '≤' => out.push_str("$\\leq$"),
            '≥' => out.push_str("$\\geq$"),
            '×' => out.push_str("$\\times$"),
            _ => out.push(c),
        }
    }
    if in_code {
        out.push('}');
    }
    out
}

/// For each column, the row indices holding its best value (none when fewer than two values).
fn best_rows(table: &Table) -> Vec<Vec<usize>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(c, col)| {
            let values: Vec<(usize, f64)> = table
                .rows
                .iter()
                .enumerate()
                .filter_map(|(r, row)| match &row.cells[c] {
                    Cell::Value(s) if !s.mean.is_nan() => Some((r, s.mean)),
                    _ => None,
                })
                .collect();
            if values.len() < 2 || col.better == Better::Neither {
                return Vec::new();
            }
            let best = values.iter().map(|v| v.1).fold(
                if col.better == Better::Higher {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                },
                |acc, v| {
                    if col.better == Better::Higher {
                        acc.max(v)
                    } else {
                        acc.min(v)
                    }
                },
            );
            // Compare at the displayed precision, so ties on screen are all bold.
            let shown = fmt_num(best, col.precision);
            values
                .iter()
                .filter(|v| fmt_num(v.1, col.precision) == shown)
                .map(|v| v.0)
                .collect()
        })
        .collect()
}

fn summary_text(s: &Summary, digits: usize, pm: &str) -> String {
    match s.std {
        Some(std) => format!("{}{pm}{}", fmt_num(s.mean, digits), fmt_num(std, digits)),
        None => fmt_num(s.mean, digits),
    }
}

fn header_text(col: &Column, with_group: bool, dagger: &str) -> String {
    let mark = if col.zero_shot { dagger } else { "" };
    match (&col.group, with_group) {
        (Some(g), true) => format!("{g} {}{mark}", col.header),
        _ => format!("{}{mark}", col.header),
    }
}

impl Table {
    /// GitHub-flavoured Markdown: caption in bold, the table, footnotes in italics.
    pub fn to_markdown(&self) -> String {
        let best = best_rows(self);
        let mut s = format!("**{}**\n\n", md_escape(&self.title));
        s.push_str(&format!("| {} |", md_escape(&self.stub_header)));
        for col in &self.columns {
            s.push_str(&format!(" {} |", md_escape(&header_text(col, true, "†"))));
        }
        s.push_str("\n|:--|");
        for _ in &self.columns {
            s.push_str("--:|");
        }
        s.push('\n');
        for (r, row) in self.rows.iter().enumerate() {
            let mark = if row.zero_shot { "†" } else { "" };
            s.push_str(&format!("| {}{mark} |", md_escape(&row.label)));
            for (c, (cell, col)) in row.cells.iter().zip(&self.columns).enumerate() {
                let text = match cell {
                    Cell::Value(v) => {
                        let t = summary_text(v, col.precision, " ± ");
                        if best[c].contains(&r) {
                            format!("**{t}**")
                        } else {
                            t
                        }
                    }
                    Cell::Aside(v) => format!("({})", summary_text(v, col.precision, " ± ")),
                    Cell::Text(t) => md_escape(t),
                    Cell::Empty => "–".to_string(),
                };
                s.push_str(&format!(" {text} |"));
            }
            s.push('\n');
        }
        if !self.notes.is_empty() {
            s.push('\n');
            for note in &self.notes {
                s.push_str(&format!("_{}_  \n", md_escape(note)));
            }
        }
        s
    }

    /// CSV: one header line, full-precision numbers; a `… std` column follows every value
    /// column that has a standard deviation somewhere. Zero-shot languages are marked
    /// `(zero-shot)` in headers and a `zero_shot` column when rows are languages.
    pub fn to_csv(&self) -> String {
        let has_std: Vec<bool> = (0..self.columns.len())
            .map(|c| {
                self.rows.iter().any(
                    |r| matches!(&r.cells[c], Cell::Value(s) | Cell::Aside(s) if s.std.is_some()),
                )
            })
            .collect();
        let row_zero = self.rows.iter().any(|r| r.zero_shot);
        let mut header = vec![csv_field(&self.stub_header)];
        if row_zero {
            header.push("zero_shot".to_string());
        }
        for (col, std) in self.columns.iter().zip(&has_std) {
            let name = header_text(col, true, " (zero-shot)");
            header.push(csv_field(&name));
            if *std {
                header.push(csv_field(&format!("{name} std")));
            }
        }
        let mut s = header.join(",");
        s.push('\n');
        for row in &self.rows {
            let mut fields = vec![csv_field(&row.label)];
            if row_zero {
                fields.push(row.zero_shot.to_string());
            }
            for (cell, std) in row.cells.iter().zip(&has_std) {
                let (value, sd) = match cell {
                    Cell::Value(v) | Cell::Aside(v) => {
                        (csv_num(v.mean), v.std.map(csv_num).unwrap_or_default())
                    }
                    Cell::Text(t) => (csv_field(t), String::new()),
                    Cell::Empty => (String::new(), String::new()),
                };
                fields.push(value);
                if *std {
                    fields.push(sd);
                }
            }
            s.push_str(&fields.join(","));
            s.push('\n');
        }
        s
    }

    /// A LaTeX `table` with a booktabs `tabular` (needs `\usepackage{booktabs}`); datasets span
    /// their columns with `\cmidrule`; footnotes follow the table.
    pub fn to_latex(&self) -> String {
        let best = best_rows(self);
        let mut s = String::new();
        s.push_str("% Generated by hbt-report; regenerate rather than edit.\n");
        s.push_str("\\begin{table}[t]\n\\centering\n\\small\n");
        s.push_str(&format!("\\caption{{{}}}\n", tex_escape(&self.title)));
        s.push_str(&format!("\\label{{tab:{}}}\n", self.id));
        s.push_str(&format!(
            "\\begin{{tabular}}{{l{}}}\n\\toprule\n",
            "r".repeat(self.columns.len())
        ));
        // Spanning group headers (runs of equal `group`).
        if self.columns.iter().any(|c| c.group.is_some()) {
            let mut spans: Vec<(Option<String>, usize, usize)> = Vec::new();
            for (i, col) in self.columns.iter().enumerate() {
                match spans.last_mut() {
                    Some(last) if last.0 == col.group => last.2 = i,
                    _ => spans.push((col.group.clone(), i, i)),
                }
            }
            let mut line = String::new();
            let mut rules = String::new();
            for (group, from, to) in &spans {
                let width = to - from + 1;
                let text = group.as_deref().map(tex_escape).unwrap_or_default();
                if group.is_some() {
                    line.push_str(&format!(" & \\multicolumn{{{width}}}{{c}}{{{text}}}"));
                    rules.push_str(&format!("\\cmidrule(lr){{{}-{}}}", from + 2, to + 2));
                } else {
                    line.push_str(&" &".repeat(width));
                }
            }
            s.push_str(&format!("{line} \\\\\n{rules}\n"));
        }
        s.push_str(&tex_escape(&self.stub_header));
        for col in &self.columns {
            s.push_str(&format!(" & {}", tex_escape(&header_text(col, false, "†"))));
        }
        s.push_str(" \\\\\n\\midrule\n");
        for (r, row) in self.rows.iter().enumerate() {
            if row.rule_before && r > 0 {
                s.push_str("\\midrule\n");
            }
            let mark = if row.zero_shot { "†" } else { "" };
            s.push_str(&tex_escape(&format!("{}{mark}", row.label)));
            for (c, (cell, col)) in row.cells.iter().zip(&self.columns).enumerate() {
                let text = match cell {
                    Cell::Value(v) => {
                        let t = summary_text(v, col.precision, "$\\pm$");
                        if best[c].contains(&r) {
                            format!("\\textbf{{{t}}}")
                        } else {
                            t
                        }
                    }
                    Cell::Aside(v) => format!("({})", summary_text(v, col.precision, "$\\pm$")),
                    Cell::Text(t) => tex_escape(t),
                    Cell::Empty => "--".to_string(),
                };
                s.push_str(&format!(" & {text}"));
            }
            s.push_str(" \\\\\n");
        }
        s.push_str("\\bottomrule\n\\end{tabular}\n");
        if !self.notes.is_empty() {
            s.push_str("\\par\\smallskip\n{\\footnotesize\n");
            for note in &self.notes {
                s.push_str(&format!("{}\\\\\n", tex_escape(note)));
            }
            s.push_str("}\n");
        }
        s.push_str("\\end{table}\n");
        s
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn csv_num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Column, TableRow};
    use super::*;

    fn sample() -> Table {
        Table {
            id: "t".into(),
            title: "Test & table".into(),
            stub_header: "Strategy".into(),
            columns: vec![
                Column::new("mono", 3, Better::Higher).in_group("xquad-r"),
                Column::new("el", 3, Better::Higher)
                    .in_group("xquad-r")
                    .zero_shot(true),
                Column::new("RD", 1, Better::Lower),
            ],
            rows: vec![
                TableRow::new(
                    "mono",
                    vec![
                        Cell::Value(Summary::of(&[0.5, 0.6]).unwrap()),
                        Cell::Value(Summary::of(&[0.2]).unwrap()),
                        Cell::Value(Summary::of(&[10.0]).unwrap()),
                    ],
                ),
                TableRow::new(
                    "hybrid (α=0.5)",
                    vec![
                        Cell::Value(Summary::of(&[0.4]).unwrap()),
                        Cell::Empty,
                        Cell::Value(Summary::of(&[4.0]).unwrap()),
                    ],
                ),
            ],
            notes: vec!["† zero-shot".into()],
        }
    }

    #[test]
    fn markdown_marks_best_and_zero_shot() {
        let md = sample().to_markdown();
        assert!(md.contains("| xquad-r el† |"), "{md}");
        assert!(md.contains("**0.550 ± 0.071**"), "{md}");
        assert!(md.contains("**4.0**"), "{md}");
        assert!(md.contains("| – |"), "{md}");
    }

    #[test]
    fn csv_has_std_columns_and_full_precision() {
        let csv = sample().to_csv();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "Strategy,xquad-r mono,xquad-r mono std,xquad-r el (zero-shot),RD"
        );
        let first: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(first[1].parse::<f64>().unwrap(), 0.55);
        assert_eq!(first[0], "mono");
    }

    #[test]
    fn latex_uses_booktabs_and_escapes() {
        let tex = sample().to_latex();
        assert!(tex.contains("\\toprule") && tex.contains("\\bottomrule"));
        assert!(tex.contains("\\multicolumn{2}{c}{xquad-r}"));
        assert!(tex.contains("\\cmidrule(lr){2-3}"));
        assert!(tex.contains("el$^\\dagger$"));
        assert!(tex.contains("hybrid ($\\alpha$=0.5)"));
        assert!(tex.contains("Test \\& table"));
        assert!(tex.contains("\\textbf{0.550$\\pm$0.071}"));
        assert_eq!(tex_escape("a `b_c` ≠ d"), "a \\texttt{b\\_c} $\\neq$ d");
    }
}
