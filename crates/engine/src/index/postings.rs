//! One measurement's inverted index: every series of the measurement, and for each tag key
//! and value the roaring bitmap of the series having it (the postings), plus the measurement's
//! field names and types. Read through methods, so the catalog alone decides how it changes.
//!
//! Memory: a tag value first seen gets a bitmap with exact-size allocations (a value unique to
//! one series, like a host name, would otherwise carry roaring's growth slack).

use std::collections::BTreeMap;

use roaring::RoaringBitmap;

use super::series_key::SeriesKey;
use crate::data::ValueType;

/// A series' in-memory id.
pub type SeriesId = u32;

/// One measurement's series, tag postings and field types.
#[derive(Debug, Default, Clone)]
pub struct MeasurementIndex {
    series: RoaringBitmap,
    /// tag key -> tag value -> series having that value.
    tags: BTreeMap<String, BTreeMap<String, RoaringBitmap>>,
    /// field name -> type (a field keeps one type per measurement).
    fields: BTreeMap<String, ValueType>,
}

impl MeasurementIndex {
    /// Every series of the measurement.
    pub fn series(&self) -> &RoaringBitmap {
        &self.series
    }

    /// The tag keys, sorted.
    pub fn tag_keys(&self) -> impl Iterator<Item = &str> {
        self.tags.keys().map(String::as_str)
    }

    /// The values of one tag key and their postings, sorted by value (empty for an unknown
    /// key).
    pub fn tag_values(&self, key: &str) -> impl Iterator<Item = (&str, &RoaringBitmap)> {
        self.tags
            .get(key)
            .into_iter()
            .flat_map(|values| values.iter().map(|(v, b)| (v.as_str(), b)))
    }

    /// The series having tag `key` = `value`.
    pub fn postings(&self, key: &str, value: &str) -> Option<&RoaringBitmap> {
        self.tags.get(key)?.get(value)
    }

    /// The fields and their types, sorted by name.
    pub fn fields(&self) -> &BTreeMap<String, ValueType> {
        &self.fields
    }

    /// The recorded type of one field.
    pub fn field_type(&self, field: &str) -> Option<ValueType> {
        self.fields.get(field).copied()
    }

    /// Adds series `id` with `key`'s tags.
    pub(super) fn add(&mut self, id: SeriesId, key: &SeriesKey) {
        self.series.insert(id);
        for (k, v) in key.tags() {
            let values = match self.tags.get_mut(k.as_str()) {
                Some(values) => values,
                None => self.tags.entry(k.clone()).or_default(),
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
    }

    /// Removes series `id` (whose tags are `tags`) from every posting, dropping postings and
    /// tag keys left empty.
    pub(super) fn remove<'a>(
        &mut self,
        id: SeriesId,
        tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) {
        self.series.remove(id);
        for (k, v) in tags {
            let Some(values) = self.tags.get_mut(k) else {
                continue;
            };
            if let Some(b) = values.get_mut(v) {
                b.remove(id);
                if b.is_empty() {
                    values.remove(v);
                }
            }
            if values.is_empty() {
                self.tags.remove(k);
            }
        }
    }

    /// Records a field's type unless it has one (first writer wins).
    pub(super) fn record_field(&mut self, field: &str, value_type: ValueType) {
        if !self.fields.contains_key(field) {
            self.fields.insert(field.to_string(), value_type);
        }
    }

    /// Approximate heap bytes held (see [`super::Catalog::memory_bytes`]).
    pub(super) fn memory_bytes(&self) -> usize {
        bitmap_bytes(&self.series)
            + self
                .fields
                .keys()
                .map(|f| BTREE_ENTRY + heap(f.len()))
                .sum::<usize>()
            + self
                .tags
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
    }
}

/// Bytes a B-tree map entry of two 24-byte values costs, node slack included (nodes hold 11
/// entries and run about two thirds full).
pub(super) const BTREE_ENTRY: usize = 72;

/// Bytes the allocator hands out for a request of `n` bytes (glibc: 8 bytes of header,
/// 16-byte granularity, 32 bytes at least); 0 for no allocation.
pub(super) fn heap(n: usize) -> usize {
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
