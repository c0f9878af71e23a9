//! What remote-write label sets (and line-protocol series texts) turned into, so a series seen before costs a hash and a
//! compare instead of UTF-8 checks, label validation, sorting, escaping and a catalog lookup:
//! the raw bytes of a `TimeSeries`' label fields (as a sender writes them, the same every time
//! for the same series) map to the series' engine handle (canonical key, measurement, key
//! hash, last catalog id), which passed the limits when it went in. VictoriaMetrics keeps the
//! same kind of cache.
//!
//! Bounded by bytes: two generations; when the newer fills half the budget it becomes the
//! older, and the older is dropped (what is still in use moves back into the newer on its
//! next hit).

use std::sync::Arc;

use parking_lot::{RwLock, RwLockReadGuard};

use strata_engine::SeriesHandle;

type Generation = foldhash::HashMap<Box<[u8]>, Arc<SeriesHandle>>;

#[derive(Debug, Default)]
struct Inner {
    newer: Generation,
    older: Generation,
    newer_bytes: usize,
}

/// See the module documentation.
#[derive(Debug)]
pub struct SeriesCache {
    inner: RwLock<Inner>,
    max_bytes: usize,
}

impl SeriesCache {
    pub fn new(max_bytes: usize) -> Self {
        SeriesCache {
            inner: RwLock::new(Inner::default()),
            max_bytes,
        }
    }

    /// The series whose label fields were `labels`, if cached.
    #[cfg(test)]
    pub fn get(&self, labels: &[u8]) -> Option<Arc<SeriesHandle>> {
        self.lookup().with(labels, Arc::clone)
    }

    /// Lookups of one request under one read lock (see [`Lookup`]).
    pub fn lookup(&self) -> Lookup<'_> {
        Lookup {
            cache: self,
            guard: None,
        }
    }

    /// Caches `series` under `labels`.
    pub fn insert(&self, labels: &[u8], series: Arc<SeriesHandle>) {
        let cost = labels.len() + series.canonical().len() + series.measurement().len() + 112;
        if cost > self.max_bytes / 2 {
            return;
        }
        let mut inner = self.inner.write();
        if inner.newer_bytes + cost > self.max_bytes / 2 {
            inner.older = std::mem::take(&mut inner.newer);
            inner.newer_bytes = 0;
        }
        if inner.newer.insert(labels.into(), series).is_none() {
            inner.newer_bytes += cost;
        }
    }
}

/// Lookups of one request: the read lock is taken at the first lookup and kept, so a
/// request of 2,000 known series locks once instead of 2,000 times; it is let go before the
/// request inserts a series (or moves one up from the older generation) and taken again at
/// the next lookup.
pub struct Lookup<'a> {
    cache: &'a SeriesCache,
    guard: Option<RwLockReadGuard<'a, Inner>>,
}

impl Lookup<'_> {
    /// `f` of the series whose label fields were `labels`, if cached.
    pub fn with<R>(&mut self, labels: &[u8], f: impl FnOnce(&Arc<SeriesHandle>) -> R) -> Option<R> {
        let guard = self.guard.get_or_insert_with(|| self.cache.inner.read());
        if let Some(s) = guard.newer.get(labels) {
            return Some(f(s));
        }
        let s = guard.older.get(labels)?.clone();
        self.guard = None;
        self.cache.insert(labels, s.clone());
        Some(f(&s))
    }

    /// Caches `series` under `labels` ([`SeriesCache::insert`]).
    pub fn insert(&mut self, labels: &[u8], series: Arc<SeriesHandle>) {
        self.guard = None;
        self.cache.insert(labels, series);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str) -> Arc<SeriesHandle> {
        Arc::new(SeriesHandle::new(name.into(), name))
    }

    #[test]
    fn generations_bound_the_bytes_and_keep_what_is_used() {
        let cache = SeriesCache::new(2 * (4 * (8 + 2 + 2 + 112)));
        for i in 0..4u64 {
            cache.insert(&i.to_le_bytes(), series("aa"));
        }
        assert!(cache.get(&0u64.to_le_bytes()).is_some());
        // The fifth fills the newer generation: the first four become the older one.
        cache.insert(&4u64.to_le_bytes(), series("bb"));
        assert!(cache.get(&4u64.to_le_bytes()).is_some());
        assert!(
            cache.get(&1u64.to_le_bytes()).is_some(),
            "found in the older, moved up"
        );
        for i in 5..12u64 {
            cache.insert(&i.to_le_bytes(), series("cc"));
        }
        assert!(
            cache.get(&2u64.to_le_bytes()).is_none(),
            "dropped with its generation"
        );
        assert_eq!(
            cache
                .get(&11u64.to_le_bytes())
                .map(|s| s.canonical().to_string()),
            Some("cc".into())
        );
    }
}
