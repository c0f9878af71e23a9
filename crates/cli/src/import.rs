//! `strata import FILE`: streams a file of points to a running server's `/write`, in batches
//! (default 5,000 points), with a progress bar and a final points-per-second line.
//!
//! Formats (`--format auto` picks CSV when the first line is the `series,timestamp,value`
//! header):
//! - InfluxDB line protocol, one point per line (`--precision`, default ns), sent as is;
//!   blank lines and `#` comments are skipped. A string field spanning lines is not supported.
//! - CSV `series,timestamp,value` (timestamps in ms, float values), as `codec-report` reads
//!   it. `series` is a Prometheus series (`name{label="v",...}` or `{__name__="name",...}`,
//!   the form `promtool tsdb dump` prints) or a line-protocol series key (`cpu,host=a`); the
//!   value becomes the float field `value`. Rows with NaN or infinite values are skipped
//!   (line protocol cannot carry them) and counted.
//!
//! A batch refused with 429/503 (backpressure) is retried after `Retry-After`; any other
//! refusal stops the import with the server's message and the batch's line range.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use strata_protocol::line::{escape_key, escape_measurement};

use crate::client::{CliError, Client};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// CSV if the first line is `series,timestamp,value`, line protocol otherwise.
    Auto,
    /// InfluxDB line protocol.
    Line,
    /// CSV `series,timestamp,value` with ms timestamps.
    Csv,
}

/// Flags of `strata import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The file to send.
    pub file: PathBuf,
    /// Base URL of the server.
    #[arg(long, env = "STRATA_URL", default_value = "http://127.0.0.1:8086")]
    pub url: String,
    /// File format.
    #[arg(long, value_enum, default_value_t = ImportFormat::Auto)]
    pub format: ImportFormat,
    /// Timestamp precision of a line-protocol file: ns, us, ms or s.
    #[arg(long, default_value = "ns")]
    pub precision: String,
    /// Points per request.
    #[arg(long, default_value_t = 5_000)]
    pub batch_size: usize,
    /// Bearer token, if the server requires one.
    #[arg(long, env = "STRATA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// One batch being filled.
struct Batch {
    body: String,
    points: usize,
    first_line: usize,
}

pub fn run(args: &ImportArgs) -> Result<(), CliError> {
    if args.batch_size == 0 {
        return Err(CliError::Usage("--batch-size must be > 0".into()));
    }
    let path = args.file.display().to_string();
    let read_err = |source| CliError::Read {
        path: path.clone(),
        source,
    };
    let file = File::open(&args.file).map_err(read_err)?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::new(file);

    let bar = crate::client::byte_bar(total);
    let client = Client::new(&args.url, args.token.clone());
    let started = Instant::now();
    let mut format = args.format;
    let mut batch = Batch {
        body: String::new(),
        points: 0,
        first_line: 1,
    };
    let (mut sent, mut skipped, mut read_bytes) = (0usize, 0usize, 0u64);
    let mut line = String::new();
    let mut line_no = 0usize;
    let mut csv = false;
    loop {
        line.clear();
        let n = reader.read_line(&mut line).map_err(read_err)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        read_bytes += n as u64;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        if format == ImportFormat::Auto {
            format = if is_csv_header(text) {
                ImportFormat::Csv
            } else {
                ImportFormat::Line
            };
        }
        if format == ImportFormat::Csv && !csv {
            csv = true;
            if is_csv_header(text) {
                continue;
            }
        }
        if batch.points == 0 {
            batch.first_line = line_no;
        }
        match format {
            ImportFormat::Csv => match csv_to_line(text) {
                Ok(Some(lp)) => {
                    batch.body.push_str(&lp);
                    batch.body.push('\n');
                    batch.points += 1;
                }
                Ok(None) => skipped += 1,
                Err(reason) => {
                    return Err(CliError::Input {
                        path,
                        line: line_no,
                        reason,
                    });
                }
            },
            _ => {
                if text.trim_start().starts_with('#') {
                    continue;
                }
                batch.body.push_str(text);
                batch.body.push('\n');
                batch.points += 1;
            }
        }
        if batch.points >= args.batch_size {
            sent += send(&client, &mut batch, csv, &args.precision, line_no, &path)?;
            bar.set_position(read_bytes);
            bar.set_message(format!("{sent} points"));
        }
    }
    if batch.points > 0 {
        sent += send(&client, &mut batch, csv, &args.precision, line_no, &path)?;
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    if skipped > 0 {
        eprintln!(
            "skipped {skipped} rows with NaN or infinite values (line protocol cannot carry them)"
        );
    }
    println!(
        "imported {sent} points from {path} in {secs:.2} s ({:.0} points/s)",
        sent as f64 / secs
    );
    Ok(())
}

fn is_csv_header(line: &str) -> bool {
    line.trim().eq_ignore_ascii_case("series,timestamp,value")
}

/// Sends one batch, retrying on backpressure; returns its point count.
fn send(
    client: &Client,
    batch: &mut Batch,
    csv: bool,
    precision: &str,
    last_line: usize,
    path: &str,
) -> Result<usize, CliError> {
    let precision = if csv { "ms" } else { precision };
    let target = format!("/write?precision={precision}");
    let mut attempts = 0;
    loop {
        let answer = client.post(&target, "text/plain; charset=utf-8", batch.body.as_bytes())?;
        if (answer.status == 429 || answer.status == 503) && attempts < 120 {
            attempts += 1;
            std::thread::sleep(Duration::from_secs(
                answer.retry_after.unwrap_or(1).clamp(1, 30),
            ));
            continue;
        }
        answer.success().map_err(|e| match e {
            CliError::Server { status, message } => CliError::Server {
                status,
                message: format!(
                    "{message} (batch of {path} lines {}-{last_line})",
                    batch.first_line
                ),
            },
            other => other,
        })?;
        let n = batch.points;
        batch.body.clear();
        batch.points = 0;
        return Ok(n);
    }
}

/// One CSV row as a line-protocol line; `None` for a non-finite value.
fn csv_to_line(row: &str) -> Result<Option<String>, String> {
    // The series may itself contain commas (Prometheus label sets): split from the right.
    let mut parts = row.rsplitn(3, ',');
    let (Some(value), Some(ts), Some(series)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("expected series,timestamp,value".into());
    };
    let ts: i64 = ts
        .trim()
        .parse()
        .map_err(|_| format!("bad timestamp {ts:?}"))?;
    let value: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("bad value {value:?}"))?;
    if !value.is_finite() {
        return Ok(None);
    }
    let key = series_key(series.trim())?;
    Ok(Some(format!("{key} value={value:?} {ts}")))
}

/// The line-protocol series key for a CSV `series` column.
fn series_key(series: &str) -> Result<String, String> {
    let Some(open) = series.find('{') else {
        // Already a line-protocol series key; only unescaped spaces need escaping.
        return Ok(escape_spaces(series));
    };
    let name = &series[..open];
    let body = series[open + 1..]
        .strip_suffix('}')
        .ok_or_else(|| format!("unterminated label set in {series:?}"))?;
    let labels = parse_labels(body).map_err(|e| format!("{e} in {series:?}"))?;
    let mut measurement = name.to_string();
    let mut tags: Vec<(String, String)> = Vec::new();
    for (k, v) in labels {
        if k == "__name__" {
            measurement = v;
        } else if !v.is_empty() {
            tags.push((k, v));
        }
    }
    if measurement.is_empty() {
        return Err(format!("no metric name in {series:?}"));
    }
    tags.sort();
    let mut out = String::with_capacity(series.len());
    escape_measurement(&mut out, &measurement);
    for (k, v) in tags {
        out.push(',');
        escape_key(&mut out, &k);
        out.push('=');
        escape_key(&mut out, &v);
    }
    Ok(out)
}

/// `a="x", b="y\"z"` -> pairs.
fn parse_labels(body: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut rest = body.trim();
    while !rest.is_empty() {
        let eq = rest.find('=').ok_or("label without '='")?;
        let name = rest[..eq].trim().to_string();
        rest = rest[eq + 1..].trim_start();
        rest = rest.strip_prefix('"').ok_or("label value without quotes")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, other)) => value.push(other),
                    None => return Err("dangling escape".into()),
                },
                '"' => {
                    end = Some(i);
                    break;
                }
                other => value.push(other),
            }
        }
        let end = end.ok_or("unterminated label value")?;
        out.push((name, value));
        rest = rest[end + 1..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    Ok(out)
}

fn escape_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_backslash = false;
    for c in s.chars() {
        if c == ' ' && !prev_backslash {
            out.push('\\');
        }
        prev_backslash = c == '\\' && !prev_backslash;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_become_line_protocol() {
        assert_eq!(
            csv_to_line("cpu,1000,1.5").unwrap().unwrap(),
            "cpu value=1.5 1000"
        );
        assert_eq!(
            csv_to_line("cpu,host=a,1000,2").unwrap().unwrap(),
            "cpu,host=a value=2.0 1000"
        );
        assert_eq!(
            csv_to_line(r#"up{job="prom", instance="localhost:9090"},5,1"#)
                .unwrap()
                .unwrap(),
            "up,instance=localhost:9090,job=prom value=1.0 5"
        );
        assert_eq!(
            csv_to_line(r#"{__name__="x", a="b c,d", e=""},5,1"#)
                .unwrap()
                .unwrap(),
            r"x,a=b\ c\,d value=1.0 5"
        );
        assert_eq!(csv_to_line("cpu,1,NaN").unwrap(), None);
        assert!(csv_to_line("cpu,x,1").is_err());
        assert!(csv_to_line("cpu").is_err());
        assert!(csv_to_line(r#"up{a="b"#).is_err());
        assert_eq!(
            csv_to_line("my cpu,1,3").unwrap().unwrap(),
            r"my\ cpu value=3.0 1"
        );
    }
}
