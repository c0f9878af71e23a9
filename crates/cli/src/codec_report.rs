//! `strata codec-report FILE`: how well each codec scheme compresses real data.
//!
//! Reads points from CSV (`series,timestamp,value` header, timestamps in ms) or InfluxDB line
//! protocol (ns timestamps), groups them into series columns, sorts each by time, cuts it into
//! blocks exactly as the SSTable writer does, and prints the encoded bytes per point of every
//! scheme and of the chosen one. The last line is `bytes/point: N` for the chosen encoding
//! (timestamps and values, block headers included, series keys excluded).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use strata_codec::float::{FloatEncoder, FloatScheme};
use strata_codec::timestamp::{self, TimestampScheme};
use strata_codec::varint::uvarint_len;
use strata_codec::{BlockEncoder, ColumnRef, gorilla};
use strata_engine::{ColumnData, FieldValue};
use strata_protocol::Precision;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("line {line}: {reason}")]
    Csv { line: usize, reason: String },
    #[error("{0}")]
    LineProtocol(String),
    #[error("series column {column:?} mixes {first} and {second} values")]
    MixedTypes {
        column: String,
        first: &'static str,
        second: &'static str,
    },
    #[error("encoding failed: {0}")]
    Encode(String),
}

/// Byte totals of one scheme over all blocks it applies to.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    bytes: u64,
    points: u64,
    /// Blocks where the scheme did not apply and the chosen encoding was counted instead.
    fallback_blocks: u64,
}

#[derive(Debug, Default)]
struct Report {
    columns: usize,
    points: u64,
    blocks: u64,
    tallies: BTreeMap<&'static str, Tally>,
    usage: BTreeMap<&'static str, u64>,
}

impl Report {
    fn add(&mut self, name: &'static str, bytes: usize, points: usize, fallback: bool) {
        let t = self.tallies.entry(name).or_default();
        t.bytes += bytes as u64;
        t.points += points as u64;
        t.fallback_blocks += u64::from(fallback);
    }
}

/// Reads the file into sorted, deduplicated columns keyed by series (and field).
fn load(path: &Path) -> Result<BTreeMap<String, ColumnData>, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mut columns: HashMap<String, ColumnData> = HashMap::new();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.trim().eq_ignore_ascii_case("series,timestamp,value") {
        for (n, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let err = |reason: String| ReportError::Csv {
                line: n + 1,
                reason,
            };
            // The series may itself contain commas (Prometheus label sets): split from the right.
            let mut parts = line.rsplitn(3, ',');
            let (Some(value), Some(ts), Some(series)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(err("expected series,timestamp,value".into()));
            };
            let ts: i64 = ts
                .trim()
                .parse()
                .map_err(|_| err(format!("bad timestamp {ts:?}")))?;
            let value: f64 = value
                .trim()
                .parse()
                .map_err(|_| err(format!("bad value {value:?}")))?;
            let ts = ts
                .checked_mul(1_000_000)
                .ok_or_else(|| err(format!("timestamp {ts} overflows ns")))?;
            push(&mut columns, series.trim(), ts, &FieldValue::Float(value))?;
        }
    } else {
        // Parse in chunks of lines so a large file never becomes one giant batch.
        let mut chunk = String::new();
        let mut lines = text.lines().peekable();
        while lines.peek().is_some() {
            chunk.clear();
            for line in lines.by_ref().take(50_000) {
                chunk.push_str(line);
                chunk.push('\n');
            }
            let batch = strata_protocol::line::parse(chunk.as_bytes(), Precision::Nanoseconds)
                .map_err(|e| ReportError::LineProtocol(e.to_string()))?;
            for p in batch.iter() {
                let mut key = String::from(p.measurement());
                let mut tags: Vec<_> = p.tags().iter().collect();
                tags.sort();
                for (k, v) in tags {
                    let _ = write!(key, ",{k}={v}");
                }
                let ts = p.timestamp().unwrap_or(0);
                for (field, value) in p.fields() {
                    let value = match value {
                        strata_protocol::FieldValue::Float(v) => FieldValue::Float(*v),
                        strata_protocol::FieldValue::Integer(v) => FieldValue::Integer(*v),
                        strata_protocol::FieldValue::Unsigned(v) => FieldValue::Unsigned(*v),
                        strata_protocol::FieldValue::Boolean(v) => FieldValue::Boolean(*v),
                        strata_protocol::FieldValue::String(v) => FieldValue::String(v.to_string()),
                    };
                    push(&mut columns, &format!("{key} {field}"), ts, &value)?;
                }
            }
        }
    }
    Ok(columns
        .into_iter()
        .map(|(k, mut c)| {
            c.sort_dedup();
            (k, c)
        })
        .collect())
}

fn push(
    columns: &mut HashMap<String, ColumnData>,
    key: &str,
    ts: i64,
    value: &FieldValue,
) -> Result<(), ReportError> {
    let col = columns
        .entry(key.to_string())
        .or_insert_with(|| ColumnData::new(value.value_type()));
    if !col.push(ts, value) {
        return Err(ReportError::MixedTypes {
            column: key.to_string(),
            first: col.value_type().name(),
            second: value.value_type().name(),
        });
    }
    Ok(())
}

/// Encodes every block with every scheme and tallies the sizes.
fn measure(
    columns: &BTreeMap<String, ColumnData>,
    block_points: usize,
) -> Result<Report, ReportError> {
    let mut report = Report {
        columns: columns.len(),
        ..Report::default()
    };
    let mut enc = BlockEncoder::default();
    let mut floats = FloatEncoder::default();
    let mut buf = Vec::new();
    for col in columns.values() {
        for start in (0..col.len()).step_by(block_points.max(1)) {
            let end = (start + block_points).min(col.len());
            let idx: Vec<usize> = (start..end).collect();
            let block = col.gather(&idx);
            let n = block.len();
            report.points += n as u64;
            report.blocks += 1;

            buf.clear();
            let schemes = enc
                .encode(&block.ts, block.values.as_ref(), &mut buf)
                .map_err(|e| ReportError::Encode(e.to_string()))?;
            let chosen_block = buf.len();
            report.add("block: chosen", chosen_block, n, false);
            *report.usage.entry(schemes.timestamps).or_default() += 1;
            *report.usage.entry(schemes.values).or_default() += 1;

            let mut ts_sizes = Vec::new();
            for (name, scheme, plain) in [
                ("ts: gorilla (plain)", TimestampScheme::Gorilla, true),
                ("ts: gorilla (scaled)", TimestampScheme::Gorilla, false),
                (
                    "ts: gorilla-fine (scaled)",
                    TimestampScheme::GorillaFine,
                    false,
                ),
                ("ts: scaled-int", TimestampScheme::ScaledInt, false),
            ] {
                buf.clear();
                timestamp::encode_with(&block.ts, scheme, plain, &mut buf);
                report.add(name, buf.len(), n, false);
                ts_sizes.push(buf.len());
            }
            buf.clear();
            timestamp::encode(&block.ts, &mut buf);
            let chosen_ts = buf.len();
            report.add("ts: chosen", chosen_ts, n, false);
            // Block header: version, type, timestamp section length.
            let header = 2 + uvarint_len(chosen_ts as u64);
            let chosen_values = chosen_block - header - chosen_ts;
            report.add("values: chosen", chosen_values, n, false);

            let plain_values = match block.values.as_ref() {
                ColumnRef::Float(v) => {
                    for scheme in FloatScheme::ALL {
                        buf.clear();
                        let ok = floats.encode_with(v, scheme, &mut buf).is_some();
                        let name = match scheme {
                            FloatScheme::Gorilla => "values: float gorilla",
                            FloatScheme::Decimal => "values: float decimal",
                            FloatScheme::BitsInt => "values: float bits-int",
                        };
                        report.add(name, if ok { buf.len() } else { chosen_values }, n, !ok);
                    }
                    let bits: Vec<u64> = v.iter().map(|x| x.to_bits()).collect();
                    buf.clear();
                    gorilla::encode(&bits, &mut buf);
                    1 + buf.len()
                }
                _ => chosen_values,
            };
            let plain_ts = ts_sizes[0];
            report.add(
                "block: plain gorilla",
                2 + uvarint_len(plain_ts as u64) + plain_ts + plain_values,
                n,
                false,
            );
        }
    }
    Ok(report)
}

fn render(path: &Path, block_points: usize, r: &Report) -> String {
    let mut out = String::new();
    let per = |bytes: u64, points: u64| {
        if points == 0 {
            0.0
        } else {
            bytes as f64 / points as f64
        }
    };
    let _ = writeln!(out, "codec report: {}", path.display());
    let _ = writeln!(
        out,
        "series columns: {}  points: {}  blocks: {} (up to {} points each)",
        r.columns, r.points, r.blocks, block_points
    );
    let _ = writeln!(
        out,
        "{:<28} {:>14} {:>12}",
        "scheme", "bytes", "bytes/point"
    );
    for (name, t) in &r.tallies {
        let note = if t.fallback_blocks > 0 {
            format!(
                "  (not applicable to {} block(s): chosen size counted)",
                t.fallback_blocks
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{:<28} {:>14} {:>12.3}{note}",
            name,
            t.bytes,
            per(t.bytes, t.points)
        );
    }
    let usage: Vec<String> = r.usage.iter().map(|(k, v)| format!("{k} x{v}")).collect();
    let _ = writeln!(out, "chosen schemes: {}", usage.join(", "));
    let chosen = r.tallies.get("block: chosen").copied().unwrap_or_default();
    let plain = r
        .tallies
        .get("block: plain gorilla")
        .copied()
        .unwrap_or_default();
    if chosen.bytes > 0 {
        let _ = writeln!(
            out,
            "raw 16 bytes/point over chosen: {:.1}:1; plain gorilla over chosen: {:.2}x",
            16.0 * r.points as f64 / chosen.bytes as f64,
            plain.bytes as f64 / chosen.bytes as f64
        );
    }
    let _ = writeln!(out, "bytes/point: {:.3}", per(chosen.bytes, chosen.points));
    out
}

/// Runs the report and returns its text.
pub fn run(path: &Path, block_points: usize) -> Result<String, ReportError> {
    let columns = load(path)?;
    let report = measure(&columns, block_points)?;
    Ok(render(path, block_points, &report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_line_protocol_reports_end_with_bytes_per_point() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("c.csv");
        let mut text = String::from("series,timestamp,value\n");
        for i in 0..3000 {
            let _ = writeln!(
                text,
                "up{{job=\"a,b\"}},{},{}",
                1_700_000_000_000i64 + i * 10_000,
                1
            );
            let _ = writeln!(
                text,
                "temp,{},{}",
                1_700_000_000_000i64 + i * 10_000,
                20.0 + (i % 7) as f64 / 10.0
            );
        }
        std::fs::write(&csv, text).unwrap();
        let out = run(&csv, 1024).unwrap();
        let last = out.lines().last().unwrap();
        assert!(last.starts_with("bytes/point: "), "{out}");
        let bpp: f64 = last["bytes/point: ".len()..].parse().unwrap();
        assert!(bpp < 1.0, "{out}");

        let lp = dir.path().join("d.lp");
        let mut text = String::new();
        for i in 0..100 {
            let _ = writeln!(
                text,
                "cpu,host=a usage={}.5,count={}i {}",
                i % 10,
                i,
                1_000_000_000i64 * i
            );
        }
        std::fs::write(&lp, text).unwrap();
        let out = run(&lp, 1024).unwrap();
        assert!(out.lines().last().unwrap().starts_with("bytes/point: "));
    }

    #[test]
    fn bad_csv_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("c.csv");
        std::fs::write(&csv, "series,timestamp,value\na,1,2\nb,x,3\n").unwrap();
        let err = run(&csv, 1024).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }
}
