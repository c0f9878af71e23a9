//! Strata JSON points: an array of
//! `{"measurement":"cpu","tags":{...},"fields":{...},"timestamp":<ms>}`.

use super::{push_f64, push_i64};
use crate::data::{FIELDS, HostTags, MEASUREMENT, Row};

/// JSON bodies, with each host's `{"measurement":..,"tags":{..},"fields":{` prefix computed
/// once.
#[derive(Debug, Clone)]
pub struct JsonEncoder {
    prefixes: Vec<Vec<u8>>,
}

impl JsonEncoder {
    /// An encoder for these hosts.
    pub fn new(hosts: &[HostTags]) -> JsonEncoder {
        let prefixes = hosts
            .iter()
            .map(|h| {
                let tags: serde_json::Map<String, serde_json::Value> = h
                    .pairs()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::from(v)))
                    .collect();
                let head = serde_json::json!({ "measurement": MEASUREMENT, "tags": tags });
                let mut p = serde_json::to_vec(&head).unwrap_or_default();
                p.pop(); // the closing brace
                p.extend_from_slice(b",\"fields\":{");
                p
            })
            .collect();
        JsonEncoder { prefixes }
    }

    /// Appends a JSON array of the rows.
    pub fn encode(&self, rows: &[Row], out: &mut Vec<u8>) {
        out.push(b'[');
        for (n, r) in rows.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&self.prefixes[r.host as usize]);
            for (i, (name, v)) in FIELDS.iter().zip(r.values).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b"\":");
                push_f64(out, v);
            }
            out.extend_from_slice(b"},\"timestamp\":");
            push_i64(out, r.ts_ms);
            out.push(b'}');
        }
        out.push(b']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DataSpec, Generator};

    #[test]
    fn valid_json_with_the_rows() {
        let spec = DataSpec {
            scale: 3,
            start_ms: 1_451_606_400_000,
            duration_ms: 30_000,
            seed: 2,
            integer_values: false,
        };
        let (tags, rows) = Generator::all_rows(spec);
        let mut out = Vec::new();
        JsonEncoder::new(&tags).encode(&rows, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let points = v.as_array().unwrap();
        assert_eq!(points.len(), rows.len());
        for (p, r) in points.iter().zip(&rows) {
            assert_eq!(p["measurement"], "cpu");
            assert_eq!(p["tags"]["hostname"], format!("host_{}", r.host));
            assert_eq!(p["tags"].as_object().unwrap().len(), 10);
            assert_eq!(p["timestamp"], r.ts_ms);
            for (f, x) in FIELDS.iter().zip(r.values) {
                assert_eq!(p["fields"][f].as_f64().unwrap(), x);
            }
        }
    }
}
