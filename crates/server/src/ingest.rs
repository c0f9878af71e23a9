//! Ingest: a write body, in one of the three formats, parsed, checked against the limits,
//! converted to engine points (tags sorted by [`SeriesKey::new`], a missing timestamp set to
//! the server clock at receipt) and written with one `Engine::write`, so a request is stored
//! whole or not at all. Runs on a blocking thread: parsing is CPU work and the write waits for
//! the WAL fsync.

use strata_engine::now_ns;

use axum::body::Bytes;
use strata_engine::{FieldValue, Point, SeriesKey};
use strata_protocol::{PointBatch, Precision, json, line, remote_write};

use crate::body;
use crate::config::Limits;
use crate::error::{BodyFormat, ServerError};
use crate::limits::{self, NanPolicy};
use crate::state::AppState;

/// Checks every point of `batch` and converts it; `now` stamps points without a timestamp.
pub fn to_points(
    batch: &PointBatch<'_>,
    limits: &Limits,
    nan: NanPolicy,
    now: i64,
) -> Result<Vec<Point>, ServerError> {
    limits::check_point_count(batch.len(), limits)?;
    let mut out: Vec<Point> = Vec::with_capacity(batch.len());
    for (i, p) in batch.iter().enumerate() {
        limits::check_point(i, &p, limits, nan)?;
        // Remote write sends many samples per series in a row: reuse the previous key.
        let series = match out.last() {
            Some(prev) if same_series(&prev.series, &p) => prev.series.clone(),
            _ => SeriesKey::new(
                p.measurement(),
                p.tags()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
        };
        let fields = p
            .fields()
            .iter()
            .map(|(k, v)| (k.to_string(), convert(v)))
            .collect();
        out.push(Point {
            series,
            fields,
            timestamp: p.timestamp().unwrap_or(now),
        });
    }
    Ok(out)
}

fn same_series(key: &SeriesKey, p: &strata_protocol::PointRef<'_, '_>) -> bool {
    key.measurement() == p.measurement()
        && key.tags().len() == p.tags().len()
        && p.tags().iter().all(|(k, v)| key.tag(k) == Some(v.as_ref()))
}

fn convert(v: &strata_protocol::FieldValue<'_>) -> FieldValue {
    match v {
        strata_protocol::FieldValue::Float(f) => FieldValue::Float(*f),
        strata_protocol::FieldValue::Integer(n) => FieldValue::Integer(*n),
        strata_protocol::FieldValue::Unsigned(n) => FieldValue::Unsigned(*n),
        strata_protocol::FieldValue::Boolean(b) => FieldValue::Boolean(*b),
        strata_protocol::FieldValue::String(s) => FieldValue::String(s.to_string()),
    }
}

/// One write request, decoded and stored. `encoding` is the `Content-Encoding` (already
/// checked to suit `format`). Returns the number of points stored.
pub fn ingest(
    state: &AppState,
    format: BodyFormat,
    bytes: Bytes,
    encoding: Option<&str>,
    precision: Precision,
) -> Result<usize, ServerError> {
    let now = now_ns();
    let limits = state.limits();
    let protocol = |error| ServerError::Protocol { format, error };
    let points = match format {
        BodyFormat::Json | BodyFormat::LineProtocol => {
            let text = body::decode(bytes, encoding, limits)?;
            let batch = if format == BodyFormat::Json {
                json::parse(&text, precision)
            } else {
                line::parse(&text, precision)
            }
            .map_err(protocol)?;
            let nan = if state.allow_nan() {
                NanPolicy::Allow
            } else {
                NanPolicy::Reject
            };
            to_points(&batch, limits, nan, now)?
        }
        BodyFormat::RemoteWrite => {
            let request = remote_write::decode(&bytes, limits.max_decompressed_bytes.as_usize())
                .map_err(protocol)?;
            let batch = remote_write::to_points(&request).map_err(protocol)?;
            // NaN is Prometheus' staleness marker: always accepted here.
            to_points(&batch, limits, NanPolicy::Allow, now)?
        }
    };
    let engine = state.engine();
    limits::check_series(&points, engine.catalog(), limits)?;
    engine.write(&points)?;
    Ok(points.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_sorts_tags_and_stamps_missing_times() {
        let batch = line::parse(
            b"cpu,z=1,a=2 v=1,s=\"x\",i=3i,u=4u,b=t\ncpu,a=2,z=1 v=2 5\n",
            Precision::Nanoseconds,
        )
        .unwrap();
        let pts = to_points(&batch, &Limits::default(), NanPolicy::Reject, 42).unwrap();
        assert_eq!(pts.len(), 2);
        assert_eq!(pts[0].series.tags()[0].0, "a");
        assert_eq!(pts[0].series, pts[1].series);
        assert_eq!(pts[0].timestamp, 42);
        assert_eq!(pts[1].timestamp, 5);
        assert_eq!(
            pts[0].fields,
            vec![
                ("v".to_string(), FieldValue::Float(1.0)),
                ("s".to_string(), FieldValue::String("x".into())),
                ("i".to_string(), FieldValue::Integer(3)),
                ("u".to_string(), FieldValue::Unsigned(4)),
                ("b".to_string(), FieldValue::Boolean(true)),
            ]
        );
        assert!(now_ns() > 1_600_000_000_000_000_000);
    }
}
