//! The series catalog: series key <-> compact in-memory id, the inverted index
//! (measurement, tag key, tag value) -> roaring bitmap of series ids, and each measurement's
//! field names and types.
//!
//! Ids are assigned in memory on first sight and are not persisted: SSTables and the WAL store
//! the canonical series key, so the catalog is rebuilt on open from the SSTables' series
//! tables and the WAL replay. That keeps the catalog crash-safe with no file of its own.
//!
//! Memory: a series costs its canonical key once (one `Arc<str>`, shared by the id table and
//! the lookup map) plus its postings; tags are parsed back from the canonical key when asked
//! for ([`Catalog::key`], [`split_canonical`]) instead of being kept as a second copy in
//! `String`s. A tag value first seen gets a bitmap with exact-size allocations (a value unique
//! to one series, like a host name, would otherwise carry roaring's growth slack).
//! [`Catalog::memory_bytes`] estimates the heap held, allocator overhead included; the
//! `cardinality` example of `strata-query` measures it against the resident set size.

use std::borrow::Cow;
use std::cmp::Ordering;
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

#[derive(Debug, Default)]
struct Inner {
    by_canonical: HashMap<Arc<str>, SeriesId>,
    /// Canonical key of each series, by id (the same allocation as `by_canonical`'s key).
    series: Vec<Arc<str>>,
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
        self.insert(key, &canonical)
    }

    /// Like [`Catalog::resolve`] when the caller already has the key's canonical form.
    pub fn resolve_known(&self, key: &SeriesKey, canonical: &str) -> SeriesId {
        if let Some(&id) = self.inner.read().by_canonical.get(canonical) {
            return id;
        }
        self.insert(key, canonical)
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
        Some(self.insert(&key, canonical))
    }

    fn insert(&self, key: &SeriesKey, canonical: &str) -> SeriesId {
        let mut inner = self.inner.write();
        if let Some(&id) = inner.by_canonical.get(canonical) {
            return id;
        }
        let id = inner.series.len() as SeriesId;
        let canonical: Arc<str> = canonical.into();
        let m = match inner.measurements.get_mut(key.measurement()) {
            Some(m) => m,
            None => inner
                .measurements
                .entry(key.measurement().to_string())
                .or_default(),
        };
        m.series.insert(id);
        for (k, v) in key.tags() {
            let values = match m.tags.get_mut(k.as_str()) {
                Some(values) => values,
                None => m.tags.entry(k.clone()).or_default(),
            };
            match values.get_mut(v.as_str()) {
                Some(b) => {
                    b.insert(id);
                }
                None => {
                    values.insert(v.clone(), singleton(id));
                }
            }
        }
        inner.by_canonical.insert(canonical.clone(), id);
        inner.series.push(canonical);
        id
    }

    /// The id of an already known canonical key.
    pub fn lookup(&self, canonical: &str) -> Option<SeriesId> {
        self.inner.read().by_canonical.get(canonical).copied()
    }

    /// The series key of `id`, parsed back from its canonical form.
    pub fn key(&self, id: SeriesId) -> Option<SeriesKey> {
        let canonical = self.canonical(id)?;
        let (measurement, tags) = split_canonical(&canonical)?;
        Some(SeriesKey::new(
            measurement.into_owned(),
            tags.into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    pub fn canonical(&self, id: SeriesId) -> Option<Arc<str>> {
        self.inner.read().series.get(id as usize).cloned()
    }

    /// The canonical keys of `ids` (unknown ids skipped), under one lock: for a query that
    /// needs the keys of many series.
    pub fn canonicals(&self, ids: impl IntoIterator<Item = SeriesId>) -> Vec<(SeriesId, Arc<str>)> {
        let inner = self.inner.read();
        ids.into_iter()
            .filter_map(|id| inner.series.get(id as usize).map(|c| (id, c.clone())))
            .collect()
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

    /// Approximate heap bytes held (allocator overhead and map slack included), for the
    /// memory-per-series report. Walks every posting: a diagnostic, not for hot paths.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let inner = self.inner.read();
        // hashbrown: one control byte per bucket besides the slot.
        let map = inner.by_canonical.capacity() * (size_of::<(Arc<str>, SeriesId)>() + 1);
        let ids = inner.series.capacity() * size_of::<Arc<str>>();
        // Arc<str>: two counters before the text.
        let keys: usize = inner.series.iter().map(|c| heap(16 + c.len())).sum();
        let postings: usize = inner
            .measurements
            .iter()
            .map(|(name, m)| {
                BTREE_ENTRY
                    + heap(name.len())
                    + bitmap_bytes(&m.series)
                    + m.fields
                        .keys()
                        .map(|f| BTREE_ENTRY + heap(f.len()))
                        .sum::<usize>()
                    + m.tags
                        .iter()
                        .map(|(k, vals)| {
                            BTREE_ENTRY
                                + heap(k.len())
                                + vals
                                    .iter()
                                    .map(|(v, b)| BTREE_ENTRY + heap(v.len()) + bitmap_bytes(b))
                                    .sum::<usize>()
                        })
                        .sum::<usize>()
            })
            .sum();
        map + ids + keys + postings
    }
}

/// Bytes a B-tree map entry of two 24-byte values costs, node slack included (nodes hold 11
/// entries and run about two thirds full).
const BTREE_ENTRY: usize = 72;

/// Bytes the allocator hands out for a request of `n` bytes (glibc: 8 bytes of header,
/// 16-byte granularity, 32 bytes at least); 0 for no allocation.
fn heap(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 8).div_ceil(16).max(2) * 16
    }
}

/// Heap bytes of a roaring bitmap: its container vector and each container's store.
fn bitmap_bytes(b: &RoaringBitmap) -> usize {
    let s = b.statistics();
    let containers = s.n_containers as usize;
    if containers == 0 {
        return 0;
    }
    // `n_bytes_array_containers` counts 4 bytes per slot; array slots are u16.
    let stores = (s.n_bytes_array_containers / 2
        + s.n_bytes_run_containers
        + s.n_bytes_bitset_containers) as usize;
    heap(containers * 32) + stores + containers * 16
}

/// A bitmap holding only `id`, with exact-size allocations: roaring's first insert reserves
/// room for four containers and four values, which a value unique to one series never uses.
fn singleton(id: SeriesId) -> RoaringBitmap {
    let mut b = RoaringBitmap::new();
    b.insert(id);
    // `Clone` of a vector allocates exactly its length.
    b.clone()
}

/// Tags split out of a canonical key: `(key, value)` pairs borrowing from it.
pub type CanonicalTags<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Splits a canonical series key (see [`SeriesKey::canonical`]) into its measurement and
/// tags, unescaped, borrowing from `canonical` where nothing was escaped. `None` if it is
/// malformed (a tag without exactly one unescaped `=`). Agrees with
/// [`SeriesKey::parse_canonical`] without building a key.
pub fn split_canonical(canonical: &str) -> Option<(Cow<'_, str>, CanonicalTags<'_>)> {
    let bytes = canonical.as_bytes();
    let mut parts = Vec::new();
    let (mut start, mut eq, mut eqs, mut escaped, mut i) = (0, 0, 0, false, 0);
    let mut measurement = None;
    while i <= bytes.len() {
        match bytes.get(i) {
            Some(b'\\') => {
                escaped = true;
                // A trailing backslash ends the text (the unescaping drops it).
                i = (i + 2).min(bytes.len());
                continue;
            }
            Some(b'=') if measurement.is_some() => {
                eq = i;
                eqs += 1;
            }
            Some(b',') | None => {
                let end = i.min(bytes.len());
                match measurement {
                    None => measurement = Some(unescape(&canonical[start..end], escaped)),
                    Some(_) => {
                        if eqs != 1 {
                            return None;
                        }
                        parts.push((
                            unescape(&canonical[start..eq], escaped),
                            unescape(&canonical[eq + 1..end], escaped),
                        ));
                    }
                }
                (start, eqs, escaped) = (i + 1, 0, false);
            }
            _ => {}
        }
        i += 1;
    }
    Some((measurement?, parts))
}

/// `s` without its escaping backslashes (borrowed when it has none).
fn unescape(s: &str, escaped: bool) -> Cow<'_, str> {
    if !escaped || !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Orders two canonical series keys of one measurement as their tag lists compare (sorted
/// `(key, value)` pairs, lexicographically), without parsing or allocating: the order query
/// results use. Escapes are decoded on the fly and an unescaped separator sorts before any
/// character, so a key or value that is a prefix of another sorts first, as strings do.
pub fn cmp_canonical_tags(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (Units::new(a), Units::new(b));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => match p.cmp(&q) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

/// The decoded units of a canonical key: `Some(None)` for a separator (end of the
/// measurement, of a tag key or of a tag value), `Some(Some(byte))` for a text byte.
struct Units<'a> {
    bytes: &'a [u8],
    i: usize,
    /// 0: measurement (only `,` separates), 1: tag key (`=` ends it), 2: tag value (`,`).
    part: u8,
}

impl<'a> Units<'a> {
    fn new(s: &'a str) -> Self {
        Units {
            bytes: s.as_bytes(),
            i: 0,
            part: 0,
        }
    }

    fn next(&mut self) -> Option<Option<u8>> {
        let &c = self.bytes.get(self.i)?;
        self.i += 1;
        match c {
            b'\\' => match self.bytes.get(self.i) {
                Some(&n) => {
                    self.i += 1;
                    Some(Some(n))
                }
                // A trailing backslash is dropped, as the parser does.
                None => None,
            },
            b',' if self.part != 1 => {
                self.part = 1;
                Some(None)
            }
            b'=' if self.part == 1 => {
                self.part = 2;
                Some(None)
            }
            _ => Some(Some(c)),
        }
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
        assert_eq!(
            c.key(b),
            Some(SeriesKey::new("cpu", vec![("host".into(), "b".into())]))
        );
        assert_eq!(c.key(99), None);
        let got: Vec<SeriesId> = c
            .canonicals([b, 99, a])
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(got, vec![b, a]);
    }

    fn tricky_keys() -> Vec<SeriesKey> {
        let t = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        vec![
            SeriesKey::new("m", vec![]),
            SeriesKey::new("m", t(&[("a", "x")])),
            SeriesKey::new("m", t(&[("a", "x"), ("b", "1")])),
            SeriesKey::new("m", t(&[("a", "x!")])),
            SeriesKey::new("m", t(&[("a", "x-y")])),
            SeriesKey::new("m", t(&[("a", "x,b")])),
            SeriesKey::new("m", t(&[("a", "x=b")])),
            SeriesKey::new("m", t(&[("a", "x b\\")])),
            SeriesKey::new("m", t(&[("a", "")])),
            SeriesKey::new("m", t(&[("a b", "x")])),
            SeriesKey::new("m", t(&[("a,", "x")])),
            SeriesKey::new("m", t(&[("a=", "x")])),
            SeriesKey::new("m", t(&[("a!", "x")])),
            SeriesKey::new("m", t(&[("b", "")])),
            SeriesKey::new("m", t(&[("a", "\u{e9}t\u{e9}"), ("z", "q")])),
            SeriesKey::new("m", t(&[("a", "x"), ("b", "0"), ("c", "")])),
        ]
    }

    #[test]
    fn split_canonical_agrees_with_the_parser() {
        for key in tricky_keys()
            .into_iter()
            .chain([SeriesKey::new("m=x,y z\\", vec![("k".into(), "v".into())])])
        {
            let text = key.canonical();
            let (m, tags) = split_canonical(&text).unwrap();
            let parsed = SeriesKey::parse_canonical(&text).unwrap();
            assert_eq!(m, parsed.measurement(), "{text}");
            let tags: Vec<(String, String)> = tags
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(tags, parsed.tags(), "{text}");
        }
        for bad in ["m,a", "m,a=b=c", "m,a=b,c"] {
            assert_eq!(split_canonical(bad), None, "{bad}");
            assert_eq!(SeriesKey::parse_canonical(bad), None, "{bad}");
        }
    }

    #[test]
    fn canonical_order_is_the_tag_list_order() {
        let keys = tricky_keys();
        for a in &keys {
            for b in &keys {
                assert_eq!(
                    cmp_canonical_tags(&a.canonical(), &b.canonical()),
                    a.tags().cmp(b.tags()),
                    "{} vs {}",
                    a.canonical(),
                    b.canonical()
                );
            }
        }
    }

    /// Catalog memory per series for TSBS-shaped keys (10 tags, a unique host name): the
    /// estimate must stay under the bound, so a regression (say, keeping the tags twice)
    /// shows up here. About 480 bytes at the time of writing (the estimate matches the
    /// resident cost within a few percent); 1,800 resident before the catalog stopped keeping
    /// a parsed copy of every key.
    #[test]
    fn memory_per_series_is_bounded() {
        let c = Catalog::default();
        let n = 20_000;
        for i in 0..n {
            let tags = vec![
                ("hostname".to_string(), format!("host_{i}")),
                ("region".to_string(), format!("region-{}", i % 10)),
                ("datacenter".to_string(), format!("dc-{}", i % 50)),
                ("rack".to_string(), (i % 1000).to_string()),
                ("os".to_string(), format!("Ubuntu1{}.04LTS", i % 3)),
                ("arch".to_string(), ["x64", "x86"][i % 2].to_string()),
                ("team".to_string(), format!("team-{}", i % 10)),
                ("service".to_string(), (i % 100).to_string()),
                ("service_version".to_string(), (i % 5).to_string()),
                (
                    "service_environment".to_string(),
                    ["production", "staging", "test"][i % 3].to_string(),
                ),
            ];
            c.resolve(&SeriesKey::new("cpu", tags));
        }
        let per_series = c.memory_bytes() / n;
        assert!(
            per_series < 640,
            "catalog holds {per_series} bytes per series"
        );
    }
}
