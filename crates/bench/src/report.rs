//! Plain-text output: a Markdown table with aligned columns, and ratio formatting.

/// A Markdown table whose columns are padded to line up in a terminal.
pub fn markdown_table(header: &[String], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut width = vec![0; cols];
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        for (i, c) in r.iter().enumerate().take(cols) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from("|");
        for (i, w) in width.iter().enumerate() {
            let c = cells.get(i).map_or("", String::as_str);
            let pad = w - c.chars().count();
            if i == 0 {
                s.push_str(&format!(" {c}{} |", " ".repeat(pad)));
            } else {
                s.push_str(&format!(" {}{c} |", " ".repeat(pad)));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(header);
    out.push('|');
    for (i, w) in width.iter().enumerate() {
        if i == 0 {
            out.push_str(&format!(":{}|", "-".repeat(w + 1)));
        } else {
            out.push_str(&format!("{}:|", "-".repeat(w + 1)));
        }
    }
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

/// `strata / peer` as `1.23x`, or `n/a`.
pub fn ratio(strata: Option<f64>, peer: Option<f64>) -> String {
    match (strata, peer) {
        (Some(s), Some(p)) if p > 0.0 && s.is_finite() => format!("{:.2}x", s / p),
        _ => "n/a".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_table() {
        let t = markdown_table(
            &["metric".into(), "A".into()],
            &[
                vec!["x".into(), "1.5".into()],
                vec!["longer".into(), "10".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "| metric |   A |");
        assert_eq!(lines[1], "|:-------|----:|");
        assert_eq!(lines[2], "| x      | 1.5 |");
        assert!(lines.iter().all(|l| l.len() == lines[0].len()));
        assert_eq!(ratio(Some(2.0), Some(4.0)), "0.50x");
        assert_eq!(ratio(None, Some(4.0)), "n/a");
    }
}
