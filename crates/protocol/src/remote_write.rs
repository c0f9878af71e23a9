//! Prometheus remote write 1.0: a snappy *block*-compressed protobuf
//! `WriteRequest`, decoded and turned into points.
//!
//! Each sample becomes one point: the `__name__` label is the measurement,
//! the other labels are tags (in the order sent; Prometheus sends them
//! sorted), the sample value is the float field `value` (NaN allowed: it is
//! Prometheus' staleness marker) and its millisecond timestamp is converted
//! to nanoseconds with an overflow check.
//!
//! Choices: a label with an empty value is dropped (Prometheus treats it as
//! absent); an empty label name or a repeated label name is an error.
//! Metadata, exemplars and native histograms are decoded or skipped but not
//! turned into points.
//!
//! ```text
//! message WriteRequest { repeated TimeSeries timeseries = 1; reserved 2; repeated MetricMetadata metadata = 3; }
//! message TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//! message Label        { string name = 1; string value = 2; }
//! message Sample       { double value = 1; int64 timestamp = 2; }
//! ```

use std::borrow::Cow;

use prost::Message as _;

use crate::error::ProtocolError;
use crate::point::{FieldValue, PointBatch};
use crate::precision::Precision;

mod wire;

/// Label holding the metric name, which becomes the measurement.
pub const NAME_LABEL: &str = "__name__";

/// Name of the float field that holds each sample's value.
pub const VALUE_FIELD: &str = "value";

/// `prometheus.WriteRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    /// The series and their samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    /// Metric metadata (type, help, unit); not turned into points.
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// `prometheus.TimeSeries`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// Labels, including `__name__`.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Samples, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Label {
    /// Label name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Label value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `prometheus.Sample`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
pub struct Sample {
    /// Sample value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Timestamp in milliseconds since the Unix epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// `prometheus.MetricMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricMetadata {
    /// A [`MetricType`] value.
    #[prost(enumeration = "MetricType", tag = "1")]
    pub r#type: i32,
    /// Metric family name.
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    /// Help text.
    #[prost(string, tag = "4")]
    pub help: String,
    /// Unit.
    #[prost(string, tag = "5")]
    pub unit: String,
}

/// `prometheus.MetricMetadata.MetricType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MetricType {
    /// UNKNOWN
    Unknown = 0,
    /// COUNTER
    Counter = 1,
    /// GAUGE
    Gauge = 2,
    /// HISTOGRAM
    Histogram = 3,
    /// GAUGEHISTOGRAM
    Gaugehistogram = 4,
    /// SUMMARY
    Summary = 5,
    /// INFO
    Info = 6,
    /// STATESET
    Stateset = 7,
}

/// Decompresses a snappy block-format body, refusing (before allocating)
/// any body that announces more than `max_decompressed` bytes.
pub fn decompress(body: &[u8], max_decompressed: usize) -> Result<Vec<u8>, ProtocolError> {
    let mut out = Vec::new();
    let written = decompress_into(body, max_decompressed, &mut out)?.len();
    out.truncate(written);
    Ok(out)
}

/// [`decompress`] into a buffer kept across requests: it only grows (zeroed only where it
/// grows), and the decompressed body is the returned prefix of it.
pub fn decompress_into<'a>(
    body: &[u8],
    max_decompressed: usize,
    buf: &'a mut Vec<u8>,
) -> Result<&'a [u8], ProtocolError> {
    let length = snap::raw::decompress_len(body).map_err(snappy_error)?;
    if length > max_decompressed {
        return Err(ProtocolError::RemoteWriteTooLarge {
            length,
            limit: max_decompressed,
        });
    }
    if buf.len() < length {
        buf.resize(length, 0);
    }
    let (out, _) = buf.split_at_mut(length);
    let written = snap::raw::Decoder::new()
        .decompress(body, out)
        .map_err(snappy_error)?;
    Ok(out.get(..written).unwrap_or_default())
}

/// Decompresses and decodes a remote-write body into a [`WriteRequest`].
pub fn decode(body: &[u8], max_decompressed: usize) -> Result<WriteRequest, ProtocolError> {
    let raw = decompress(body, max_decompressed)?;
    WriteRequest::decode(raw.as_slice()).map_err(|err| ProtocolError::RemoteWriteProtobuf {
        message: err.to_string(),
    })
}

/// Compresses `raw` in snappy block format, the inverse of [`decompress`].
pub fn compress(raw: &[u8]) -> Result<Vec<u8>, ProtocolError> {
    snap::raw::Encoder::new()
        .compress_vec(raw)
        .map_err(snappy_error)
}

/// Encodes a [`WriteRequest`] as a remote-write body (protobuf, then snappy
/// block format): for tests, benchmark tools and clients.
pub fn encode(request: &WriteRequest) -> Result<Vec<u8>, ProtocolError> {
    compress(&request.encode_to_vec())
}

/// Turns a decoded request into a new batch whose strings borrow from
/// `request` (no copies).
pub fn to_points(request: &WriteRequest) -> Result<PointBatch<'_>, ProtocolError> {
    let mut batch = PointBatch::new();
    to_points_into(request, &mut batch)?;
    Ok(batch)
}

/// Appends the points of a decoded request to `batch`.
///
/// All or nothing: on error, `batch` is left as it was before the call.
pub fn to_points_into<'r>(
    request: &'r WriteRequest,
    batch: &mut PointBatch<'r>,
) -> Result<(), ProtocolError> {
    let mark = batch.mark();
    let result = request
        .timeseries
        .iter()
        .enumerate()
        .try_for_each(|(series, ts)| series_to_points(series, ts, batch));
    if result.is_err() {
        batch.rollback(mark);
    }
    result
}

fn series_to_points<'r>(
    series: usize,
    ts: &'r TimeSeries,
    batch: &mut PointBatch<'r>,
) -> Result<(), ProtocolError> {
    let labels: Vec<(&str, &str)> = ts
        .labels
        .iter()
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect();
    let (name, tags) = check_labels(series, &labels)?;
    for (index, sample) in ts.samples.iter().enumerate() {
        let timestamp = Precision::Milliseconds
            .checked_to_nanos(sample.timestamp)
            .ok_or(ProtocolError::RemoteWriteTimestampOverflow {
                series,
                sample: index,
                timestamp: sample.timestamp,
            })?;
        batch.push(
            name,
            tags.iter()
                .map(|&(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v))),
            [(Cow::Borrowed(VALUE_FIELD), FieldValue::Float(sample.value))],
            Some(timestamp),
        );
    }
    Ok(())
}

/// A series' metric name and its other labels (with a value), as sent.
pub type Labels<'r> = (&'r str, Vec<(&'r str, &'r str)>);

/// One series of a request as [`for_each_series`] hands it out, borrowed from the body.
#[derive(Debug)]
pub struct RawSeries<'r> {
    /// The series' position in the request (for error messages).
    pub index: usize,
    /// The bytes of its label fields as sent, when they are contiguous (as every sender
    /// writes them): the same labels give the same bytes, so they can key a cache of what the
    /// labels were turned into. `None` when other fields lie between them.
    pub label_bytes: Option<&'r [u8]>,
    /// The `Label` messages, decoded only when asked for (a cached series never is).
    labels: Vec<&'r [u8]>,
    samples: Vec<&'r [u8]>,
}

impl<'r> RawSeries<'r> {
    /// The labels, checked (names non-empty and unique, a non-empty `__name__`): the metric
    /// name and the other labels with a value, as sent.
    pub fn labels(&self) -> Result<Labels<'r>, ProtocolError> {
        let labels = self
            .labels
            .iter()
            .map(|raw| wire::label(raw).map(|l| (l.name, l.value)))
            .collect::<Result<Vec<_>, _>>()?;
        check_labels(self.index, &labels)
    }

    /// The samples: (value, timestamp in ns), oldest first as sent.
    pub fn samples(&self) -> impl Iterator<Item = Result<(f64, i64), ProtocolError>> + '_ {
        self.samples.iter().enumerate().map(|(index, raw)| {
            let s = wire::sample(raw)?;
            let ns = Precision::Milliseconds
                .checked_to_nanos(s.timestamp)
                .ok_or(ProtocolError::RemoteWriteTimestampOverflow {
                    series: self.index,
                    sample: index,
                    timestamp: s.timestamp,
                })?;
            Ok((s.value, ns))
        })
    }
}

/// Checks a series' labels (names non-empty and unique, a non-empty `__name__`): the metric
/// name and the other labels with a value, as sent.
fn check_labels<'r>(
    series: usize,
    labels: &[(&'r str, &'r str)],
) -> Result<Labels<'r>, ProtocolError> {
    let mut name: Option<&'r str> = None;
    for (i, &(label, value)) in labels.iter().enumerate() {
        if label.is_empty() {
            return Err(ProtocolError::RemoteWriteEmptyLabelName { series });
        }
        let earlier = labels.get(..i).unwrap_or_default();
        if earlier.iter().any(|&(other, _)| other == label) {
            return Err(ProtocolError::RemoteWriteDuplicateLabel {
                series,
                label: crate::error::excerpt(label),
            });
        }
        if label == NAME_LABEL {
            name = Some(value);
        }
    }
    let name = match name {
        Some(name) if !name.is_empty() => name,
        _ => return Err(ProtocolError::RemoteWriteMissingName { series }),
    };
    let tags = labels
        .iter()
        .filter(|&&(label, value)| label != NAME_LABEL && !value.is_empty())
        .copied()
        .collect();
    Ok((name, tags))
}

/// The key byte of `TimeSeries.labels` (field 1, length-delimited).
const LABEL_KEY: u8 = 1 << 3 | 2;
/// The key byte of `TimeSeries.samples` (field 2, length-delimited).
const SAMPLE_KEY: u8 = 2 << 3 | 2;

/// Walks a decompressed `WriteRequest` series by series, borrowing every label from `raw`
/// (no allocation per label, unlike [`decode`]'s prost types). Metadata and unknown fields
/// are skipped. Stops at the first error, the walk's or `f`'s.
pub fn for_each_series<'r, E: From<ProtocolError>>(
    raw: &'r [u8],
    mut f: impl FnMut(&RawSeries<'r>) -> Result<(), E>,
) -> Result<(), E> {
    let mut request = wire::Reader::new(raw);
    let mut series = RawSeries {
        index: 0,
        label_bytes: None,
        labels: Vec::new(),
        samples: Vec::new(),
    };
    while let Some((field, wire_type)) = request.key()? {
        if (field, wire_type) != (1, wire::WireType::Len) {
            request.skip(wire_type)?;
            continue;
        }
        let mut ts = wire::Reader::new(request.bytes()?);
        series.labels.clear();
        series.samples.clear();
        // The span of the label fields, and whether anything else interrupted it.
        let (mut span, mut contiguous) = (None::<(usize, usize)>, true);
        loop {
            let at = ts.position();
            // Labels (field 1) and samples (field 2) of under 128 bytes are taken without the
            // general key and length decoding.
            let label = match ts.short_field(LABEL_KEY) {
                Some(label) => label,
                None => {
                    if let Some(sample) = ts.short_field(SAMPLE_KEY) {
                        series.samples.push(sample);
                        continue;
                    }
                    let Some((field, wire_type)) = ts.key()? else {
                        break;
                    };
                    match (field, wire_type) {
                        (1, wire::WireType::Len) => ts.bytes()?,
                        (2, wire::WireType::Len) => {
                            series.samples.push(ts.bytes()?);
                            continue;
                        }
                        (_, w) => {
                            ts.skip(w)?;
                            continue;
                        }
                    }
                }
            };
            series.labels.push(label);
            span = match span {
                None => Some((at, ts.position())),
                Some((start, end)) => {
                    contiguous &= end == at;
                    Some((start, ts.position()))
                }
            };
        }
        series.label_bytes = match span {
            Some((start, end)) if contiguous => Some(ts.slice(start..end)),
            _ => None,
        };
        f(&series)?;
        series.index += 1;
    }
    Ok(())
}

/// Decodes a decompressed `WriteRequest` straight into `batch`, borrowing every label from
/// `raw`; the same points [`to_points_into`] gives for the decoded request. All or nothing:
/// on error `batch` is as it was.
pub fn parse_into<'r>(raw: &'r [u8], batch: &mut PointBatch<'r>) -> Result<(), ProtocolError> {
    let mark = batch.mark();
    let result = for_each_series(raw, |s| -> Result<(), ProtocolError> {
        let (name, tags) = s.labels()?;
        for sample in s.samples() {
            let (value, ts) = sample?;
            batch.push(
                name,
                tags.iter()
                    .map(|&(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v))),
                [(Cow::Borrowed(VALUE_FIELD), FieldValue::Float(value))],
                Some(ts),
            );
        }
        Ok(())
    });
    if result.is_err() {
        batch.rollback(mark);
    }
    result
}

fn snappy_error(err: snap::Error) -> ProtocolError {
    ProtocolError::RemoteWriteSnappy {
        message: err.to_string(),
    }
}

#[cfg(test)]
mod tests;
