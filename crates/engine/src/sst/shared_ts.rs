//! The timestamp sections a table writer has already written, so that a later block with
//! the same timestamps refers to the earlier one instead of storing them again.
//!
//! Series scraped together (every metric of one Prometheus target) carry exactly the same
//! timestamps, and with a scrape's jitter of a few milliseconds those cost about a third of
//! a block. Equal encoded sections mean equal timestamps (the encoder is deterministic), so
//! sections are compared as bytes. What is remembered is bounded ([`MAX_BYTES`]); a section
//! is shared only where the reference is much smaller than the section
//! ([`MIN_SAVING`]), so regular timestamps (a few bytes per block) stay in their block.

use hashbrown::HashTable;
use strata_codec::TimestampsAt;

/// Bytes of remembered sections at most; later sections are not remembered.
const MAX_BYTES: usize = 8 << 20;
/// Bytes a reference must save to be worth the extra block read when decoding.
const MIN_SAVING: usize = 32;

/// One remembered section: where its bytes are in the arena and where its block is.
#[derive(Debug, Clone, Copy)]
struct Held {
    hash: u64,
    start: u32,
    len: u32,
    at: TimestampsAt,
}

/// Timestamp sections already written to one table, by content.
#[derive(Default)]
pub struct SharedTimestamps {
    arena: Vec<u8>,
    held: Vec<Held>,
    table: HashTable<u32>,
}

impl SharedTimestamps {
    /// The block holding timestamps equal to `section`, if one was remembered; otherwise
    /// `section` is remembered as held by the block at `at` (when it is worth sharing and
    /// the bound allows).
    pub fn find_or_hold(&mut self, section: &[u8], at: TimestampsAt) -> Option<TimestampsAt> {
        if section.len() < MIN_SAVING {
            return None;
        }
        let hash = xxhash_rust::xxh3::xxh3_64(section);
        let (arena, held) = (&self.arena, &self.held);
        let found = self.table.find(hash, |&i| {
            let h = &held[i as usize];
            h.hash == hash
                && arena.get(h.start as usize..(h.start + h.len) as usize) == Some(section)
        });
        if let Some(&i) = found {
            return Some(self.held[i as usize].at);
        }
        if self.arena.len() + section.len() <= MAX_BYTES {
            let held = Held {
                hash,
                start: self.arena.len() as u32,
                len: section.len() as u32,
                at,
            };
            self.arena.extend_from_slice(section);
            let index = self.held.len() as u32;
            self.held.push(held);
            let all = &self.held;
            self.table
                .insert_unique(hash, index, |&i| all[i as usize].hash);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_sections_find_the_first_holder() {
        let mut s = SharedTimestamps::default();
        let a = vec![7u8; 100];
        let b = vec![8u8; 100];
        let at = |offset| TimestampsAt { offset, len: 200 };
        assert_eq!(s.find_or_hold(&a, at(10)), None);
        assert_eq!(s.find_or_hold(&b, at(20)), None);
        assert_eq!(s.find_or_hold(&a, at(30)), Some(at(10)));
        assert_eq!(s.find_or_hold(&b, at(40)), Some(at(20)));
        assert_eq!(
            s.find_or_hold(&a[..99], at(50)),
            None,
            "a prefix is not equal"
        );
        assert_eq!(s.find_or_hold(&[1; 8], at(60)), None);
        assert_eq!(s.find_or_hold(&[1; 8], at(70)), None, "too small to share");
    }
}
