//! The series table: a table's canonical series keys in ascending byte order.
//!
//! Since SSTable version 2 the keys are front-coded: each entry is `shared varint |
//! suffix_len varint | suffix`, the key being the previous key's first `shared` bytes and then
//! the suffix. Every [`RESTART_EVERY`]th entry (a restart) stores its whole key (`shared` 0),
//! so a key is rebuilt from at most that many entries and a lookup binary-searches the
//! restarts' keys, borrowed from the mapped file, then scans one group without rebuilding
//! (comparing each entry's suffix only where its shared prefix decides nothing). The keys of
//! one metric share long prefixes (`node_cpu_seconds_total,cpu=0,instance=...,job=node,
//! mode=`), which version 1 (`len varint | key`) stored again for every series. `shared` is
//! always the longest common prefix with the previous key (checked on open), which is what
//! the group scan relies on.

use strata_codec::varint::{Cursor, put_uvarint};

/// Entries per group: a restart stores its whole key.
pub const RESTART_EVERY: usize = 16;

/// The first SSTable version whose series table is front-coded.
const FRONT_CODED: u16 = 2;

fn err(e: strata_codec::CodecError) -> String {
    e.to_string()
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// Appends entry `index` of a front-coded table: `key`, after `prev` (ignored at a restart).
pub fn put_entry(out: &mut Vec<u8>, index: u64, prev: &str, key: &str) {
    let shared = if index % RESTART_EVERY as u64 == 0 {
        0
    } else {
        common_prefix(prev.as_bytes(), key.as_bytes())
    };
    put_uvarint(out, shared as u64);
    put_uvarint(out, (key.len() - shared) as u64);
    out.extend_from_slice(&key.as_bytes()[shared..]);
}

/// Entries per group in a table of `version` (version 1: each key whole).
fn group(version: u16) -> usize {
    if version >= FRONT_CODED {
        RESTART_EVERY
    } else {
        1
    }
}

/// Reads one entry as stored: its shared prefix length and suffix (version 1: 0 and the key).
fn entry<'a>(cur: &mut Cursor<'a>, version: u16) -> Result<(usize, &'a [u8]), String> {
    let shared = if version >= FRONT_CODED {
        cur.count("series key shared length", u16::MAX as usize)
            .map_err(err)?
    } else {
        0
    };
    let len = cur.count("series key length", usize::MAX).map_err(err)?;
    Ok((shared, cur.bytes(len, "series key").map_err(err)?))
}

/// Validates a table of `n` entries at `cur` (keys rebuilt, UTF-8, strictly ascending,
/// restarts whole, shared prefixes longest) and returns where each entry starts.
pub fn parse_table(cur: &mut Cursor<'_>, n: usize, version: u16) -> Result<Vec<u32>, String> {
    let mut at = Vec::with_capacity(n.min(crate::limits::PREALLOC_LIMIT));
    let mut prev: Vec<u8> = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    let group = group(version);
    for i in 0..n {
        at.push(cur.position() as u32);
        let (shared, suffix) = entry(cur, version)?;
        if shared > prev.len() || (i % group == 0 && shared != 0) {
            return Err(format!("series key entry {i} shares {shared} bytes"));
        }
        if i % group != 0
            && suffix
                .first()
                .is_some_and(|&c| prev.get(shared) == Some(&c))
        {
            return Err(format!("series key entry {i} is not front-coded"));
        }
        key.clear();
        key.extend_from_slice(&prev[..shared]);
        key.extend_from_slice(suffix);
        std::str::from_utf8(&key).map_err(|e| format!("series key is not UTF-8: {e}"))?;
        if i > 0 && prev >= key {
            return Err("series keys are not sorted and unique".into());
        }
        std::mem::swap(&mut prev, &mut key);
    }
    Ok(at)
}

/// The series table of an open table, over its validated meta bytes.
#[derive(Debug, Clone, Copy)]
pub struct SeriesTable<'a> {
    pub meta: &'a [u8],
    pub at: &'a [u32],
    pub version: u16,
}

impl<'a> SeriesTable<'a> {
    fn entry(&self, i: usize) -> Result<(usize, &'a [u8]), String> {
        let at = *self
            .at
            .get(i)
            .ok_or_else(|| format!("series index {i} beyond {}", self.at.len()))?
            as usize;
        entry(
            &mut Cursor::new(self.meta.get(at..).unwrap_or_default()),
            self.version,
        )
    }

    /// The whole key of a restart (every entry of a version 1 table is one).
    fn restart_key(&self, i: usize) -> Result<&'a [u8], String> {
        match self.entry(i)? {
            (0, key) => Ok(key),
            _ => Err(format!("series key entry {i} is not a restart")),
        }
    }

    fn group(&self) -> usize {
        group(self.version)
    }

    /// Index of the entry whose key is `want`, if any.
    pub fn find(&self, want: &[u8]) -> Result<Option<usize>, String> {
        let group = self.group();
        let restarts = self.at.len().div_ceil(group);
        // The first restart whose key is above `want`; the group before it may hold it.
        let (mut lo, mut hi) = (0, restarts);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.restart_key(mid * group)? <= want {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let Some(g) = lo.checked_sub(1) else {
            return Ok(None);
        };
        let start = g * group;
        let first = self.restart_key(start)?;
        if first == want {
            return Ok(Some(start));
        }
        // Invariant: the previous key is below `want` and shares `lcp` bytes with it.
        let mut lcp = common_prefix(first, want);
        for j in start + 1..(start + group).min(self.at.len()) {
            let (shared, suffix) = self.entry(j)?;
            if shared < lcp {
                // It leaves the previous key where that key matched `want`, upwards.
                return Ok(None);
            }
            if shared > lcp {
                // It keeps the byte where the previous key fell below `want`.
                continue;
            }
            let rest = &want[lcp..];
            let c = common_prefix(suffix, rest);
            if c == suffix.len() && c == rest.len() {
                return Ok(Some(j));
            }
            if c == rest.len() || (c < suffix.len() && suffix[c] > rest[c]) {
                return Ok(None);
            }
            lcp += c;
        }
        Ok(None)
    }
}

/// Rebuilds keys of one table, continuing from the last key it rebuilt when the next one
/// asked for is further in the same group (a walk in key order costs one entry per key).
#[derive(Debug, Default)]
pub struct KeyCursor {
    at: Option<usize>,
    buf: Vec<u8>,
}

impl KeyCursor {
    /// The key of entry `i`.
    pub fn key(&mut self, table: &SeriesTable<'_>, i: usize) -> Result<&str, String> {
        let group = table.group();
        let from = match self.at {
            Some(a) if a == i => None,
            Some(a) if a < i && a / group == i / group => Some(a + 1),
            _ => Some(i - i % group),
        };
        if let Some(from) = from {
            self.at = None;
            for j in from..=i {
                let (shared, suffix) = table.entry(j)?;
                if shared > self.buf.len() {
                    return Err(format!("series key entry {j} shares {shared} bytes"));
                }
                self.buf.truncate(shared);
                self.buf.extend_from_slice(suffix);
            }
            self.at = Some(i);
        }
        std::str::from_utf8(&self.buf).map_err(|e| format!("series key is not UTF-8: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(keys: &[String]) -> (Vec<u8>, Vec<u32>) {
        let mut bytes = Vec::new();
        let mut prev = "";
        for (i, k) in keys.iter().enumerate() {
            put_entry(&mut bytes, i as u64, prev, k);
            prev = k;
        }
        let at = parse_table(&mut Cursor::new(&bytes), keys.len(), 2).unwrap();
        (bytes, at)
    }

    fn keys() -> Vec<String> {
        let mut keys: Vec<String> = (0..300)
            .map(|i| {
                format!(
                    "node_cpu_seconds_total,cpu={},job=node,mode={}",
                    i / 8,
                    [
                        "idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"
                    ][i % 8]
                )
            })
            .chain(["a", "ab", "abc", "b", "ba", "node", "node_", "z"].map(String::from))
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn every_key_is_rebuilt_and_found() {
        let keys = keys();
        let (bytes, at) = table(&keys);
        let plain: usize = keys.iter().map(|k| k.len() + 1).sum();
        assert!(bytes.len() * 3 < plain, "{} bytes for {plain}", bytes.len());
        let t = SeriesTable {
            meta: &bytes,
            at: &at,
            version: 2,
        };
        let mut cur = KeyCursor::default();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(cur.key(&t, i).unwrap(), k, "in order");
            assert_eq!(t.find(k.as_bytes()).unwrap(), Some(i), "{k}");
        }
        for i in (0..keys.len()).rev().step_by(7) {
            assert_eq!(cur.key(&t, i).unwrap(), keys[i], "out of order");
        }
        for absent in [
            "",
            "0",
            "aa",
            "abd",
            "bb",
            "nod",
            "node_cpu",
            "node_cpu_seconds_total,cpu=1",
            "node_cpu_seconds_total,cpu=1,job=node,mode=irr",
            "node_cpu_seconds_total,cpu=9,job=node,mode=user0",
            "zz",
        ] {
            assert_eq!(t.find(absent.as_bytes()).unwrap(), None, "{absent:?}");
        }
        assert!(cur.key(&t, keys.len()).is_err());
    }

    #[test]
    fn malformed_tables_are_refused() {
        let keys = keys();
        let (good, _) = table(&keys[..3]);
        assert!(
            parse_table(&mut Cursor::new(&good), 4, 2).is_err(),
            "too few entries"
        );
        // Entry 0 is "ab"; entry 1 as (shared, suffix), written as given.
        let refused = |shared: u64, suffix: &[u8]| {
            let mut bytes = Vec::new();
            put_entry(&mut bytes, 0, "", "ab");
            put_uvarint(&mut bytes, shared);
            put_uvarint(&mut bytes, suffix.len() as u64);
            bytes.extend_from_slice(suffix);
            parse_table(&mut Cursor::new(&bytes), 2, 2).is_err()
        };
        assert!(!refused(2, b"c"), "ab, abc");
        assert!(
            refused(3, b"c"),
            "more shared bytes than the key before has"
        );
        assert!(
            refused(0, b"abc"),
            "a shared prefix shorter than the longest"
        );
        assert!(refused(0, b"a"), "keys out of order");
        assert!(refused(2, b""), "the same key twice");
    }
}
