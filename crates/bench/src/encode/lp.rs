//! InfluxDB line protocol: `cpu,hostname=host_0,region=...  usage_user=58.1,... <ns>`.
//! Tag values of the data set need no escaping (no spaces, commas or `=`).

use super::{push_f64, push_i64};
use crate::data::{FIELDS, HostTags, MEASUREMENT, Row};

/// Line-protocol bodies, with each host's `measurement,tags ` prefix computed once.
#[derive(Debug, Clone)]
pub struct LpEncoder {
    prefixes: Vec<Vec<u8>>,
}

impl LpEncoder {
    /// An encoder for these hosts.
    pub fn new(hosts: &[HostTags]) -> LpEncoder {
        let prefixes = hosts
            .iter()
            .map(|h| {
                let mut p = MEASUREMENT.as_bytes().to_vec();
                for (k, v) in h.pairs() {
                    p.push(b',');
                    p.extend_from_slice(k.as_bytes());
                    p.push(b'=');
                    p.extend_from_slice(v.as_bytes());
                }
                p.push(b' ');
                p
            })
            .collect();
        LpEncoder { prefixes }
    }

    /// Appends one line per row (nanosecond timestamps).
    pub fn encode(&self, rows: &[Row], out: &mut Vec<u8>) {
        for r in rows {
            out.extend_from_slice(&self.prefixes[r.host as usize]);
            for (i, (name, v)) in FIELDS.iter().zip(r.values).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(name.as_bytes());
                out.push(b'=');
                push_f64(out, v);
            }
            out.push(b' ');
            push_i64(out, r.ts_ms * 1_000_000);
            out.push(b'\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DataSpec, Generator};

    #[test]
    fn one_line_per_row_with_every_tag_and_field() {
        let spec = DataSpec {
            scale: 2,
            start_ms: 1_451_606_400_000,
            duration_ms: 20_000,
            seed: 1,
            integer_values: false,
        };
        let (tags, rows) = Generator::all_rows(spec);
        let mut out = Vec::new();
        LpEncoder::new(&tags).encode(&rows, &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        let first = lines[0];
        assert!(first.starts_with("cpu,hostname=host_0,region="), "{first}");
        assert!(first.ends_with(" 1451606400000000000"), "{first}");
        let (series, rest) = first.split_once(' ').unwrap();
        assert_eq!(series.split(',').count(), 11);
        let fields = rest.split_once(' ').unwrap().0;
        let parsed: Vec<(&str, f64)> = fields
            .split(',')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k, v.parse().unwrap())
            })
            .collect();
        assert_eq!(parsed.iter().map(|p| p.0).collect::<Vec<_>>(), FIELDS);
        for (p, v) in parsed.iter().zip(rows[0].values) {
            assert_eq!(p.1, v, "values round-trip exactly");
        }
        assert!(lines[2].starts_with("cpu,hostname=host_0,"));
        assert!(lines[2].ends_with(" 1451606410000000000"));
    }
}
