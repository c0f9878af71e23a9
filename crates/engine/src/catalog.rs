//! The series catalog: series key <-> compact in-memory id, the inverted index
//! (measurement, tag key, tag value) -> roaring bitmap of series ids, and each measurement's
//! field names and types.
//!
//! Ids are assigned in memory on first sight and are not persisted: SSTables and the WAL store
//! the canonical series key, so the catalog is rebuilt on open from the SSTables' series
//! tables and the WAL replay. That keeps the catalog crash-safe with no file of its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::RwLock;
use roaring::RoaringBitmap;

use crate::point::{SeriesKey, ValueType};

/// A series' in-memory id.
pub type SeriesId = u32;

/// One measurement's series, tag postings and field types.
#[derive(Debug, Default, Clone)]
pub struct MeasurementIndex {
    /// Every series of the measurement.
    pub series: RoaringBitmap,
    /// tag key -> tag value -> series having that value.
    pub tags: BTreeMap<String, BTreeMap<String, RoaringBitmap>>,
    /// field name -> type (a field keeps one type per measurement).
    pub fields: BTreeMap<String, ValueType>,
}

#[derive(Debug)]
struct SeriesEntry {
    key: SeriesKey,
    canonical: Arc<str>,
}

#[derive(Debug, Default)]
struct Inner {
    by_canonical: HashMap<Arc<str>, SeriesId>,
    series: Vec<SeriesEntry>,
    measurements: BTreeMap<String, MeasurementIndex>,
}

/// A field whose type conflicts with the one already recorded for its measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTypeConflict {
    pub measurement: String,
    pub field: String,
    pub existing: ValueType,
    pub written: ValueType,
}

/// Thread-safe catalog.
#[derive(Debug, Default)]
pub struct Catalog {
    inner: RwLock<Inner>,
}

impl Catalog {
    /// The id of `key`, registering the series (and its postings) if it is new.
    pub fn resolve(&self, key: &SeriesKey) -> SeriesId {
        let canonical = key.canonical();
        if let Some(&id) = self.inner.read().by_canonical.get(canonical.as_str()) {
            return id;
        }
        self.insert(key.clone(), canonical)
    }

    /// Like [`Catalog::resolve`] when the caller already has the key's canonical form.
    pub fn resolve_known(&self, key: &SeriesKey, canonical: &str) -> SeriesId {
        if let Some(&id) = self.inner.read().by_canonical.get(canonical) {
            return id;
        }
        self.insert(key.clone(), canonical.to_string())
    }

    /// The recorded type of a field of a measurement.
    pub fn field_type(&self, measurement: &str, field: &str) -> Option<ValueType> {
        self.inner
            .read()
            .measurements
            .get(measurement)
            .and_then(|m| m.fields.get(field))
            .copied()
    }

    /// Like [`Catalog::resolve`] from the canonical text form; `None` if it does not parse.
    pub fn resolve_canonical(&self, canonical: &str) -> Option<SeriesId> {
        if let Some(&id) = self.inner.read().by_canonical.get(canonical) {
            return Some(id);
        }
        let key = SeriesKey::parse_canonical(canonical)?;
        Some(self.insert(key, canonical.to_string()))
    }

    fn insert(&self, key: SeriesKey, canonical: String) -> SeriesId {
        let mut inner = self.inner.write();
        if let Some(&id) = inner.by_canonical.get(canonical.as_str()) {
            return id;
        }
        let id = inner.series.len() as SeriesId;
        let canonical: Arc<str> = canonical.into();
        let m = inner
            .measurements
            .entry(key.measurement().to_string())
            .or_default();
        m.series.insert(id);
        for (k, v) in key.tags() {
            m.tags
                .entry(k.clone())
                .or_default()
                .entry(v.clone())
                .or_default()
                .insert(id);
        }
        inner.by_canonical.insert(canonical.clone(), id);
        inner.series.push(SeriesEntry { key, canonical });
        id
    }

    /// The id of an already known canonical key.
    pub fn lookup(&self, canonical: &str) -> Option<SeriesId> {
        self.inner.read().by_canonical.get(canonical).copied()
    }

    pub fn key(&self, id: SeriesId) -> Option<SeriesKey> {
        self.inner
            .read()
            .series
            .get(id as usize)
            .map(|e| e.key.clone())
    }

    pub fn canonical(&self, id: SeriesId) -> Option<Arc<str>> {
        self.inner
            .read()
            .series
            .get(id as usize)
            .map(|e| e.canonical.clone())
    }

    /// Number of series known.
    pub fn len(&self) -> usize {
        self.inner.read().series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks `fields` of `measurement` against the recorded types (and against each other);
    /// records nothing.
    pub fn check_field(
        &self,
        measurement: &str,
        field: &str,
        written: ValueType,
    ) -> Result<(), FieldTypeConflict> {
        let inner = self.inner.read();
        match inner
            .measurements
            .get(measurement)
            .and_then(|m| m.fields.get(field))
        {
            Some(&existing) if existing != written => Err(FieldTypeConflict {
                measurement: measurement.to_string(),
                field: field.to_string(),
                existing,
                written,
            }),
            _ => Ok(()),
        }
    }

    /// Records a field's type (first writer wins; callers check first).
    pub fn record_field(&self, measurement: &str, field: &str, value_type: ValueType) {
        let known = self
            .inner
            .read()
            .measurements
            .get(measurement)
            .is_some_and(|m| m.fields.contains_key(field));
        if !known {
            let mut inner = self.inner.write();
            let m = inner
                .measurements
                .entry(measurement.to_string())
                .or_default();
            m.fields.entry(field.to_string()).or_insert(value_type);
        }
    }

    /// Runs `f` on a measurement's index (read-locked), `None` if the measurement is unknown.
    pub fn with_measurement<R>(
        &self,
        measurement: &str,
        f: impl FnOnce(&MeasurementIndex) -> R,
    ) -> Option<R> {
        self.inner.read().measurements.get(measurement).map(f)
    }

    /// All measurement names, sorted.
    pub fn measurements(&self) -> Vec<String> {
        self.inner.read().measurements.keys().cloned().collect()
    }

    /// Approximate heap bytes held, for the memory-per-series report.
    pub fn memory_bytes(&self) -> usize {
        let inner = self.inner.read();
        let series: usize = inner
            .series
            .iter()
            .map(|e| e.key.size_hint() + 2 * e.canonical.len() + 48)
            .sum();
        let postings: usize = inner
            .measurements
            .values()
            .map(|m| {
                m.series.serialized_size()
                    + m.tags
                        .iter()
                        .map(|(k, vals)| {
                            k.len()
                                + vals
                                    .iter()
                                    .map(|(v, b)| v.len() + 48 + b.serialized_size())
                                    .sum::<usize>()
                        })
                        .sum::<usize>()
            })
            .sum();
        series + postings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_and_types() {
        let c = Catalog::default();
        let a = c.resolve(&SeriesKey::new("cpu", vec![("host".into(), "a".into())]));
        let b = c.resolve(&SeriesKey::new("cpu", vec![("host".into(), "b".into())]));
        assert_eq!(
            a,
            c.resolve(&SeriesKey::new("cpu", vec![("host".into(), "a".into())]))
        );
        assert_ne!(a, b);
        let hosts = c.with_measurement("cpu", |m| m.tags["host"].len()).unwrap();
        assert_eq!(hosts, 2);
        c.record_field("cpu", "v", ValueType::Float);
        assert!(c.check_field("cpu", "v", ValueType::Integer).is_err());
        assert!(c.check_field("cpu", "v", ValueType::Float).is_ok());
        assert_eq!(c.resolve_canonical(&c.canonical(b).unwrap()), Some(b));
    }
}
