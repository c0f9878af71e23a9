//! InfluxDB 1.x's JSON answer: `{"results":[{"statement_id":N,"series":[{"name":..,
//! "tags":{..},"columns":[..],"values":[[..]]}]}]}`, with its number formatting (Go's:
//! whole floats without a decimal point, `1e+21`), times as RFC 3339 with trailing zeros of
//! the fraction cut, or integers in the `epoch` unit (truncated), `pretty` indentation, and
//! the chunked form (one JSON object per line, `"partial": true` on all but the last).

use serde_json::{Value as Json, json};

use crate::value::{SeriesOut, StatementResult, Value};

/// How times are written: RFC 3339, or integers of this many nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Epoch {
    Rfc3339,
    Unit(i64),
}

impl Epoch {
    /// The `epoch` parameter (`ns u µ ms s m h`; anything else is nanoseconds, as InfluxDB
    /// reads it).
    pub fn parse(p: Option<&str>) -> Epoch {
        match p {
            None | Some("") => Epoch::Rfc3339,
            Some("u") | Some("µ") => Epoch::Unit(1_000),
            Some("ms") => Epoch::Unit(1_000_000),
            Some("s") => Epoch::Unit(1_000_000_000),
            Some("m") => Epoch::Unit(60_000_000_000),
            Some("h") => Epoch::Unit(3_600_000_000_000),
            Some(_) => Epoch::Unit(1),
        }
    }
}

/// A time as InfluxDB prints it without `epoch` (`RFC3339Nano`).
pub fn rfc3339(t: i64) -> String {
    let secs = t.div_euclid(1_000_000_000);
    let nanos = t.rem_euclid(1_000_000_000) as u32;
    let Some(dt) = chrono::DateTime::from_timestamp(secs, nanos) else {
        return t.to_string();
    };
    let mut s = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// A float as Go's `encoding/json` writes it (shortest round-trip digits, exponent form
/// below 1e-6 and from 1e21 as `1e+21`); non-finite values (which InfluxDB fails to
/// encode) are `null`.
pub fn float_text(out: &mut String, f: f64) {
    use std::fmt::Write as _;
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let e = format!("{f:e}");
        match e.split_once('e') {
            Some((m, exp)) if !exp.starts_with('-') => {
                let _ = write!(out, "{m}e+{exp}");
            }
            _ => out.push_str(&e),
        }
    } else {
        let _ = write!(out, "{f}");
    }
}

/// One value as JSON text, appended to `out`.
fn value_text(out: &mut String, v: &Value, epoch: Epoch) {
    use std::fmt::Write as _;
    match v {
        Value::Null => out.push_str("null"),
        Value::Float(f) => float_text(out, *f),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Uint(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Str(s) => out.push_str(&Json::from(s.as_str()).to_string()),
        Value::Time(t) => match epoch {
            Epoch::Rfc3339 => {
                out.push('"');
                out.push_str(&rfc3339(*t));
                out.push('"');
            }
            Epoch::Unit(u) => {
                let _ = write!(out, "{}", t / u);
            }
        },
    }
}

/// Keys in InfluxDB's order (serde_json's map would sort them).
fn object(out: &mut String, fields: &[(&str, String)]) {
    out.push('{');
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Json::from(*k).to_string());
        out.push(':');
        out.push_str(v);
    }
    out.push('}');
}

fn series_json(s: &SeriesOut, rows: &[Vec<Value>], epoch: Epoch, partial: bool) -> String {
    let mut f: Vec<(&str, String)> = Vec::new();
    if !s.name.is_empty() {
        f.push(("name", Json::from(s.name.as_str()).to_string()));
    }
    if !s.tags.is_empty() {
        let mut tags = String::new();
        let pairs: Vec<(&str, String)> = s
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), Json::from(v.as_str()).to_string()))
            .collect();
        object(&mut tags, &pairs);
        f.push(("tags", tags));
    }
    f.push(("columns", json!(s.columns).to_string()));
    if !rows.is_empty() {
        let mut values = String::with_capacity(rows.len() * 16 * rows[0].len());
        values.push('[');
        for (i, r) in rows.iter().enumerate() {
            if i > 0 {
                values.push(',');
            }
            values.push('[');
            for (j, v) in r.iter().enumerate() {
                if j > 0 {
                    values.push(',');
                }
                value_text(&mut values, v, epoch);
            }
            values.push(']');
        }
        values.push(']');
        f.push(("values", values));
    }
    if partial {
        f.push(("partial", "true".into()));
    }
    let mut out = String::new();
    object(&mut out, &f);
    out
}

fn result_json(r: &StatementResult, series: Vec<String>, partial: bool) -> String {
    let mut f: Vec<(&str, String)> = vec![("statement_id", r.statement_id.to_string())];
    if !series.is_empty() {
        f.push(("series", format!("[{}]", series.join(","))));
    }
    if let Some(e) = &r.error {
        f.push(("error", Json::from(e.as_str()).to_string()));
    }
    if partial {
        f.push(("partial", "true".into()));
    }
    let mut out = String::new();
    object(&mut out, &f);
    out
}

fn answer(results: Vec<String>, pretty: bool) -> String {
    let mut s = format!("{{\"results\":[{}]}}", results.join(","));
    if pretty {
        s = indent(&s);
    }
    s.push('\n');
    s
}

/// Compact JSON text indented by four spaces per level (keys keep their order).
fn indent(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"    ".repeat(depth));
    };
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                if matches!(chars.peek(), Some('}') | Some(']')) {
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                if !(out.ends_with('{') || out.ends_with('[')) {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c => out.push(c),
        }
    }
    out
}

/// The whole answer of a request.
pub fn render(results: &[StatementResult], epoch: Epoch, pretty: bool) -> String {
    let results: Vec<String> = results
        .iter()
        .map(|r| {
            let series = r
                .series
                .iter()
                .map(|s| series_json(s, &s.rows, epoch, false))
                .collect();
            result_json(r, series, false)
        })
        .collect();
    answer(results, pretty)
}

/// The chunked answer: one line per series, or per `chunk_size` rows of one.
pub fn render_chunked(
    results: &[StatementResult],
    epoch: Epoch,
    pretty: bool,
    chunk_size: usize,
) -> Vec<String> {
    let chunk = chunk_size.max(1);
    let mut lines: Vec<(usize, Option<String>)> = Vec::new();
    for (ri, r) in results.iter().enumerate() {
        if r.series.is_empty() {
            lines.push((ri, None));
        }
        for s in &r.series {
            let parts: Vec<&[Vec<Value>]> = if s.rows.is_empty() {
                vec![&s.rows[..]]
            } else {
                s.rows.chunks(chunk).collect()
            };
            let n = parts.len();
            for (i, rows) in parts.into_iter().enumerate() {
                lines.push((ri, Some(series_json(s, rows, epoch, i + 1 < n))));
            }
        }
    }
    let last = lines.len().saturating_sub(1);
    lines
        .into_iter()
        .enumerate()
        .map(|(i, (ri, series))| {
            let series = series.into_iter().collect();
            answer(vec![result_json(&results[ri], series, i != last)], pretty)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times_like_influxdb() {
        let text = |f: f64| {
            let mut s = String::new();
            float_text(&mut s, f);
            s
        };
        assert_eq!(text(3.0), "3");
        assert_eq!(text(-0.5), "-0.5");
        assert_eq!(text(22.199999999999992), "22.199999999999992");
        assert_eq!(text(1e21), "1e+21");
        assert_eq!(text(1.5e-7), "1.5e-7");
        assert_eq!(text(f64::NAN), "null");
        assert_eq!(rfc3339(1_700_000_000_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(
            rfc3339(1_700_000_000_100_000_001),
            "2023-11-14T22:13:20.100000001Z"
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn shapes() {
        let mut s = SeriesOut::new("cpu", vec!["time".into(), "mean".into()]);
        s.rows = vec![vec![Value::Time(60_000_000_000), Value::Float(1.5)]];
        let r = StatementResult {
            statement_id: 0,
            series: vec![s],
            error: None,
            unavailable: false,
        };
        assert_eq!(
            render(std::slice::from_ref(&r), Epoch::Unit(1_000_000), false),
            "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"cpu\",\"columns\":[\"time\",\"mean\"],\"values\":[[60000,1.5]]}]}]}\n"
        );
        let empty = StatementResult::default();
        assert_eq!(
            render(&[empty], Epoch::Rfc3339, false),
            "{\"results\":[{\"statement_id\":0}]}\n"
        );
        assert!(
            render(std::slice::from_ref(&r), Epoch::Rfc3339, true)
                .contains("\n    \"results\": [\n")
        );
        assert_eq!(render_chunked(&[r], Epoch::Rfc3339, false, 1).len(), 1);
    }
}
