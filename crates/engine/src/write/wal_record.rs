//! The payload of a WAL record: one acknowledged [`WriteBatch`], self-describing so recovery
//! needs nothing but the log.
//!
//! Layout (version 3): `version u8 = 3` | `seq u64 LE` | generation varint | series count
//! varint | per series: slot varint, then `1` and its canonical key (length varint + UTF-8)
//! or `0` (a slot an earlier record of the generation defined; see [`super::wal_slots`]) |
//! name count varint | each field name (length varint + UTF-8) | point count varint | per
//! point: series index varint (into this record's series), timestamp zigzag varint, field
//! count varint, per field: name index varint, type u8 (codec value type), value (float: 8
//! bytes LE bits; integer: zigzag varint; unsigned: varint; boolean: u8; string: length
//! varint + UTF-8). The WAL frames it with length + CRC32C.
//!
//! Earlier builds wrote versions 1 and 2, still read: version 2 had no generation and no
//! slots (each series' key inline), version 1 also no name table (each field carried its
//! name where version 2 has the index).

use strata_codec::varint::{Cursor, put_ivarint, put_uvarint};

use super::batch::WriteBatch;
use super::wal_slots::{Slot, SlotDict};
use crate::data::{FieldValue, ValueType};
use crate::index::split_canonical;

const VERSION: u8 = 3;

/// Encodes `batch` written with sequence number `seq` into `generation`, each series named
/// as `slots` says (aligned with the batch's series).
pub fn encode(seq: u64, generation: u64, batch: &WriteBatch, slots: &[Slot], out: &mut Vec<u8>) {
    out.push(VERSION);
    out.extend_from_slice(&seq.to_le_bytes());
    put_uvarint(out, generation);
    put_uvarint(out, batch.series().len() as u64);
    for (s, slot) in batch.series().iter().zip(slots) {
        put_uvarint(out, u64::from(slot.slot));
        if slot.define {
            out.push(1);
            put_str(out, s.canonical());
        } else {
            out.push(0);
        }
    }
    put_uvarint(out, batch.names().len() as u64);
    for n in batch.names() {
        put_str(out, n);
    }
    put_uvarint(out, batch.len() as u64);
    for p in batch.points() {
        put_uvarint(out, u64::from(p.series));
        put_ivarint(out, p.timestamp);
        let fields = batch.fields_of(p);
        put_uvarint(out, fields.len() as u64);
        for (name, value) in fields {
            put_uvarint(out, u64::from(*name));
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

fn get_str<'a>(cur: &mut Cursor<'a>, limit: usize) -> Result<&'a str, String> {
    let len = cur
        .count("string length", limit)
        .map_err(|e| e.to_string())?;
    let raw = cur.bytes(len, "string").map_err(|e| e.to_string())?;
    std::str::from_utf8(raw).map_err(|e| format!("invalid UTF-8: {e}"))
}

/// A field's name as a record holds it.
enum Name<'a> {
    Index(u32),
    Text(&'a str),
}

/// Decodes a record into its sequence number and batch, resolving slot references through
/// (and adding definitions to) `slots`, the dictionary of the generation being replayed; the
/// error says what is malformed.
pub fn decode(bytes: &[u8], slots: &mut SlotDict) -> Result<(u64, WriteBatch), String> {
    let e = |err: strata_codec::CodecError| err.to_string();
    let mut cur = Cursor::new(bytes);
    let version = cur.u8("record version").map_err(e)?;
    if !(1..=VERSION).contains(&version) {
        return Err(format!("unknown WAL record version {version}"));
    }
    let raw = cur.bytes(8, "sequence number").map_err(e)?;
    let mut seq = [0u8; 8];
    seq.copy_from_slice(raw);
    let seq = u64::from_le_bytes(seq);
    let limit = bytes.len();
    let mut batch = WriteBatch::new();
    if version >= 3 {
        slots.enter(cur.uvarint("generation").map_err(e)?);
    }
    let n = cur.count("series count", limit).map_err(e)?;
    for _ in 0..n {
        let key: std::sync::Arc<str> = if version >= 3 {
            let slot = u32::try_from(cur.uvarint("slot").map_err(e)?)
                .map_err(|_| "slot out of range".to_string())?;
            match cur.u8("slot flag").map_err(e)? {
                1 => {
                    let key: std::sync::Arc<str> = get_str(&mut cur, limit)?.into();
                    slots.define(slot, key.clone());
                    key
                }
                0 => slots
                    .get(slot)
                    .cloned()
                    .ok_or_else(|| format!("series slot {slot} was never defined"))?,
                flag => return Err(format!("unknown slot flag {flag}")),
            }
        } else {
            get_str(&mut cur, limit)?.into()
        };
        let (measurement, _) =
            split_canonical(&key).ok_or_else(|| format!("malformed series key {key:?}"))?;
        batch.push_decoded_series(&key, &measurement);
    }
    if batch.series().len() != n {
        return Err("a series key appears twice".into());
    }
    let names = if version >= 2 {
        let n = cur.count("name count", limit).map_err(e)?;
        for _ in 0..n {
            batch.push_decoded_name(get_str(&mut cur, limit)?);
        }
        if batch.names().len() != n {
            return Err("a field name appears twice".into());
        }
        n
    } else {
        0
    };
    let n = cur.count("point count", limit).map_err(e)?;
    for _ in 0..n {
        let series = cur
            .count("series index", batch.series().len().saturating_sub(1))
            .map_err(e)?;
        if series >= batch.series().len() {
            return Err("series index out of range".into());
        }
        let timestamp = cur.ivarint("timestamp").map_err(e)?;
        let nf = cur.count("field count", limit).map_err(e)?;
        batch.begin_point(series as u32, timestamp);
        for _ in 0..nf {
            let name = if version >= 2 {
                let i = cur
                    .count("name index", names.saturating_sub(1))
                    .map_err(e)?;
                if i >= names {
                    return Err("name index out of range".into());
                }
                Name::Index(i as u32)
            } else {
                Name::Text(get_str(&mut cur, limit)?)
            };
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
                ValueType::String => FieldValue::String(get_str(&mut cur, limit)?.to_string()),
            };
            match name {
                Name::Index(i) => batch.push_field_index(i, value),
                Name::Text(t) => batch.push_field(t, value),
            }
        }
    }
    cur.finish("WAL record").map_err(e)?;
    Ok((seq, batch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Point;
    use crate::index::SeriesKey;

    fn points() -> Vec<Point> {
        let s = SeriesKey::new("cpu", vec![("host".into(), "a b".into())]);
        vec![
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
        ]
    }

    fn defined(n: usize) -> Vec<Slot> {
        (0..n as u32)
            .map(|slot| Slot { slot, define: true })
            .collect()
    }

    #[test]
    fn round_trip() {
        let batch = WriteBatch::from_points(&points());
        let mut buf = Vec::new();
        encode(42, 7, &batch, &defined(1), &mut buf);
        let (seq, back) = decode(&buf, &mut SlotDict::default()).unwrap();
        assert_eq!(seq, 42);
        assert_eq!(back, batch);
        for cut in 0..buf.len() {
            assert!(decode(&buf[..cut], &mut SlotDict::default()).is_err());
        }
    }

    #[test]
    fn references_resolve_through_the_generation_slots() {
        let batch = WriteBatch::from_points(&points());
        let (mut first, mut second) = (Vec::new(), Vec::new());
        encode(1, 7, &batch, &defined(1), &mut first);
        let reference = [Slot {
            slot: 0,
            define: false,
        }];
        encode(2, 7, &batch, &reference, &mut second);
        assert!(
            second.len() < first.len(),
            "a reference is shorter than the key"
        );
        let mut dict = SlotDict::default();
        assert!(
            decode(&second, &mut dict).is_err(),
            "a reference before its definition"
        );
        decode(&first, &mut dict).unwrap();
        assert_eq!(decode(&second, &mut dict).unwrap().1, batch);
        // Another generation does not see generation 7's slots.
        let mut other = Vec::new();
        encode(3, 8, &batch, &reference, &mut other);
        assert!(decode(&other, &mut dict).is_err());
    }

    /// A version 1 record (field names inline), as earlier builds wrote it, decodes to the
    /// same batch.
    #[test]
    fn version_1_records_still_decode() {
        let pts = points();
        let mut v1 = vec![1u8];
        v1.extend_from_slice(&9u64.to_le_bytes());
        put_uvarint(&mut v1, 1);
        put_str(&mut v1, &pts[0].series.canonical());
        put_uvarint(&mut v1, pts.len() as u64);
        for p in &pts {
            put_uvarint(&mut v1, 0);
            put_ivarint(&mut v1, p.timestamp);
            put_uvarint(&mut v1, p.fields.len() as u64);
            for (name, value) in &p.fields {
                put_str(&mut v1, name);
                v1.push(value.value_type() as u8);
                match value {
                    FieldValue::Float(v) => v1.extend_from_slice(&v.to_bits().to_le_bytes()),
                    FieldValue::Integer(v) => put_ivarint(&mut v1, *v),
                    FieldValue::Unsigned(v) => put_uvarint(&mut v1, *v),
                    FieldValue::Boolean(v) => v1.push(u8::from(*v)),
                    FieldValue::String(v) => put_str(&mut v1, v),
                }
            }
        }
        let (seq, back) = decode(&v1, &mut SlotDict::default()).unwrap();
        assert_eq!(seq, 9);
        assert_eq!(back, WriteBatch::from_points(&pts));
    }
}
