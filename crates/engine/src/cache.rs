//! The block cache: a byte-bounded LRU of *decoded* blocks, keyed by (SSTable id, block
//! offset). Compressed blocks are already in the page cache through the memory map, so the
//! cache keeps what costs CPU to rebuild: the decoded timestamps and values. Hits and misses
//! are counted for `/metrics`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::column::ColumnData;

/// (table id, block offset).
pub type BlockKey = (u64, u64);

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<BlockKey, (Arc<ColumnData>, u64, usize)>,
    /// Recency order: tick -> key; the smallest tick is evicted first.
    order: BTreeMap<u64, BlockKey>,
    bytes: usize,
    tick: u64,
}

/// A shared, thread-safe LRU cache of decoded blocks.
#[derive(Debug)]
pub struct BlockCache {
    capacity: usize,
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
}

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

impl BlockCache {
    /// A cache holding at most `capacity` bytes (0 disables it).
    pub fn new(capacity: usize) -> Self {
        BlockCache {
            capacity,
            inner: Mutex::new(Inner::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn get(&self, key: BlockKey) -> Option<Arc<ColumnData>> {
        if self.capacity == 0 {
            return None;
        }
        let mut inner = self.inner.lock();
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

    pub fn insert(&self, key: BlockKey, data: Arc<ColumnData>) {
        let w = weight(&data);
        if self.capacity == 0 || w > self.capacity / 4 {
            return;
        }
        let mut inner = self.inner.lock();
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

    /// Drops every block of a table (when it is deleted).
    pub fn evict_table(&self, table: u64) {
        let mut inner = self.inner.lock();
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

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> usize {
        self.inner.lock().bytes
    }

    pub fn clear(&self) {
        *self.inner.lock() = Inner::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::point::{FieldValue, ValueType};

    fn block(n: i64) -> Arc<ColumnData> {
        let mut c = ColumnData::new(ValueType::Float);
        for i in 0..n {
            c.push(i, &FieldValue::Float(1.0));
        }
        Arc::new(c)
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
