//! A byte-bounded least-recently-used map: the eviction policy of every cold-tier cache (the
//! files on local disk, the opened files, the decoded row groups). Eviction scans for the
//! least recently used entry, which is cheap at the few hundred entries these caches hold.

use std::collections::HashMap;
use std::hash::Hash;

#[derive(Debug)]
struct Entry<V> {
    value: V,
    bytes: u64,
    used: u64,
}

/// See the module documentation.
#[derive(Debug)]
pub struct ByteLru<K, V> {
    map: HashMap<K, Entry<V>>,
    bytes: u64,
    capacity: u64,
    tick: u64,
}

impl<K: Hash + Eq + Clone, V: Clone> ByteLru<K, V> {
    pub fn new(capacity: u64) -> Self {
        ByteLru {
            map: HashMap::new(),
            bytes: 0,
            capacity,
            tick: 0,
        }
    }

    /// The value of `key`, now the most recently used.
    pub fn get(&mut self, key: &K) -> Option<V> {
        self.tick += 1;
        let e = self.map.get_mut(key)?;
        e.used = self.tick;
        Some(e.value.clone())
    }

    /// Whether `bytes` would fit at all.
    pub fn fits(&self, bytes: u64) -> bool {
        bytes <= self.capacity
    }

    /// Keeps `value` (replacing any under `key`) unless it is larger than the whole capacity,
    /// evicting the least recently used entries until it fits. Returns the evicted entries
    /// (the caller may have to release what they stand for) and whether `value` was kept.
    pub fn insert(&mut self, key: K, value: V, bytes: u64) -> (bool, Vec<(K, V)>) {
        let mut evicted: Vec<(K, V)> = self
            .remove(&key)
            .map(|v| (key.clone(), v))
            .into_iter()
            .collect();
        if !self.fits(bytes) {
            return (false, evicted);
        }
        while self.bytes + bytes > self.capacity {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(v) = self.remove(&oldest) {
                evicted.push((oldest, v));
            }
        }
        self.tick += 1;
        self.bytes += bytes;
        self.map.insert(
            key,
            Entry {
                value,
                bytes,
                used: self.tick,
            },
        );
        (true, evicted)
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        let e = self.map.remove(key)?;
        self.bytes -= e.bytes;
        Some(e.value)
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_to_stay_under_capacity() {
        let mut lru = ByteLru::new(10);
        assert_eq!(lru.insert("a", 1, 4), (true, vec![]));
        assert_eq!(lru.insert("b", 2, 4), (true, vec![]));
        assert_eq!(lru.get(&"a"), Some(1)); // b is now the oldest
        assert_eq!(lru.insert("c", 3, 4), (true, vec![("b", 2)]));
        assert_eq!(lru.bytes(), 8);
        // Too large for the whole cache: not kept, nothing evicted.
        assert_eq!(lru.insert("d", 4, 11), (false, vec![]));
        assert_eq!(lru.len(), 2);
        // Replacing counts the new size only.
        assert_eq!(lru.insert("a", 5, 6), (true, vec![("a", 1)]));
        assert_eq!((lru.bytes(), lru.get(&"a")), (10, Some(5)));
        assert_eq!(lru.insert("e", 6, 1), (true, vec![("c", 3)]));
    }
}
