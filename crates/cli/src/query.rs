//! `strata query`: builds a `POST /query` body from flags, sends it, and prints the answer as
//! a table (one row per point: timestamp, tags, fields) or, with `--json`, as the server sent
//! it.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::client::{CliError, Client};

/// Flags of `strata query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// Measurement to read.
    #[arg(long, short)]
    pub measurement: String,
    /// Range start (inclusive), in --precision units. [default: 0]
    #[arg(long, allow_hyphen_values = true)]
    pub start: Option<i64>,
    /// Range end (exclusive), in --precision units. [default: the end of time]
    #[arg(long, allow_hyphen_values = true)]
    pub end: Option<i64>,
    /// Tag filter, repeatable (AND): `k=v` (equal), `k!=v` (not equal) or `k=~regex`
    /// (unanchored: write `k=~^(a|b)$` for a set of values).
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filters: Vec<String>,
    /// Field to return, repeatable. [default: all]
    #[arg(long = "field", value_name = "NAME")]
    pub fields: Vec<String>,
    /// Aggregate function: count, sum, mean, min, max, first, last, stddev, quantile.
    #[arg(long, value_name = "FN")]
    pub aggregate: Option<String>,
    /// Quantile for `--aggregate quantile`, in [0, 1].
    #[arg(long)]
    pub q: Option<f64>,
    /// Aggregation window, in --precision units (with --aggregate).
    #[arg(long, value_name = "WIDTH")]
    pub every: Option<i64>,
    /// Tag key to group series by (repeatable or comma-separated; with --aggregate).
    #[arg(long = "group-by", value_name = "KEY", value_delimiter = ',')]
    pub group_by: Vec<String>,
    /// Group every matching series into one (`group_by: []`; with --aggregate).
    #[arg(long, conflicts_with = "group_by")]
    pub group_all: bool,
    /// Points per series.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Newest points first.
    #[arg(long)]
    pub desc: bool,
    /// Answer shape asked of the server: points or series.
    #[arg(long, default_value = "points", value_parser = ["points", "series"])]
    pub format: String,
    /// Time unit of --start, --end, --every and the printed timestamps: ns, us, ms, s.
    #[arg(long, default_value = "ms", value_parser = ["ns", "us", "ms", "s"])]
    pub precision: String,
    /// Print the JSON answer instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Print the request body and exit without sending it.
    #[arg(long)]
    pub dry_run: bool,
    /// Base URL of the server.
    #[arg(long, env = "STRATA_URL", default_value = "http://127.0.0.1:8086")]
    pub url: String,
    /// Bearer token, if the server requires one.
    #[arg(long, env = "STRATA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// The largest time (in `unit`) whose nanosecond value fits an i64.
fn end_of_time(unit: &str) -> i64 {
    let per = match unit {
        "ns" => 1,
        "us" => 1_000,
        "s" => 1_000_000_000,
        _ => 1_000_000,
    };
    i64::MAX / per
}

/// The `/query` body for these flags.
pub fn build_request(args: &QueryArgs) -> Result<Value, CliError> {
    let mut body = Map::new();
    body.insert("measurement".into(), json!(args.measurement));
    body.insert("start".into(), json!(args.start.unwrap_or(0)));
    body.insert(
        "end".into(),
        json!(args.end.unwrap_or_else(|| end_of_time(&args.precision))),
    );
    let mut filters = Map::new();
    for f in &args.filters {
        let (key, filter) = if let Some((k, v)) = f.split_once("!=") {
            (k, json!({ "ne": v }))
        } else if let Some((k, v)) = f.split_once("=~") {
            (k, json!({ "regex": v }))
        } else if let Some((k, v)) = f.split_once('=') {
            (k, json!(v))
        } else {
            return Err(CliError::Usage(format!(
                "--filter {f:?}: expected KEY=VALUE, KEY!=VALUE or KEY=~REGEX"
            )));
        };
        filters.insert(key.to_string(), filter);
    }
    if !filters.is_empty() {
        body.insert("filters".into(), Value::Object(filters));
    }
    if !args.fields.is_empty() {
        body.insert("fields".into(), json!(args.fields));
    }
    if let Some(function) = &args.aggregate {
        let mut agg = Map::new();
        agg.insert("function".into(), json!(function));
        if let Some(every) = args.every {
            agg.insert("every".into(), json!(every));
        }
        if let Some(q) = args.q {
            agg.insert("q".into(), json!(q));
        }
        body.insert("aggregate".into(), Value::Object(agg));
    } else if args.every.is_some() || args.q.is_some() {
        return Err(CliError::Usage("--every and --q need --aggregate".into()));
    }
    if args.group_all {
        body.insert("group_by".into(), json!([]));
    } else if !args.group_by.is_empty() {
        body.insert("group_by".into(), json!(args.group_by));
    }
    if let Some(limit) = args.limit {
        body.insert("limit".into(), json!(limit));
    }
    if args.desc {
        body.insert("order".into(), json!("desc"));
    }
    if args.format != "points" {
        body.insert("format".into(), json!(args.format));
    }
    Ok(Value::Object(body))
}

pub fn run(args: &QueryArgs) -> Result<(), CliError> {
    let request = build_request(args)?;
    if args.dry_run {
        println!("{request}");
        return Ok(());
    }
    let client = Client::new(&args.url, args.token.clone());
    let path = format!("/query?precision={}", args.precision);
    let answer = client
        .post(&path, "application/json", request.to_string().as_bytes())?
        .success()?;
    if args.json {
        println!("{}", answer.body.trim_end());
        return Ok(());
    }
    let value: Value = serde_json::from_str(&answer.body).map_err(|e| CliError::Server {
        status: answer.status,
        message: format!("answer is not JSON: {e}"),
    })?;
    print!("{}", render_table(&value));
    Ok(())
}

/// One printed row: timestamp, tags, fields.
struct Row<'a> {
    ts: &'a Value,
    tags: &'a Map<String, Value>,
    fields: Vec<(&'a str, &'a Value)>,
}

/// Renders either answer shape as an aligned text table.
pub fn render_table(answer: &Value) -> String {
    let empty = Map::new();
    let mut rows: Vec<Row<'_>> = Vec::new();
    if let Some(points) = answer["data_points"].as_array() {
        for p in points {
            rows.push(Row {
                ts: &p["timestamp"],
                tags: p["tags"].as_object().unwrap_or(&empty),
                fields: p["fields"]
                    .as_object()
                    .map(|f| f.iter().map(|(k, v)| (k.as_str(), v)).collect())
                    .unwrap_or_default(),
            });
        }
    } else if let Some(series) = answer["series"].as_array() {
        for s in series {
            let tags = s["tags"].as_object().unwrap_or(&empty);
            let fields = s["fields"].as_object();
            for (i, ts) in s["timestamps"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let values = fields
                    .map(|f| {
                        f.iter()
                            .filter_map(|(k, col)| {
                                col.get(i).filter(|v| !v.is_null()).map(|v| (k.as_str(), v))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                rows.push(Row {
                    ts,
                    tags,
                    fields: values,
                });
            }
        }
    }
    if rows.is_empty() {
        return "(no points)\n".into();
    }
    let tag_keys: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| r.tags.keys().map(String::as_str))
        .collect();
    let field_keys: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| r.fields.iter().map(|(k, _)| *k))
        .collect();
    let mut header: Vec<String> = vec!["timestamp".into()];
    header.extend(tag_keys.iter().map(|k| k.to_string()));
    header.extend(field_keys.iter().map(|k| k.to_string()));
    let cell = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut table: Vec<Vec<String>> = vec![header];
    for r in &rows {
        let mut line = vec![cell(r.ts)];
        line.extend(
            tag_keys
                .iter()
                .map(|k| r.tags.get(*k).map(cell).unwrap_or_default()),
        );
        line.extend(field_keys.iter().map(|k| {
            r.fields
                .iter()
                .find(|(f, _)| f == k)
                .map(|(_, v)| cell(v))
                .unwrap_or_default()
        }));
        table.push(line);
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|c| {
            table
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out.push_str(&format!("({} points)\n", rows.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        q: QueryArgs,
    }

    fn req(args: &[&str]) -> Value {
        let mut v = vec!["t"];
        v.extend_from_slice(args);
        build_request(&T::try_parse_from(v).unwrap().q).unwrap()
    }

    #[test]
    fn flags_to_body() {
        let b = req(&[
            "-m",
            "cpu",
            "--start",
            "-5",
            "--end",
            "10",
            "--filter",
            "host=a",
            "--filter",
            "dc!=x",
            "--filter",
            "r=~^w",
            "--aggregate",
            "mean",
            "--every",
            "60",
            "--group-by",
            "host,dc",
            "--limit",
            "3",
            "--desc",
            "--format",
            "series",
        ]);
        assert_eq!(
            b,
            json!({"measurement": "cpu", "start": -5, "end": 10,
                   "filters": {"host": "a", "dc": {"ne": "x"}, "r": {"regex": "^w"}},
                   "aggregate": {"function": "mean", "every": 60}, "group_by": ["host", "dc"],
                   "limit": 3, "order": "desc", "format": "series"})
        );
        let b = req(&["-m", "cpu", "--precision", "s"]);
        assert_eq!(b["end"], json!(i64::MAX / 1_000_000_000));
        assert_eq!(b["start"], json!(0));
        let b = req(&["-m", "cpu", "--aggregate", "count", "--group-all"]);
        assert_eq!(b["group_by"], json!([]));
    }

    #[test]
    fn tables_from_both_shapes() {
        let points = json!({"data_points": [
            {"timestamp": 1, "tags": {"host": "a"}, "fields": {"v": 1.5}},
            {"timestamp": 2, "tags": {"host": "bb"}, "fields": {"v": 2, "s": "x"}}]});
        let t = render_table(&points);
        assert_eq!(
            t,
            "timestamp  host  s  v\n1          a        1.5\n2          bb    x  2\n(2 points)\n"
        );
        let series = json!({"series": [{"measurement": "m", "tags": {"host": "a"}, "timestamps": [1, 2],
            "fields": {"v": [1.5, null]}}]});
        let t = render_table(&series);
        assert!(
            t.starts_with("timestamp  host  v\n1          a     1.5\n2          a\n"),
            "{t}"
        );
        assert_eq!(render_table(&json!({"data_points": []})), "(no points)\n");
    }
}
