//! Prometheus remote write: each `(host, field)` is a series named `cpu_<field>` with the
//! host's tags as labels (sorted by name, as the spec requires); a batch of rows becomes one
//! `WriteRequest` with one `TimeSeries` per series it touches, samples oldest first.
//!
//! Each series' labels are protobuf-encoded once (with `strata_protocol`'s prost types);
//! a body is then those bytes plus the samples, written directly, and snappy-compressed
//! with `strata_protocol::remote_write::compress`. Building prost structs per batch would
//! clone 11 label strings per series per request, which at 4,000 hosts made the encoder
//! slower than the databases. [`RemoteWriteEncoder::request`] builds the same request as
//! prost structs, for tests.

use std::collections::HashMap;

use prost::Message as _;
use strata_protocol::remote_write::{
    Label, NAME_LABEL, Sample, TimeSeries, WriteRequest, compress,
};

use crate::data::{FIELDS, HostTags, MEASUREMENT, Row};
use crate::error::Result;

/// The Prometheus metric name of a field: `cpu_usage_user`.
pub fn metric_name(field: &str) -> String {
    format!("{MEASUREMENT}_{field}")
}

/// Remote-write bodies, with each series' sorted labels computed once.
#[derive(Debug, Clone)]
pub struct RemoteWriteEncoder {
    /// `labels[host][field]`.
    labels: Vec<Vec<Vec<Label>>>,
    /// `encoded[host][field]`: the labels as `TimeSeries` field 1 entries.
    encoded: Vec<Vec<Vec<u8>>>,
}

impl RemoteWriteEncoder {
    /// An encoder for these hosts.
    pub fn new(hosts: &[HostTags]) -> RemoteWriteEncoder {
        let labels: Vec<Vec<Vec<Label>>> = hosts
            .iter()
            .map(|h| {
                FIELDS
                    .iter()
                    .map(|f| {
                        let mut l: Vec<Label> = h
                            .pairs()
                            .map(|(k, v)| Label {
                                name: k.to_string(),
                                value: v.to_string(),
                            })
                            .collect();
                        l.push(Label {
                            name: NAME_LABEL.to_string(),
                            value: metric_name(f),
                        });
                        l.sort_by(|a, b| a.name.cmp(&b.name));
                        l
                    })
                    .collect()
            })
            .collect();
        let encoded = labels
            .iter()
            .map(|per_field: &Vec<Vec<Label>>| {
                per_field
                    .iter()
                    .map(|l| {
                        TimeSeries {
                            labels: l.clone(),
                            samples: Vec::new(),
                        }
                        .encode_to_vec()
                    })
                    .collect()
            })
            .collect();
        RemoteWriteEncoder { labels, encoded }
    }

    /// The `WriteRequest` for `rows` (before protobuf and snappy).
    pub fn request(&self, rows: &[Row]) -> WriteRequest {
        let mut index: HashMap<(u32, usize), usize> = HashMap::new();
        let mut timeseries: Vec<TimeSeries> = Vec::new();
        for r in rows {
            for (f, v) in r.values.iter().enumerate() {
                let i = *index.entry((r.host, f)).or_insert_with(|| {
                    timeseries.push(TimeSeries {
                        labels: self.labels[r.host as usize][f].clone(),
                        samples: Vec::new(),
                    });
                    timeseries.len() - 1
                });
                timeseries[i].samples.push(Sample {
                    value: *v,
                    timestamp: r.ts_ms,
                });
            }
        }
        WriteRequest {
            timeseries,
            metadata: Vec::new(),
        }
    }

    /// One snappy-compressed protobuf body for `rows`: the same message as
    /// [`RemoteWriteEncoder::request`].
    pub fn encode(&self, rows: &[Row]) -> Result<Vec<u8>> {
        // Rows per host, hosts in order of first appearance.
        let mut slot: HashMap<u32, usize> = HashMap::new();
        let mut per_host: Vec<(u32, Vec<&Row>)> = Vec::new();
        for r in rows {
            let i = *slot.entry(r.host).or_insert_with(|| {
                per_host.push((r.host, Vec::new()));
                per_host.len() - 1
            });
            per_host[i].1.push(r);
        }
        let mut raw = Vec::with_capacity(rows.len() * FIELDS.len() * 24 + per_host.len() * 2400);
        let mut series = Vec::with_capacity(4096);
        for (host, host_rows) in &per_host {
            for (f, labels) in self.encoded[*host as usize].iter().enumerate() {
                series.clear();
                series.extend_from_slice(labels);
                for r in host_rows {
                    // Sample { double value = 1; int64 timestamp = 2; } as TimeSeries field 2.
                    let mut sample = [0u8; 1 + 8 + 1 + 10];
                    sample[0] = 0x09;
                    sample[1..9].copy_from_slice(&r.values[f].to_le_bytes());
                    sample[9] = 0x10;
                    let n = 10 + put_varint(&mut sample[10..], r.ts_ms as u64);
                    series.push(0x12);
                    series.push(n as u8);
                    series.extend_from_slice(&sample[..n]);
                }
                raw.push(0x0A);
                let mut len = [0u8; 10];
                let k = put_varint(&mut len, series.len() as u64);
                raw.extend_from_slice(&len[..k]);
                raw.extend_from_slice(&series);
            }
        }
        Ok(compress(&raw)?)
    }
}

/// Writes `v` as a protobuf varint into `out`; returns its length.
fn put_varint(out: &mut [u8], mut v: u64) -> usize {
    let mut i = 0;
    while v >= 0x80 {
        out[i] = (v as u8) | 0x80;
        v >>= 7;
        i += 1;
    }
    out[i] = v as u8;
    i + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DataSpec, Generator};
    use strata_protocol::remote_write::decode;

    #[test]
    fn one_series_per_host_and_field_with_sorted_labels() {
        let spec = DataSpec {
            scale: 2,
            start_ms: 1_451_606_400_000,
            duration_ms: 30_000,
            seed: 3,
            integer_values: false,
        };
        let (tags, rows) = Generator::all_rows(spec);
        let enc = RemoteWriteEncoder::new(&tags);
        let body = enc.encode(&rows).unwrap();
        let req = decode(&body, 1 << 30).unwrap();
        assert_eq!(req.timeseries.len(), 2 * 10);
        for ts in &req.timeseries {
            assert_eq!(ts.labels.len(), 11);
            assert!(ts.labels.windows(2).all(|w| w[0].name < w[1].name));
            assert_eq!(ts.samples.len(), 3);
            assert!(
                ts.samples
                    .windows(2)
                    .all(|w| w[0].timestamp + 10_000 == w[1].timestamp)
            );
        }
        let first = &req.timeseries[0];
        let name = first.labels.iter().find(|l| l.name == "__name__").unwrap();
        assert_eq!(name.value, "cpu_usage_user");
        assert_eq!(first.samples[0].value, rows[0].values[0]);
        assert_eq!(
            req,
            enc.request(&rows),
            "hand-written bytes decode to prost's request"
        );
    }

    #[test]
    fn same_request_as_prost_at_any_scale_and_value() {
        let spec = DataSpec {
            scale: 7,
            start_ms: -5_000_000,
            duration_ms: 120_000,
            seed: 9,
            integer_values: true,
        };
        let (tags, mut rows) = Generator::all_rows(spec);
        rows[3].values[2] = 0.0; // a default value prost leaves out
        let enc = RemoteWriteEncoder::new(&tags);
        for chunk in [&rows[..], &rows[..5], &rows[10..11]] {
            let req = decode(&enc.encode(chunk).unwrap(), 1 << 30).unwrap();
            assert_eq!(req, enc.request(chunk));
        }
    }
}
