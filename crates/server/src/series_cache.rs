//! What remote-write label sets (and line-protocol series texts) turned into, so a series
//! seen before costs a compare of its bytes (and a hash, unless it follows the series looked
//! up before it, see [`Lookup`]) instead of UTF-8 checks, label validation, sorting, escaping
//! and a catalog lookup:
//! the raw bytes of a `TimeSeries`' label fields (as a sender writes them, the same every time
//! for the same series) map to the series' engine handle (canonical key, measurement, key
//! hash, last catalog id), which passed the limits when it went in. VictoriaMetrics keeps the
//! same kind of cache.
//!
//! Bounded by bytes: two generations; when the newer fills half the budget it becomes the
//! older, and the older is dropped (what is still in use moves back into the newer on its
//! next hit).

use std::hash::BuildHasher;
use std::sync::Arc;

use parking_lot::{RwLock, RwLockReadGuard};

use strata_engine::SeriesHandle;

/// One cached series: where its label bytes lie in the generation's arena, and its handle.
#[derive(Debug)]
struct Entry {
    hash: u64,
    start: u32,
    len: u32,
    handle: Arc<SeriesHandle>,
}

/// One generation. The label bytes of its series lie end to end in one arena, in the order
/// they were first seen, and the table holds indices into `entries`: a sender that writes
/// its series in the same order every time (Prometheus does, scrape after scrape) walks the
/// arena and the entries front to back, which the CPU prefetches, instead of following a
/// pointer to a separate allocation per series.
#[derive(Debug, Default)]
struct Generation {
    table: hashbrown::HashTable<u32>,
    entries: Vec<Entry>,
    arena: Vec<u8>,
}

impl Generation {
    /// The index and handle of the series of `labels` (hashed to `hash`).
    fn get(&self, hash: u64, labels: &[u8]) -> Option<(u32, &Arc<SeriesHandle>)> {
        let &i = self.table.find(hash, |&i| {
            let same_hash = self.entries.get(i as usize).is_some_and(|e| e.hash == hash);
            same_hash && self.at(i, labels).is_some()
        })?;
        self.entries.get(i as usize).map(|e| (i, &e.handle))
    }

    /// Entry `i`, if its labels are `labels`.
    fn at(&self, i: u32, labels: &[u8]) -> Option<&Entry> {
        let e = self.entries.get(i as usize)?;
        let (start, len) = (e.start as usize, e.len as usize);
        (len == labels.len() && self.arena.get(start..start + len) == Some(labels)).then_some(e)
    }

    /// Adds `labels` (not yet in the generation); false if the arena's offsets would not
    /// fit in 32 bits.
    fn add(&mut self, hash: u64, labels: &[u8], handle: &Arc<SeriesHandle>) -> bool {
        let (Ok(start), Ok(len), Ok(i)) = (
            u32::try_from(self.arena.len()),
            u32::try_from(labels.len()),
            u32::try_from(self.entries.len()),
        ) else {
            return false;
        };
        if start.checked_add(len).is_none() {
            return false;
        }
        self.arena.extend_from_slice(labels);
        self.entries.push(Entry {
            hash,
            start,
            len,
            handle: handle.clone(),
        });
        let entries = &self.entries;
        self.table
            .insert_unique(hash, i, |&j| entries.get(j as usize).map_or(0, |e| e.hash));
        true
    }
}

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
    hasher: foldhash::fast::RandomState,
}

impl SeriesCache {
    pub fn new(max_bytes: usize) -> Self {
        SeriesCache {
            inner: RwLock::new(Inner::default()),
            max_bytes,
            hasher: foldhash::fast::RandomState::default(),
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
            next: None,
        }
    }

    /// Caches `series` under `labels`.
    pub fn insert(&self, labels: &[u8], series: Arc<SeriesHandle>) {
        self.insert_hashed(self.hasher.hash_one(labels), labels, &series);
    }

    fn insert_hashed(&self, hash: u64, labels: &[u8], series: &Arc<SeriesHandle>) {
        let cost = labels.len() + series.canonical().len() + series.measurement().len() + 112;
        if cost > self.max_bytes / 2 {
            return;
        }
        let mut inner = self.inner.write();
        if inner.newer.get(hash, labels).is_some() {
            return;
        }
        let full = inner.newer_bytes + cost > self.max_bytes / 2;
        if full || !inner.newer.add(hash, labels, series) {
            inner.older = std::mem::take(&mut inner.newer);
            inner.newer_bytes = 0;
            if !inner.newer.add(hash, labels, series) {
                return;
            }
        }
        inner.newer_bytes += cost;
    }
}

/// Lookups of one request: the read lock is taken at the first lookup and kept, so a
/// request of 2,000 known series locks once instead of 2,000 times; it is let go before the
/// request inserts a series (or moves one up from the older generation) and taken again at
/// the next lookup.
pub struct Lookup<'a> {
    cache: &'a SeriesCache,
    guard: Option<RwLockReadGuard<'a, Inner>>,
    /// The entry after the last one found in the newer generation: a sender that repeats
    /// its series in order asks for it next, so it is compared before anything is hashed.
    next: Option<u32>,
}

impl Lookup<'_> {
    /// `f` of the series whose label fields were `labels`, if cached.
    pub fn with<R>(&mut self, labels: &[u8], f: impl FnOnce(&Arc<SeriesHandle>) -> R) -> Option<R> {
        let guard = self.guard.get_or_insert_with(|| self.cache.inner.read());
        if let Some(next) = self.next
            && let Some(e) = guard.newer.at(next, labels)
        {
            self.next = next.checked_add(1);
            return Some(f(&e.handle));
        }
        let hash = self.cache.hasher.hash_one(labels);
        if let Some((i, s)) = guard.newer.get(hash, labels) {
            self.next = i.checked_add(1);
            return Some(f(s));
        }
        let (_, s) = guard.older.get(hash, labels)?;
        let s = s.clone();
        self.guard = None;
        self.next = None;
        self.cache.insert_hashed(hash, labels, &s);
        Some(f(&s))
    }

    /// Caches `series` under `labels` ([`SeriesCache::insert`]).
    pub fn insert(&mut self, labels: &[u8], series: Arc<SeriesHandle>) {
        self.guard = None;
        self.next = None;
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

    #[test]
    fn lookups_in_order_and_out_of_order_find_the_same_series() {
        let cache = SeriesCache::new(1 << 20);
        let keys: Vec<Vec<u8>> = (0..50u8).map(|i| vec![b'k'; 1 + usize::from(i)]).collect();
        for (i, k) in keys.iter().enumerate() {
            cache.insert(k, series(&format!("s{i}")));
        }
        let name = |l: &mut Lookup<'_>, k: &[u8]| l.with(k, |s| s.canonical().to_string());
        let mut lookup = cache.lookup();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(name(&mut lookup, k), Some(format!("s{i}")), "in order");
        }
        // Backwards, skipping, repeating, and a key that is a prefix of the predicted one.
        for i in [49, 10, 11, 11, 3, 40, 0, 1, 2] {
            assert_eq!(name(&mut lookup, &keys[i]), Some(format!("s{i}")));
        }
        assert_eq!(name(&mut lookup, b"kk\x00"), None);
        assert_eq!(name(&mut lookup, b""), None);
    }
}
