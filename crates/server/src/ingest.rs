//! Ingest: a write body, in one of the three formats, parsed, checked against the limits,
//! and turned into one [`WriteBatch`] (each distinct series once, its canonical key built
//! from the sorted tags, or taken from a cache of series the input spelled the same way
//! before; a missing timestamp set to the server clock at receipt), written
//! with one `Engine::write_batch`, so a request is stored whole or not at all. Nothing is
//! allocated per point but the batch's own vectors: strings stay borrowed from the body until
//! a series or a field name is new to the batch. Runs on a blocking thread: parsing is CPU
//! work and the write waits for the WAL fsync.

use strata_engine::now_ns;

use axum::body::Bytes;
use strata_engine::{FieldValue, WriteBatch};
use strata_protocol::{PointBatch, PointRef, Precision, json, line, remote_write};

use crate::body;
use crate::config::Limits;
use crate::databases::Database;
use crate::error::{BodyFormat, ServerError};
use crate::limits::{self, NanPolicy};
use crate::series_cache::SeriesCache;
use crate::state::AppState;

/// Largest decompressed remote-write buffer a thread keeps for its next request (a
/// Prometheus request of 2,000 samples decompresses to a few hundred KiB).
const KEPT_DECOMPRESSED: usize = 8 << 20;

thread_local! {
    /// Each ingest thread's decompression buffer, so a request neither allocates nor zeroes
    /// its decompressed body.
    static DECOMPRESSED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Each ingest thread's write batch, cleared for every request, so that its vectors and
    /// tables keep their size from one request to the next instead of growing from empty.
    static BATCH: std::cell::RefCell<WriteBatch> = std::cell::RefCell::new(WriteBatch::new());
}

/// Largest batch (points) a thread keeps for its next request.
const KEPT_BATCH_POINTS: usize = 64 << 10;

/// Checks every point of `batch` and appends it to `out`; `now` stamps points without a
/// timestamp. A series the input spells as it did before (a line protocol series text,
/// through `cache`) skips sorting, escaping and its catalog lookup.
pub fn to_batch(
    batch: &PointBatch<'_>,
    limits: &Limits,
    nan: NanPolicy,
    now: i64,
    cache: &SeriesCache,
    out: &mut WriteBatch,
) -> Result<(), ServerError> {
    limits::check_point_count(batch.len(), limits)?;
    let mut prev: Option<(PointRef<'_, '_>, u32)> = None;
    let mut order: Vec<usize> = Vec::new();
    // The previous point's field names and their indexes: lines of one measurement repeat
    // them in the same order.
    let mut names: Vec<(&str, u32)> = Vec::new();
    let mut cache = cache.lookup();
    for (i, p) in batch.iter().enumerate() {
        limits::check_fields(i, &p, limits, nan)?;
        let series = match &prev {
            // Remote write sends many samples of a series in a row: reuse its index.
            Some((q, s)) if same_series(q, &p) => *s,
            _ => match p
                .series_text()
                .and_then(|t| cache.with(t.as_bytes(), |h| out.series_handle(h)))
            {
                Some(s) => s,
                None => {
                    let tags = p.tags();
                    limits::check_series_key(
                        i,
                        p.measurement(),
                        tags.iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
                        limits,
                    )?;
                    order.clear();
                    order.extend(0..tags.len());
                    order.sort_by(|&a, &b| tags[a].0.cmp(&tags[b].0));
                    let s = out.series_sorted(
                        p.measurement(),
                        order
                            .iter()
                            .map(|&k| (tags[k].0.as_ref(), tags[k].1.as_ref())),
                    );
                    if let (Some(text), Some(entry)) =
                        (p.series_text(), out.series().get(s as usize))
                    {
                        cache.insert(text.as_bytes(), entry.handle.clone());
                    }
                    s
                }
            },
        };
        out.begin_point(series, p.timestamp().unwrap_or(now));
        for (j, (k, v)) in p.fields().iter().enumerate() {
            let n = match names.get(j) {
                Some(&(name, n)) if name == k.as_ref() => n,
                _ => {
                    let n = out.field_name(k);
                    names.truncate(j);
                    names.push((k.as_ref(), n));
                    n
                }
            };
            out.push_field_index(n, convert(v));
        }
        prev = Some((p, series));
    }
    Ok(())
}

/// Same measurement and tags in the same order (what consecutive samples of one
/// remote-write series, or repeated lines, have).
fn same_series(a: &PointRef<'_, '_>, b: &PointRef<'_, '_>) -> bool {
    a.measurement() == b.measurement() && a.tags() == b.tags()
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

/// Appends a decompressed remote-write request to `out`, series by series: a label set seen
/// before comes from `cache` (it passed the limits then), a new one is checked, keyed and
/// cached. NaN samples (Prometheus' staleness markers) are accepted.
pub fn remote_write_batch(
    raw: &[u8],
    cache: &SeriesCache,
    limits: &Limits,
    out: &mut WriteBatch,
) -> Result<(), ServerError> {
    /// The walk's own errors, or ours.
    enum Failed {
        Protocol(strata_protocol::ProtocolError),
        Server(ServerError),
    }
    impl From<strata_protocol::ProtocolError> for Failed {
        fn from(e: strata_protocol::ProtocolError) -> Self {
            Failed::Protocol(e)
        }
    }
    impl From<ServerError> for Failed {
        fn from(e: ServerError) -> Self {
            Failed::Server(e)
        }
    }
    let value = out.field_name(remote_write::VALUE_FIELD);
    let mut points = 0usize;
    let mut order: Vec<usize> = Vec::new();
    let mut cache = cache.lookup();
    let walked = remote_write::for_each_series(raw, |s| -> Result<(), Failed> {
        let cached = s
            .label_bytes
            .and_then(|b| cache.with(b, |handle| out.series_handle(handle)));
        let series = match cached {
            Some(i) => i,
            None => {
                let (name, tags) = s.labels()?;
                limits::check_series_key(points, name, tags.iter().copied(), limits)?;
                order.clear();
                order.extend(0..tags.len());
                order.sort_by(|&a, &b| tags[a].0.cmp(tags[b].0));
                let i = out.series_sorted(name, order.iter().map(|&k| tags[k]));
                if let (Some(bytes), Some(entry)) = (s.label_bytes, out.series().get(i as usize)) {
                    cache.insert(bytes, entry.handle.clone());
                }
                i
            }
        };
        for sample in s.samples() {
            let (v, ts) = sample?;
            out.begin_point(series, ts);
            out.push_field_index(value, FieldValue::Float(v));
            points += 1;
        }
        Ok(limits::check_point_count(points, limits)?)
    });
    walked.map_err(|f| match f {
        Failed::Protocol(error) => ServerError::Protocol {
            format: BodyFormat::RemoteWrite,
            error,
        },
        Failed::Server(e) => e,
    })
}

/// One write request, decoded and stored in `db`. `encoding` is the `Content-Encoding` (already
/// checked to suit `format`). Returns the number of points stored.
pub fn ingest(
    state: &AppState,
    db: &Database,
    format: BodyFormat,
    bytes: Bytes,
    encoding: Option<&str>,
    precision: Precision,
) -> Result<usize, ServerError> {
    let now = now_ns();
    BATCH.with_borrow_mut(|batch| {
        batch.clear();
        let stored = ingest_into(state, db, (format, bytes, encoding, precision), now, batch);
        if batch.len() > KEPT_BATCH_POINTS {
            *batch = WriteBatch::new(); // an unusually large request: do not hold on to it
        } else {
            batch.clear(); // its capacity stays; its series handles and names go now
        }
        stored
    })
}

/// [`ingest`] through the thread's reused `batch` (empty on entry).
fn ingest_into(
    state: &AppState,
    db: &Database,
    (format, bytes, encoding, precision): (BodyFormat, Bytes, Option<&str>, Precision),
    now: i64,
    batch: &mut WriteBatch,
) -> Result<usize, ServerError> {
    let limits = state.limits();
    let protocol = |error| ServerError::Protocol { format, error };
    match format {
        BodyFormat::Json | BodyFormat::LineProtocol => {
            let text = body::decode(bytes, encoding, limits)?;
            let points = if format == BodyFormat::Json {
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
            to_batch(&points, limits, nan, now, db.lp_series(), batch)?;
        }
        BodyFormat::RemoteWrite => {
            DECOMPRESSED.with_borrow_mut(|buf| {
                let max = limits.max_decompressed_bytes.as_usize();
                let raw = remote_write::decompress_into(&bytes, max, buf).map_err(protocol)?;
                let added = remote_write_batch(raw, db.rw_series(), limits, batch);
                if buf.len() > KEPT_DECOMPRESSED {
                    *buf = Vec::new(); // an unusually large request: do not hold on to it
                }
                added
            })?;
        }
    }
    db.engine().write_batch(batch)?;
    Ok(batch.len())
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
        let mut b = WriteBatch::new();
        let cache = SeriesCache::new(1 << 20);
        to_batch(
            &batch,
            &Limits::default(),
            NanPolicy::Reject,
            42,
            &cache,
            &mut b,
        )
        .unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(
            b.series().len(),
            1,
            "the same series once, whatever its tag order"
        );
        assert_eq!(b.series()[0].canonical(), "cpu,a=2,z=1");
        let (p0, p1) = (b.points()[0], b.points()[1]);
        assert_eq!((p0.series, p1.series), (0, 0));
        assert_eq!(p0.timestamp, 42);
        assert_eq!(p1.timestamp, 5);
        let fields: Vec<(&str, &FieldValue)> = b
            .fields_of(&p0)
            .iter()
            .map(|(n, v)| (b.name(*n), v))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("v", &FieldValue::Float(1.0)),
                ("s", &FieldValue::String("x".into())),
                ("i", &FieldValue::Integer(3)),
                ("u", &FieldValue::Unsigned(4)),
                ("b", &FieldValue::Boolean(true)),
            ]
        );
        assert!(now_ns() > 1_600_000_000_000_000_000);
    }
}
