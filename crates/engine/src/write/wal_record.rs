//! The payload of a WAL record: one acknowledged write batch, self-describing so recovery
//! needs nothing but the log.
//!
//! Layout (version 1): `version u8 = 1` | `seq u64 LE` | series count varint | each canonical
//! series key (length varint + UTF-8) | point count varint | per point: series index varint,
//! timestamp zigzag varint, field count varint, per field: name (length varint + UTF-8), type
//! u8 (codec value type), value (float: 8 bytes LE bits; integer: zigzag varint; unsigned:
//! varint; boolean: u8; string: length varint + UTF-8). The WAL frames it with length + CRC32C.

use std::collections::HashMap;

use strata_codec::varint::{Cursor, put_ivarint, put_uvarint};

use crate::data::{FieldValue, Point, ValueType};
use crate::index::SeriesKey;

const VERSION: u8 = 1;

/// The distinct series of a batch: their canonical keys and, per point, which one it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSeries {
    pub canonical: Vec<String>,
    /// For each distinct series, the index of a point that has it.
    pub first_point: Vec<usize>,
    /// For each point, the index of its series in `canonical`.
    pub of_point: Vec<usize>,
}

impl BatchSeries {
    pub fn of(points: &[Point]) -> BatchSeries {
        let mut index: HashMap<&SeriesKey, usize> = HashMap::new();
        let mut canonical = Vec::new();
        let mut first_point = Vec::new();
        let of_point = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                *index.entry(&p.series).or_insert_with(|| {
                    canonical.push(p.series.canonical());
                    first_point.push(i);
                    canonical.len() - 1
                })
            })
            .collect();
        BatchSeries {
            canonical,
            first_point,
            of_point,
        }
    }
}

/// Encodes a batch written with sequence number `seq`; `series` is `BatchSeries::of(points)`.
pub fn encode(seq: u64, points: &[Point], series: &BatchSeries, out: &mut Vec<u8>) {
    out.push(VERSION);
    out.extend_from_slice(&seq.to_le_bytes());
    let (keys, ids) = (&series.canonical, &series.of_point);
    put_uvarint(out, keys.len() as u64);
    for k in keys {
        put_str(out, k);
    }
    put_uvarint(out, points.len() as u64);
    for (p, &id) in points.iter().zip(ids) {
        put_uvarint(out, id as u64);
        put_ivarint(out, p.timestamp);
        put_uvarint(out, p.fields.len() as u64);
        for (name, value) in &p.fields {
            put_str(out, name);
            out.push(value.value_type() as u8);
            match value {
                FieldValue::Float(v) => out.extend_from_slice(&v.to_bits().to_le_bytes()),
                FieldValue::Integer(v) => put_ivarint(out, *v),
                FieldValue::Unsigned(v) => put_uvarint(out, *v),
                FieldValue::Boolean(v) => out.push(u8::from(*v)),
                FieldValue::String(v) => put_str(out, v),
            }
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_uvarint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn get_str(cur: &mut Cursor<'_>, limit: usize) -> Result<String, String> {
    let len = cur
        .count("string length", limit)
        .map_err(|e| e.to_string())?;
    let raw = cur.bytes(len, "string").map_err(|e| e.to_string())?;
    String::from_utf8(raw.to_vec()).map_err(|e| format!("invalid UTF-8: {e}"))
}

/// Decodes a record into its sequence number and points; the error says what is malformed.
pub fn decode(bytes: &[u8]) -> Result<(u64, Vec<Point>), String> {
    let e = |err: strata_codec::CodecError| err.to_string();
    let mut cur = Cursor::new(bytes);
    let version = cur.u8("record version").map_err(e)?;
    if version != VERSION {
        return Err(format!("unknown WAL record version {version}"));
    }
    let raw = cur.bytes(8, "sequence number").map_err(e)?;
    let mut seq = [0u8; 8];
    seq.copy_from_slice(raw);
    let seq = u64::from_le_bytes(seq);
    let limit = bytes.len();
    let n = cur.count("series count", limit).map_err(e)?;
    let mut keys = Vec::with_capacity(n.min(crate::limits::PREALLOC_LIMIT));
    for _ in 0..n {
        let text = get_str(&mut cur, limit)?;
        keys.push(
            SeriesKey::parse_canonical(&text)
                .ok_or_else(|| format!("malformed series key {text:?}"))?,
        );
    }
    let n = cur.count("point count", limit).map_err(e)?;
    let mut points = Vec::with_capacity(n.min(crate::limits::PREALLOC_LIMIT));
    for _ in 0..n {
        let id = cur
            .count("series index", keys.len().saturating_sub(1))
            .map_err(e)?;
        let timestamp = cur.ivarint("timestamp").map_err(e)?;
        let nf = cur.count("field count", limit).map_err(e)?;
        let mut fields = Vec::with_capacity(nf.min(crate::limits::PREALLOC_LIMIT));
        for _ in 0..nf {
            let name = get_str(&mut cur, limit)?;
            let ty = ValueType::from_tag(cur.u8("field type").map_err(e)?).map_err(e)?;
            let value = match ty {
                ValueType::Float => {
                    let raw = cur.bytes(8, "float").map_err(e)?;
                    let mut b = [0u8; 8];
                    b.copy_from_slice(raw);
                    FieldValue::Float(f64::from_bits(u64::from_le_bytes(b)))
                }
                ValueType::Integer => FieldValue::Integer(cur.ivarint("integer").map_err(e)?),
                ValueType::Unsigned => FieldValue::Unsigned(cur.uvarint("unsigned").map_err(e)?),
                ValueType::Boolean => FieldValue::Boolean(cur.u8("boolean").map_err(e)? != 0),
                ValueType::String => FieldValue::String(get_str(&mut cur, limit)?),
            };
            fields.push((name, value));
        }
        let series = keys.get(id).cloned().ok_or("series index out of range")?;
        points.push(Point {
            series,
            fields,
            timestamp,
        });
    }
    cur.finish("WAL record").map_err(e)?;
    Ok((seq, points))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = SeriesKey::new("cpu", vec![("host".into(), "a b".into())]);
        let points = vec![
            Point {
                series: s.clone(),
                fields: vec![
                    ("f".into(), FieldValue::Float(f64::NAN)),
                    ("i".into(), FieldValue::Integer(i64::MIN)),
                    ("u".into(), FieldValue::Unsigned(u64::MAX)),
                    ("b".into(), FieldValue::Boolean(true)),
                    ("s".into(), FieldValue::String("x\"y".into())),
                ],
                timestamp: -5,
            },
            Point {
                series: s,
                fields: vec![("f".into(), FieldValue::Float(1.5))],
                timestamp: 7,
            },
        ];
        let mut buf = Vec::new();
        encode(42, &points, &BatchSeries::of(&points), &mut buf);
        let (seq, back) = decode(&buf).unwrap();
        assert_eq!(seq, 42);
        assert_eq!(back.len(), 2);
        assert!(back[0].fields[0].1.same_as(&FieldValue::Float(f64::NAN)));
        assert_eq!(back[1], points[1]);
        for cut in 0..buf.len() {
            assert!(decode(&buf[..cut]).is_err());
        }
    }
}
