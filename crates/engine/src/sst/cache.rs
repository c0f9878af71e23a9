//! The block cache: a byte-bounded LRU of what costs CPU to rebuild from an SSTable, keyed by
//! (SSTable id, file offset of what was decoded): decoded blocks (timestamps and values) and
//! a series' decoded column entries (field names, types, block lists; an open table keeps
//! none of those in memory, see `sst::reader`). Index entries sit in the meta section and
//! blocks before it, so the two kinds never share a key. Compressed bytes are already in the
//! page cache through the memory map. Hits and misses are counted for `/metrics`.
//!
//! A cache of a few MiB or more is split into up to 16 shards by key hash, each its own LRU
//! under its own lock with an equal share of the bytes: a query walking thousands of series
//! on both cores looks up a block per series and column, and one lock (with one hash map
//! behind it) was a measurable share of such a query.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::format::OwnedColumn;
use crate::data::ColumnData;

/// (table id, file offset of the block or index entry).
pub type BlockKey = (u64, u64);

/// What the cache holds.
#[derive(Debug, Clone)]
enum Cached {
    Block(Arc<ColumnData>),
    Columns(Arc<[OwnedColumn]>),
}

#[derive(Debug, Default)]
struct Inner {
    entries: foldhash::HashMap<BlockKey, (Cached, u64, usize)>,
    /// Recency order: tick -> key; the smallest tick is evicted first.
    order: BTreeMap<u64, BlockKey>,
    bytes: usize,
    tick: u64,
}

/// A shared, thread-safe LRU cache of decoded blocks.
#[derive(Debug)]
pub struct BlockCache {
    /// Bytes each shard may hold.
    capacity: usize,
    shards: Box<[Mutex<Inner>]>,
    hasher: foldhash::fast::FixedState,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// The most shards a cache is split into, and the least bytes a shard holds.
const MAX_SHARDS: usize = 16;
const MIN_SHARD_BYTES: usize = 4 << 20;

/// Approximate heap bytes of a decoded block.
fn weight(c: &ColumnData) -> usize {
    let values = match &c.values {
        strata_codec::Column::Float(v) => v.len() * 8,
        strata_codec::Column::Integer(v) => v.len() * 8,
        strata_codec::Column::Unsigned(v) => v.len() * 8,
        strata_codec::Column::Boolean(v) => v.len(),
        strata_codec::Column::String(v) => v.iter().map(|s| s.len() + 24).sum(),
    };
    64 + c.ts.len() * 8 + values
}

/// Approximate heap bytes of a series' decoded column entries.
fn columns_weight(cols: &[OwnedColumn]) -> usize {
    cols.iter()
        .map(|c| 64 + c.field.len() + std::mem::size_of_val(&*c.blocks))
        .sum::<usize>()
        + 32
}

impl BlockCache {
    /// A cache holding at most `capacity` bytes (0 disables it).
    pub fn new(capacity: usize) -> Self {
        let shards = (capacity / MIN_SHARD_BYTES).clamp(1, MAX_SHARDS);
        BlockCache {
            capacity: capacity / shards,
            shards: (0..shards).map(|_| Mutex::new(Inner::default())).collect(),
            hasher: foldhash::fast::FixedState::default(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// A decoded block.
    pub fn get(&self, key: BlockKey) -> Option<Arc<ColumnData>> {
        match self.lookup(key)? {
            Cached::Block(b) => Some(b),
            Cached::Columns(_) => None,
        }
    }

    pub fn insert(&self, key: BlockKey, data: Arc<ColumnData>) {
        let w = weight(&data);
        self.put(key, Cached::Block(data), w);
    }

    /// A series' decoded column entries.
    pub fn get_columns(&self, key: BlockKey) -> Option<Arc<[OwnedColumn]>> {
        match self.lookup(key)? {
            Cached::Columns(c) => Some(c),
            Cached::Block(_) => None,
        }
    }

    pub fn insert_columns(&self, key: BlockKey, columns: Arc<[OwnedColumn]>) {
        let w = columns_weight(&columns);
        self.put(key, Cached::Columns(columns), w);
    }

    /// The block at `key`, decoded by `load` on a miss, and then cached if `fill` (a large
    /// one-off scan passes `false`, so it neither evicts the hot blocks nor pays for their
    /// eviction).
    pub fn block_or_load(
        &self,
        key: BlockKey,
        fill: bool,
        load: impl FnOnce() -> crate::Result<ColumnData>,
    ) -> crate::Result<Arc<ColumnData>> {
        if let Some(b) = self.get(key) {
            return Ok(b);
        }
        let b = Arc::new(load()?);
        if fill {
            self.insert(key, b.clone());
        }
        Ok(b)
    }

    /// The column entries at `key`, decoded by `load` (and cached) on a miss.
    pub fn columns_or_load(
        &self,
        key: BlockKey,
        load: impl FnOnce() -> crate::Result<Vec<OwnedColumn>>,
    ) -> crate::Result<Arc<[OwnedColumn]>> {
        if let Some(c) = self.get_columns(key) {
            return Ok(c);
        }
        let c: Arc<[OwnedColumn]> = load()?.into();
        self.insert_columns(key, c.clone());
        Ok(c)
    }

    /// The shard that holds `key`.
    fn shard(&self, key: BlockKey) -> &Mutex<Inner> {
        let i = self.hasher.hash_one(key) as usize % self.shards.len();
        // `shards` is never empty and `i` is below its length.
        &self.shards[i]
    }

    fn lookup(&self, key: BlockKey) -> Option<Cached> {
        if self.capacity == 0 {
            return None;
        }
        let mut inner = self.shard(key).lock();
        inner.tick += 1;
        let tick = inner.tick;
        let Some((data, old_tick, _)) = inner.entries.get_mut(&key) else {
            drop(inner);
            self.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let data = data.clone();
        let old = std::mem::replace(old_tick, tick);
        inner.order.remove(&old);
        inner.order.insert(tick, key);
        drop(inner);
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(data)
    }

    fn put(&self, key: BlockKey, data: Cached, w: usize) {
        if self.capacity == 0 || w > self.capacity / 4 {
            return;
        }
        let mut inner = self.shard(key).lock();
        inner.tick += 1;
        let tick = inner.tick;
        if let Some((_, old_tick, old_w)) = inner.entries.insert(key, (data, tick, w)) {
            inner.order.remove(&old_tick);
            inner.bytes -= old_w;
        }
        inner.order.insert(tick, key);
        inner.bytes += w;
        while inner.bytes > self.capacity {
            let Some((_, victim)) = inner.order.pop_first() else {
                break;
            };
            if let Some((_, _, vw)) = inner.entries.remove(&victim) {
                inner.bytes -= vw;
            }
        }
    }

    /// Drops every entry of a table (when it is deleted).
    pub fn evict_table(&self, table: u64) {
        for shard in &self.shards {
            let mut inner = shard.lock();
            let keys: Vec<BlockKey> = inner
                .entries
                .keys()
                .filter(|k| k.0 == table)
                .copied()
                .collect();
            for k in keys {
                if let Some((_, tick, w)) = inner.entries.remove(&k) {
                    inner.order.remove(&tick);
                    inner.bytes -= w;
                }
            }
        }
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> usize {
        self.shards.iter().map(|s| s.lock().bytes).sum()
    }

    pub fn clear(&self) {
        for shard in &self.shards {
            *shard.lock() = Inner::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{FieldValue, ValueType};

    fn block(n: i64) -> Arc<ColumnData> {
        let mut c = ColumnData::new(ValueType::Float);
        for i in 0..n {
            c.push(i, &FieldValue::Float(1.0));
        }
        Arc::new(c)
    }

    #[test]
    fn index_entries_share_the_budget_and_never_pass_for_blocks() {
        let cache = BlockCache::new(1 << 20);
        let cols: Arc<[OwnedColumn]> = vec![OwnedColumn {
            field: "usage".into(),
            value_type: ValueType::Float,
            blocks: Box::new([]),
        }]
        .into();
        cache.insert_columns((7, 5000), cols.clone());
        cache.insert((7, 10), block(10));
        assert_eq!(cache.get_columns((7, 5000)).as_deref(), Some(&*cols));
        assert!(
            cache.get((7, 5000)).is_none(),
            "an index entry is not a block"
        );
        assert!(
            cache.get_columns((7, 10)).is_none(),
            "a block is not an index entry"
        );
        assert!(cache.bytes() >= 64 + 5 + 64 + 10 * 16);
        cache.evict_table(7);
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn a_large_cache_is_sharded_and_stays_within_its_bytes() {
        let capacity = 64 << 20;
        let cache = BlockCache::new(capacity);
        assert_eq!(cache.shards.len(), MAX_SHARDS);
        let w = weight(&block(1000));
        let n = 2 * capacity / w;
        for i in 0..n as u64 {
            cache.insert((3, i), block(1000));
        }
        assert!(cache.bytes() <= capacity, "{} bytes", cache.bytes());
        assert!(cache.bytes() > capacity / 2, "{} bytes", cache.bytes());
        // The newest blocks are all there, the oldest all gone.
        let last = n as u64 - 1;
        assert!((last - 100..=last).all(|i| cache.get((3, i)).is_some()));
        assert!((0..100).all(|i| cache.get((3, i)).is_none()));
        cache.evict_table(3);
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn evicts_least_recently_used_within_capacity() {
        let cache = BlockCache::new(4 * (64 + 100 * 16));
        for i in 0..4 {
            cache.insert((1, i), block(100));
        }
        assert!(cache.get((1, 0)).is_some()); // 0 is now the most recent
        cache.insert((1, 9), block(100));
        assert!(
            cache.get((1, 1)).is_none(),
            "the least recently used block was kept"
        );
        assert!(cache.get((1, 0)).is_some());
        assert!(cache.bytes() <= 4 * (64 + 100 * 16));
        assert_eq!(cache.hits(), 2);
        cache.evict_table(1);
        assert_eq!(cache.bytes(), 0);
    }
}
