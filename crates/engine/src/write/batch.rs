//! [`WriteBatch`]: a write request as the engine stores it, grouped so that per-point work is
//! small. Each distinct series appears once, with its canonical key built once; each distinct
//! field name once; a point is a series index, a timestamp and a run of (name index, value)
//! fields in one flat vector. The server builds it straight from a parsed body (no owned
//! strings per point); the WAL record is its encoding; the MemTable insert resolves each
//! series to an id once per batch.

use std::ops::Range;
use std::sync::Arc;

use hashbrown::HashTable;

use crate::data::{FieldValue, Point};
use crate::index::{SeriesHandle, SeriesKey, canonical_into, key_hash};

/// One distinct series of a batch.
#[derive(Debug, Clone)]
pub struct BatchSeries {
    /// The series: its canonical key (see [`SeriesKey::canonical`]), hash and last id.
    pub handle: Arc<SeriesHandle>,
    /// Its measurement's index in [`WriteBatch::measurements`].
    pub measurement: u32,
}

impl BatchSeries {
    /// The canonical key.
    pub fn canonical(&self) -> &str {
        self.handle.canonical()
    }
}

impl PartialEq for BatchSeries {
    fn eq(&self, other: &Self) -> bool {
        self.canonical() == other.canonical() && self.measurement == other.measurement
    }
}

/// One point: its series (index), timestamp (ns) and where its fields lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchPoint {
    pub series: u32,
    pub timestamp: i64,
    fields_start: u32,
    fields_end: u32,
}

/// See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    measurements: Vec<String>,
    series: Vec<BatchSeries>,
    names: Vec<String>,
    points: Vec<BatchPoint>,
    fields: Vec<(u32, FieldValue)>,
    by_measurement: foldhash::HashMap<String, u32>,
    /// Indexes into `series`, found by the handles' key hashes.
    by_key: HashTable<u32>,
    by_name: foldhash::HashMap<String, u32>,
    /// Scratch for building a canonical key.
    key: String,
}

impl PartialEq for WriteBatch {
    fn eq(&self, other: &Self) -> bool {
        self.measurements == other.measurements
            && self.series == other.series
            && self.names == other.names
            && self.points == other.points
            && self.fields.len() == other.fields.len()
            && self
                .fields
                .iter()
                .zip(&other.fields)
                .all(|(a, b)| a.0 == b.0 && a.1.same_as(&b.1))
    }
}

impl WriteBatch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Empties the batch, keeping its allocations.
    pub fn clear(&mut self) {
        self.measurements.clear();
        self.series.clear();
        self.names.clear();
        self.points.clear();
        self.fields.clear();
        self.by_measurement.clear();
        self.by_key.clear();
        self.by_name.clear();
    }

    /// The batch of `points` (the engine's convenience form).
    pub fn from_points(points: &[Point]) -> WriteBatch {
        let mut b = WriteBatch::new();
        let mut last: Option<(&SeriesKey, u32)> = None;
        for p in points {
            let series = match last {
                Some((k, i)) if k == &p.series => i,
                _ => {
                    let tags = p
                        .series
                        .tags()
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()));
                    b.series_sorted(p.series.measurement(), tags)
                }
            };
            last = Some((&p.series, series));
            b.begin_point(series, p.timestamp);
            for (name, value) in &p.fields {
                b.push_field(name, value.clone());
            }
        }
        b
    }

    /// The index of the series `measurement` + `tags` (sorted by key, unique keys),
    /// adding it if the batch does not have it yet.
    pub fn series_sorted<'t>(
        &mut self,
        measurement: &str,
        tags: impl IntoIterator<Item = (&'t str, &'t str)>,
    ) -> u32 {
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        canonical_into(&mut key, measurement, tags);
        let i = self.series_canonical(&key, measurement);
        self.key = key;
        i
    }

    /// The index of the series with canonical key `canonical` (of `measurement`), adding it
    /// if the batch does not have it yet.
    pub fn series_canonical(&mut self, canonical: &str, measurement: &str) -> u32 {
        let hash = key_hash(canonical);
        if let Some(i) = self.find(hash, canonical) {
            return i;
        }
        self.add_series(Arc::new(SeriesHandle::new(canonical.into(), measurement)))
    }

    /// Like [`WriteBatch::series_canonical`] for a series the caller keeps a handle of (a
    /// cache's): neither the key nor its hash is computed again, and the catalog id the
    /// handle remembers spares a lookup.
    pub fn series_handle(&mut self, handle: &Arc<SeriesHandle>) -> u32 {
        if let Some(i) = self.find(handle.hash(), handle.canonical()) {
            return i;
        }
        self.add_series(handle.clone())
    }

    fn find(&self, hash: u64, canonical: &str) -> Option<u32> {
        let series = &self.series;
        self.by_key
            .find(hash, |&i| {
                series
                    .get(i as usize)
                    .is_some_and(|s| s.canonical() == canonical)
            })
            .copied()
    }

    fn add_series(&mut self, handle: Arc<SeriesHandle>) -> u32 {
        let measurement = handle.measurement();
        let m = match self.by_measurement.get(measurement) {
            Some(&m) => m,
            None => {
                let m = self.measurements.len() as u32;
                self.measurements.push(measurement.to_string());
                self.by_measurement.insert(measurement.to_string(), m);
                m
            }
        };
        let i = self.series.len() as u32;
        let hash = handle.hash();
        self.series.push(BatchSeries {
            handle,
            measurement: m,
        });
        let series = &self.series;
        self.by_key.insert_unique(hash, i, |&j| {
            series.get(j as usize).map_or(0, |s| s.handle.hash())
        });
        i
    }

    /// Starts a point of series `series` at `timestamp` (ns); its fields follow with
    /// [`WriteBatch::push_field`].
    pub fn begin_point(&mut self, series: u32, timestamp: i64) {
        let at = self.fields.len() as u32;
        self.points.push(BatchPoint {
            series,
            timestamp,
            fields_start: at,
            fields_end: at,
        });
    }

    /// Adds a field to the point begun last.
    pub fn push_field(&mut self, name: &str, value: FieldValue) {
        let n = self.name_index(name);
        self.push_field_index(n, value);
    }

    /// Adds a field to the point begun last by the index of a name the batch has (see
    /// [`WriteBatch::field_name`]): no lookup per value.
    pub fn push_field_index(&mut self, name: u32, value: FieldValue) {
        self.fields.push((name, value));
        if let Some(p) = self.points.last_mut() {
            p.fields_end = self.fields.len() as u32;
        }
    }

    /// The index of field name `name`, adding it if the batch does not have it yet.
    pub fn field_name(&mut self, name: &str) -> u32 {
        self.name_index(name)
    }

    fn name_index(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.by_name.get(name) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(name.to_string());
        self.by_name.insert(name.to_string(), n);
        n
    }

    /// Adds a series, name or point exactly as decoded from a WAL record (indexes already
    /// assigned by the encoder).
    pub(crate) fn push_decoded_series(&mut self, canonical: &str, measurement: &str) {
        self.series_canonical(canonical, measurement);
    }

    pub(crate) fn push_decoded_name(&mut self, name: &str) {
        self.name_index(name);
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Number of field values.
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    pub fn measurements(&self) -> &[String] {
        &self.measurements
    }

    pub fn series(&self) -> &[BatchSeries] {
        &self.series
    }

    /// The measurement of series `i`.
    pub fn measurement_of(&self, series: u32) -> &str {
        self.series
            .get(series as usize)
            .and_then(|s| self.measurements.get(s.measurement as usize))
            .map_or("", String::as_str)
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn points(&self) -> &[BatchPoint] {
        &self.points
    }

    /// The fields of `p`: (name index, value).
    pub fn fields_of(&self, p: &BatchPoint) -> &[(u32, FieldValue)] {
        self.fields
            .get(Range {
                start: p.fields_start as usize,
                end: p.fields_end as usize,
            })
            .unwrap_or_default()
    }

    /// A field name by index.
    pub fn name(&self, n: u32) -> &str {
        self.names.get(n as usize).map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_and_names_are_deduplicated() {
        let key = |h: &str| SeriesKey::new("cpu", vec![("host".into(), h.into())]);
        let point = |h: &str, ts: i64| Point {
            series: key(h),
            fields: vec![
                ("a".into(), FieldValue::Float(1.0)),
                ("b".into(), FieldValue::Integer(2)),
            ],
            timestamp: ts,
        };
        let b = WriteBatch::from_points(&[point("x", 1), point("y", 2), point("x", 3)]);
        assert_eq!(b.len(), 3);
        assert_eq!(b.series().len(), 2);
        assert_eq!(b.series()[0].canonical(), key("x").canonical());
        assert_eq!(b.names(), ["a", "b"]);
        assert_eq!(b.measurements(), ["cpu"]);
        assert_eq!(b.points()[2].series, 0);
        let f = b.fields_of(&b.points()[1]);
        assert_eq!(f.len(), 2);
        assert_eq!(b.name(f[1].0), "b");
        assert_eq!(b.measurement_of(1), "cpu");
        // A series given by its sorted tags gets the same key.
        let mut c = WriteBatch::new();
        let i = c.series_sorted("cpu", [("host", "y")]);
        assert_eq!(c.series()[i as usize].canonical(), key("y").canonical());
    }
}
